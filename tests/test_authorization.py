"""No merchant reads or changes another merchant's shop, products, orders or money."""

from __future__ import annotations

from tests.support import Api, both_databases

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@both_databases
async def test_merchants_are_walled_off(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op)
    owner, product, sku = await api.merchant_with_product(cat, stock=5)
    intruder, other_product, _ = await api.merchant_with_product(cat, stock=5)
    buyer = await api.user()
    c = (await api.buy(buyer, sku)).json()
    await api.pay(buyer, c["payment_id"])
    order = c["order_ids"][0]

    attempts = [
        ("PATCH", f"/api/v1/products/{product}", {"json": {"title": "hijacked"}}),
        ("POST", f"/api/v1/products/{product}/publish", {}),
        ("POST", f"/api/v1/products/{product}/unpublish", {}),
        ("POST", f"/api/v1/products/{product}/skus", {"json": {"price": 1, "stock": 1}}),
        ("PATCH", f"/api/v1/skus/{sku}", {"json": {"stock_delta": -5}}),
        ("PATCH", f"/api/v1/skus/{sku}", {"json": {"price": 1}}),
        ("POST", f"/api/v1/products/{product}/images", {"files": {"file": ("a.png", PNG, "image/png")}}),
        ("GET", f"/api/v1/orders/{order}", {}),
        ("POST", f"/api/v1/orders/{order}/ship", {"json": {"carrier": "SF", "tracking_no": "SF9999"}}),
        ("POST", f"/api/v1/orders/{order}/cancel", {}),
        ("POST", f"/api/v1/orders/{order}/confirm-receipt", {}),
    ]
    for method, url, kwargs in attempts:
        r = await api.call(method, url, intruder, **kwargs)
        assert r.status_code == 403, (method, url, r.status_code, r.text)
        assert r.json()["code"] in {"not_your_shop", "not_your_order"}, (method, url, r.text)

    # the intruder's own views never include the owner's data
    mine = (await api.call("GET", "/api/v1/shops/mine/orders?status=paid", intruder, expect=200)).json()
    assert mine == []
    products = (await api.call("GET", "/api/v1/shops/mine/products", intruder, expect=200)).json()
    assert [p["id"] for p in products] == [other_product]
    balances = (await api.call("GET", "/api/v1/shops/mine/balances", intruder, expect=200)).json()
    assert (balances["pending"], balances["available"]) == (0, 0)
    # a buyer cannot act as the seller either, nor see someone else's order
    stranger = await api.user()
    assert (await api.call("GET", f"/api/v1/orders/{order}", stranger)).status_code == 403
    assert (await api.call("POST", f"/api/v1/orders/{order}/ship", buyer,
                           json={"carrier": "SF", "tracking_no": "SF9999"})).status_code == 403

    # nothing changed
    detail = (await api.call("GET", f"/api/v1/products/{product}", expect=200)).json()
    assert detail["title"] == "Linyi apples 5kg" and detail["skus"][0]["stock"] == 4 and detail["images"] == []
    owner_view = (await api.call("GET", f"/api/v1/orders/{order}", owner, expect=200)).json()
    assert owner_view["status"] == "paid"
