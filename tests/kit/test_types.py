"""Bounded scalar types: an instant outside 2000–2099, or text with NUL, is malformed input (422), never a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from laotie.models import LiveSession
from tests.support import Api, both_databases

# Found by the fuzz test: year 1 shifted to UTC, or a window back from it, leaves the calendar.
EDGES = ["0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00",
         "1999-12-31T23:59:59Z", "2100-01-01T00:00:00Z"]


async def test_instants_outside_the_platforms_era_are_refused_naming_the_field(api: Api) -> None:
    op = await api.operator()
    merchant, _, _ = await api.merchant_with_product(await api.category(op))
    viewer = (await api.call("GET", "/api/v1/me", await api.user(), expect=200)).json()["id"]
    for edge in EDGES:
        cases = [
            ("POST", "/api/v1/fraud/detect", op, {"until": edge}, "until"),
            ("POST", "/api/v1/live/sessions", merchant, {"title": "Apples", "scheduled_for": edge}, "scheduled_for"),
            ("POST", f"/api/v1/live/users/{viewer}/suspend", op, {"until": edge}, "until"),
        ]
        for method, url, token, body, field in cases:
            r = await api.call(method, url, token, expect=422, json=body)
            assert (r.json()["code"], r.json()["field"]) == ("invalid_request", field), (url, edge)
        r = await api.call("GET", f"/api/v1/users/{viewer}/fans", params={"before": edge}, expect=422)
        assert r.json()["field"] == "before"
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(LiveSession))).scalar_one() == 0


async def test_an_instant_in_any_offset_is_taken_as_the_same_moment_in_utc(api: Api) -> None:
    op = await api.operator()
    r = await api.call("POST", "/api/v1/fraud/detect", op, expect=200,
                       json={"until": "2026-03-01T08:00:00+08:00", "days": 1})
    assert (r.json()["until"], r.json()["since"]) == ("2026-03-01T00:00:00Z", "2026-02-28T00:00:00Z")


@both_databases
async def test_text_with_nul_in_a_query_or_body_is_refused_naming_the_field(api: Api) -> None:
    # Found by the fuzz test on PostgreSQL, whose text cannot hold NUL: these reached a query (500).
    op = await api.operator()
    merchant, _, _ = await api.merchant_with_product(await api.category(op))
    cases = [("GET", "/api/v1/claims", op, {"params": {"status": "filed\x00"}}, "status"),
             ("GET", "/api/v1/shops/mine/aftersales", merchant, {"params": {"status": ["requested", "x\x00"]}},
              "status.1"),
             ("GET", "/api/v1/alliance/library", None, {"params": {"q": "app\x00le"}}, "q"),
             ("GET", "/api/v1/products", None, {"params": {"q": "app\x00le"}}, "q"),
             ("POST", "/api/v1/fraud/rings/1/dismiss", op, {"json": {"reason": "not\x00a ring"}}, "reason")]
    for method, url, token, kwargs, field in cases:
        r = await api.call(method, url, token, expect=422, **kwargs)
        assert (r.json()["code"], r.json()["field"]) == ("invalid_request", field), url
    assert (await api.call("GET", "/api/v1/claims", op, expect=200)).json() == []
    r = await api.call("GET", "/api/v1/shops/mine/aftersales", merchant, params={"status": "requested"}, expect=200)
    assert r.json() == []
