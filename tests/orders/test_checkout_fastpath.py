"""The checkout's fast path answers every request exactly as the FastAPI route does."""

from __future__ import annotations

from typing import Any

import httpx

from laotie.app import create_app
from laotie.kit import fastpath
from tests.support import ADDRESS, ENGLISH, Api

KEY = "Idempotency-Key"


def _shape(r: httpx.Response) -> tuple[int, Any, Any]:
    body = r.json()
    if r.status_code == 201:
        return 201, sorted(body), body["replayed"]
    return r.status_code, body.get("code"), body.get("field")


async def _answers(api: Api, fast: bool, buyer: str, merchant: str, sku: int, run: str) -> list[tuple[int, Any, Any]]:
    settings = api.db.settings.model_copy(update={"fast_paths": fast})
    app = create_app(settings)
    good = {"items": [{"sku_id": sku, "quantity": 1}], "address": ADDRESS}
    requests: list[tuple[dict[str, str], Any]] = [
        ({}, good),  # no token
        ({"Authorization": "Bearer nope"}, good),
        ({"Authorization": "Basic abc"}, b"{not json"),
        ({"Authorization": f"Bearer {buyer}"}, b"{not json"),
        ({"Authorization": f"Bearer {buyer}"}, b""),
        ({"Authorization": f"Bearer {buyer}"}, {"items": [], "address": ADDRESS}),
        ({"Authorization": f"Bearer {buyer}"}, {"items": [{"sku_id": sku, "quantity": 0}], "address": ADDRESS}),
        ({"Authorization": f"Bearer {buyer}"}, {"items": [{"sku_id": sku, "quantity": 1}]}),
        ({"Authorization": f"Bearer {buyer}"}, [1, 2]),
        ({"Authorization": f"Bearer {buyer}", KEY: "has space"}, good),
        ({"Authorization": f"Bearer {buyer}", KEY: "k" * 121}, b"{not json"),
        ({"Authorization": f"Bearer {buyer}", "X-Device-Id": "two words"}, good),
        ({"Authorization": f"Bearer {buyer}"}, {**good, "items": [{"sku_id": 99_999_999, "quantity": 1}]}),
        ({"Authorization": f"Bearer {merchant}"}, good),  # the merchant's own shop
        ({"Authorization": f"Bearer {buyer}"}, {**good, "coupon_id": 99_999_999}),
        ({"Authorization": f"Bearer {buyer}", "Content-Type": "text/plain"}, b"items"),
        ({"Authorization": f"Bearer {buyer}", KEY: f"once-{run}"}, good),
        ({"Authorization": f"Bearer {buyer}", KEY: f"once-{run}"}, good),  # replayed
        ({"Authorization": f"Bearer {buyer}", KEY: f"once-{run}"}, {**good, "address": {**ADDRESS, "address": "x"}}),
        ({"Authorization": f"Bearer {buyer}", "X-Device-Id": "phone-1"}, good),
    ]
    answers = []
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=transport, base_url="http://laotie.test", headers=ENGLISH) as client:
        for headers, body in requests:
            if isinstance(body, bytes):
                headers = {"Content-Type": "application/json", **headers}
                r = await client.post("/api/v1/checkout", headers=headers, content=body)
            else:
                r = await client.post("/api/v1/checkout", headers=headers, json=body)
            answers.append(_shape(r))
    return answers


async def test_fast_path_and_route_answer_alike(api: Api) -> None:
    assert ("POST", "/api/v1/checkout") in fastpath.routes()
    op = await api.operator()
    merchant, _, sku = await api.merchant_with_product(await api.category(op), stock=100)
    buyer = await api.user()
    through_route = await _answers(api, False, buyer, merchant, sku, "route")
    fast = await _answers(api, True, buyer, merchant, sku, "fast")
    assert fast == through_route
    # The answers are the ones the API promises, not merely equal.
    assert [a[:2] for a in fast[:16]] == [
        (401, "not_authenticated"), (401, "not_authenticated"), *[(422, "invalid_request")] * 10,
        (409, "not_for_sale"), (403, "own_shop"), (404, "coupon_not_found"), (422, "invalid_request")]
    assert [a[0] for a in fast[16:]] == [201, 201, 422, 201] and fast[18][1] == "idempotency_key_reused"
    assert fast[2][2] == "body" and fast[6][2] == "items.0.quantity" and fast[9][2] == KEY
    assert fast[17] == (201, ["amount", "order_ids", "pay_url", "payment_id", "replayed"], True)
    assert await api.ledger_ok()
