from tests.support import Api


async def test_buy_pay_ship_confirm(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    merchant, _, sku_id = await api.merchant_with_product(cat, price=10000, stock=5)
    buyer = await api.user()
    r = await api.buy(buyer, sku_id, 2)
    body = r.json()
    assert body["amount"] == 20000
    await api.pay(buyer, body["payment_id"])
    order_id = body["order_ids"][0]
    r = await api.call("GET", f"/api/v1/orders/{order_id}", buyer, expect=200)
    assert r.json()["status"] == "paid"
    await api.call("POST", f"/api/v1/orders/{order_id}/ship", merchant, expect=200,
                   json={"carrier": "SF", "tracking_no": "SF12345"})
    await api.call("POST", f"/api/v1/orders/{order_id}/confirm-receipt", buyer, expect=200)
    r = await api.call("GET", "/api/v1/shops/mine/balances", merchant, expect=200)
    assert r.json() == {"shop_id": r.json()["shop_id"], "pending": 0, "available": 19000}
    assert await api.ledger_ok()
