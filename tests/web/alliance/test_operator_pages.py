"""The operator's alliance page (floors, the platform fee) and the commission lines on an order under review."""

from __future__ import annotations

from laotie.catalog import service as catalog
from laotie.identity import service as identity
from laotie.models import AllianceFloor
from laotie.trust.governance.service import open_case
from tests.alliance.payouts.test_payouts import earn
from tests.support import Api
from tests.web.test_pages import sign_in


async def test_operator_sets_a_floor_and_sees_the_fee(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    name = (await api.call("GET", "/api/v1/me", op, expect=200)).json()["username"]
    token = await sign_in(api, name)
    page = await api.client.get("/operator/alliance")
    assert page.status_code == 200 and "data-platform-fee>10.00%" in page.text
    assert 'href="/operator/alliance"' in (await api.client.get("/operator")).text
    r = await api.client.post(f"/operator/alliance/floors/{cat}", data={"csrf_token": token, "floor": "x"})
    assert r.status_code == 422 and 'data-code="invalid_request"' in r.text
    r = await api.client.post("/operator/alliance/floors/999999", data={"csrf_token": token, "floor": "5"})
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    async with api.db.transaction() as s:
        assert await s.get(AllianceFloor, cat) is None
    r = await api.client.post(f"/operator/alliance/floors/{cat}", data={"csrf_token": token, "floor": "5"})
    assert r.status_code == 303
    page = await api.client.get("/operator/alliance")
    assert f'id="floor-{cat}"' in page.text and "data-floor>5.00%" in page.text


async def test_order_under_review_shows_its_commission_lines(api: Api) -> None:
    w = await earn(api)
    async with api.db.transaction() as s:
        arbiter = await identity.register_user(s, api.db.settings, username="arbiter", password="password123",
                                               roles={"operator"}, self_serve=False)
        merchant = await identity.user_for_token(s, str(w["merchant"]))
        assert merchant is not None
        shop = await catalog.shop_of_owner(s, merchant.id)
        assert shop is not None
        await open_case(s, arbiter, violation_code="late_shipping", subject_id=merchant.id, reason="late",
                        shop_id=shop.id, evidence={"order_ids": [w["order_id"]]}, source="operator")
    await sign_in(api, "arbiter")
    page = await api.client.get(f"/operator/orders/{w['order_id']}")
    assert page.status_code == 200 and 'data-commission-line="' in page.text and 'data-status="settled"' in page.text
    assert f'href="/u/{w["creator_id"]}"' in page.text


async def test_operator_page_refuses_others(api: Api) -> None:
    creator = await api.user("creator")
    name = (await api.call("GET", "/api/v1/me", creator, expect=200)).json()["username"]
    await sign_in(api, name)
    r = await api.client.get("/operator/alliance")
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
