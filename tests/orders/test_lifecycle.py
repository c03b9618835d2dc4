"""Order states, the unpaid-order expiry and auto-confirm jobs, and purchase limits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from laotie.kit.jobs import scheduler
from laotie.models import Order, PurchaseCounter, Sku, utcnow
from laotie.orders import logistics
from tests.support import Api


async def _world(api: Api, stock: int = 10, limit: int | None = None) -> tuple[str, str, int]:
    op = await api.operator()
    merchant, _, sku = await api.merchant_with_product(await api.category(op, rate_bps=1000), price=10000,
                                                       stock=stock, limit=limit)
    return merchant, await api.user(), sku


async def test_wrong_state_transitions_are_refused(api: Api) -> None:
    merchant, buyer, sku = await _world(api)
    c = (await api.buy(buyer, sku)).json()
    oid = c["order_ids"][0]
    ship = {"carrier": "SF", "tracking_no": "SF0001"}
    r = await api.call("POST", f"/api/v1/orders/{oid}/ship", merchant, expect=409, json=ship)
    assert r.json()["code"] == "wrong_order_state"
    assert (await api.call("POST", f"/api/v1/orders/{oid}/confirm-receipt", buyer, expect=409)).json()["code"] \
        == "wrong_order_state"
    await api.pay(buyer, c["payment_id"])
    assert (await api.call("POST", f"/api/v1/orders/{oid}/cancel", buyer, expect=409)).json()["code"] \
        == "wrong_order_state"
    await api.call("POST", f"/api/v1/orders/{oid}/ship", merchant, expect=200, json=ship)
    await api.call("POST", f"/api/v1/orders/{oid}/ship", merchant, expect=409, json=ship)


async def test_unpaid_orders_expire_and_give_stock_back(api: Api) -> None:
    _, buyer, sku = await _world(api, stock=5, limit=3)
    c = (await api.buy(buyer, sku, 3)).json()
    kept = (await api.buy(await api.user(), sku, 1)).json()
    async with api.db.transaction() as s:
        assert (await s.get(Sku, sku)).stock == 1
        await s.execute(update(Order).where(Order.id == c["order_ids"][0])
                        .values(pay_deadline=utcnow() - timedelta(seconds=1)))
    assert await scheduler.run(api.db, "orders.expire_unpaid") == 1
    assert await scheduler.run(api.db, "orders.expire_unpaid") == 0  # idempotent
    async with api.db.transaction() as s:
        order = await s.get(Order, c["order_ids"][0])
        assert (order.status, order.cancel_reason) == ("cancelled", "payment_timeout")
        assert (await s.get(Order, kept["order_ids"][0])).status == "pending_payment"
        assert (await s.get(Sku, sku)).stock == 4
        counter = (await s.execute(select(PurchaseCounter.quantity))).scalars().all()
        assert sorted(counter) == [0, 1]
    # the allowance is back: the same buyer may buy 3 again
    await api.buy(buyer, sku, 3)


async def test_purchase_limit_per_buyer(api: Api) -> None:
    _, buyer, sku = await _world(api, stock=20, limit=2)
    r = await api.buy(buyer, sku, 3, expect=409)
    assert (r.json()["code"], r.json()["field"]) == ("purchase_limit_exceeded", "items.0.quantity")
    await api.buy(buyer, sku, 2)
    r = await api.buy(buyer, sku, 1, expect=409)
    assert r.json()["details"]["limit"] == 2
    async with api.db.transaction() as s:
        assert (await s.get(Sku, sku)).stock == 18


async def test_delivery_and_auto_confirm(api: Api) -> None:
    merchant, buyer, sku = await _world(api)
    c1 = (await api.buy(buyer, sku)).json()
    c2 = (await api.buy(buyer, sku)).json()
    for c in (c1, c2):
        await api.pay(buyer, c["payment_id"])
        await api.call("POST", f"/api/v1/orders/{c['order_ids'][0]}/ship", merchant, expect=200,
                       json={"carrier": "SF", "tracking_no": f"SF{c['order_ids'][0]:06d}"})
    o1, o2 = c1["order_ids"][0], c2["order_ids"][0]
    body, sig = logistics.delivery_notification(api.db.settings, o1, f"SF{o1:06d}")
    r = await api.call("POST", "/api/v1/logistics/sandbox/callback", expect=200, content=body,
                       headers={logistics.SIGNATURE_HEADER: sig})
    assert r.json()["status"] == "delivered"
    await api.call("POST", "/api/v1/logistics/sandbox/callback", expect=401, content=body,
                   headers={logistics.SIGNATURE_HEADER: "bad"})
    async with api.db.transaction() as s:
        await s.execute(update(Order).where(Order.id == o1).values(delivered_at=utcnow() - timedelta(days=8)))
        await s.execute(update(Order).where(Order.id == o2).values(shipped_at=utcnow() - timedelta(days=3)))
    assert await scheduler.run(api.db, "orders.auto_confirm") == 1  # o2 shipped too recently
    async with api.db.transaction() as s:
        assert (await s.get(Order, o1)).status == "completed"
        assert (await s.get(Order, o2)).status == "shipped"
    balances = (await api.call("GET", "/api/v1/shops/mine/balances", merchant, expect=200)).json()
    assert (balances["pending"], balances["available"]) == (9000, 9000)
    assert await api.ledger_ok()


async def test_cart_checkout_splits_by_shop(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op)
    _, _, sku_a = await api.merchant_with_product(cat, price=1000)
    _, _, sku_b = await api.merchant_with_product(cat, price=2500)
    buyer = await api.user()
    for sku, qty in ((sku_a, 2), (sku_b, 1), (sku_a, 1)):
        await api.call("POST", "/api/v1/cart/items", buyer, expect=204, json={"sku_id": sku, "quantity": qty})
    cart = (await api.call("GET", "/api/v1/cart", buyer, expect=200)).json()
    assert sorted((x["sku_id"], x["quantity"]) for x in cart) == sorted([(sku_a, 3), (sku_b, 1)])
    r = await api.call("POST", "/api/v1/cart/checkout", buyer, expect=201,
                       json={"address": {"recipient": "A", "phone": "13800000000", "address": "x"}})
    assert r.json()["amount"] == 3 * 1000 + 2500 and len(r.json()["order_ids"]) == 2
    assert (await api.call("GET", "/api/v1/cart", buyer, expect=200)).json() == []
    r = await api.call("POST", "/api/v1/cart/checkout", buyer, expect=400,
                       json={"address": {"recipient": "A", "phone": "13800000000", "address": "x"}})
    assert r.json()["code"] == "empty_cart"
