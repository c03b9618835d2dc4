"""The order page after each step: what was done is said, receipt asks first, one after-sale at a time."""

from __future__ import annotations

from tests.aftersales.test_aftersales import ask, paid_order, ship, world
from tests.support import Api
from tests.web.test_pages import csrf_of, sign_in


async def _names(api: Api, *tokens: str) -> list[str]:
    return [(await api.call("GET", "/api/v1/me", t, expect=200)).json()["username"] for t in tokens]


async def test_shipping_and_receipt_say_what_was_done_and_receipt_asks_first(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    buyer, merchant = await _names(api, w.buyer, w.merchant)

    token = await sign_in(api, merchant)
    r = await api.client.post(f"/orders/{order_id}/ship", data={
        "csrf_token": token, "carrier": "SF", "tracking_no": "SF0001", "back": "/merchant/orders"})
    assert r.status_code == 303 and r.headers["location"] == f"/merchant/orders?done=shipped&order={order_id}"
    page = await api.client.get(r.headers["location"])
    assert f"Order #{order_id} shipped" in page.text and 'class="notice"' in page.text

    api.client.cookies.clear()
    token = await sign_in(api, buyer)
    page = await api.client.get(f"/orders/{order_id}")
    assert 'hx-confirm="' in page.text.split("Confirm receipt")[0].rsplit("<form", 1)[1]
    r = await api.client.post(f"/orders/{order_id}/confirm", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == f"/orders/{order_id}?done=received&order={order_id}"
    page = await api.client.get(r.headers["location"])
    assert "Receipt confirmed" in page.text and 'data-status="completed"' in page.text


async def test_refund_or_return_is_offered_only_while_no_request_is_open(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    [buyer] = await _names(api, w.buyer)
    await sign_in(api, buyer)
    new_request = f'href="/aftersales/new/{order_id}"'
    assert new_request in (await api.client.get(f"/orders/{order_id}")).text
    a = (await ask(api, w, order_id, "refund_only")).json()
    page = await api.client.get(f"/orders/{order_id}")
    assert new_request not in page.text and f'data-aftersale="{a["id"]}"' in page.text
    assert f"/claims/new/{order_id}" in page.text  # a counterfeit claim is another matter
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/cancel", w.buyer, expect=200)
    assert new_request in (await api.client.get(f"/orders/{order_id}")).text
