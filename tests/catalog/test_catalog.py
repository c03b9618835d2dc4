"""Categories and rates, shops, products and SKUs, stock, images, search."""

from __future__ import annotations

from tests.support import Api

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_only_operators_run_categories(api: Api) -> None:
    merchant = await api.user("merchant")
    r = await api.call("POST", "/api/v1/categories", merchant, expect=403, json={"name": "x", "commission_bps": 1})
    assert r.json()["code"] == "role_required"
    op = await api.operator()
    parent = await api.category(op, 500, name="Fresh")
    r = await api.call("POST", "/api/v1/categories", op, expect=201,
                       json={"name": "Fruit", "commission_bps": 200, "parent_id": parent})
    child = r.json()["id"]
    r = await api.call("PUT", f"/api/v1/categories/{child}/commission", op, expect=200, json={"commission_bps": 250})
    assert r.json()["commission_bps"] == 250
    await api.call("PUT", f"/api/v1/categories/{child}/commission", merchant, expect=403,
                   json={"commission_bps": 0})
    r = await api.call("POST", "/api/v1/categories", op, expect=404, json={"name": "y", "commission_bps": 1,
                                                                         "parent_id": 999})
    assert r.json()["code"] == "category_not_found"


async def test_commission_snapshot_at_checkout(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op, 500)
    merchant, _, sku = await api.merchant_with_product(cat, price=3333)
    buyer = await api.user()
    c = (await api.buy(buyer, sku, 3)).json()
    await api.call("PUT", f"/api/v1/categories/{cat}/commission", op, expect=200, json={"commission_bps": 2000})
    order = (await api.call("GET", f"/api/v1/orders/{c['order_ids'][0]}", buyer, expect=200)).json()
    assert order["commission"] == (9999 * 500 + 5000) // 10000 == 500
    await api.pay(buyer, c["payment_id"])
    balances = (await api.call("GET", "/api/v1/shops/mine/balances", merchant, expect=200)).json()
    assert balances["pending"] == 9999 - 500


async def test_products_skus_stock_and_search(api: Api) -> None:
    op = await api.operator()
    fresh = await api.category(op, name="Fresh")
    fruit = (await api.call("POST", "/api/v1/categories", op, expect=201,
                            json={"name": "Fruit", "commission_bps": 200, "parent_id": fresh})).json()["id"]
    merchant = await api.user("merchant")
    await api.call("POST", "/api/v1/shops", merchant, expect=201, json={"name": "Orchard"})
    r = await api.call("POST", "/api/v1/shops", merchant, expect=409, json={"name": "Orchard 2"})
    assert r.json()["code"] == "shop_exists"
    r = await api.call("POST", "/api/v1/products", merchant, expect=201, json={
        "title": "Navel oranges", "category_id": fruit,
        "skus": [{"price": 3900, "stock": 5, "attributes": {"weight": "3kg"}},
                 {"price": 5900, "stock": 0, "attributes": {"weight": "5kg"}}]})
    product = r.json()
    assert product["status"] == "draft" and product["min_price"] == 3900
    # drafts are invisible to buyers
    await api.call("GET", f"/api/v1/products/{product['id']}", expect=404)
    assert (await api.call("GET", "/api/v1/products", expect=200)).json()["total"] == 0
    await api.call("POST", f"/api/v1/products/{product['id']}/publish", merchant, expect=200)
    sku5 = product["skus"][1]["id"]
    r = await api.call("PATCH", f"/api/v1/skus/{sku5}", merchant, expect=200, json={"stock_delta": 7, "price": 2900})
    assert (r.json()["stock"], r.json()["price"]) == (7, 2900)
    r = await api.call("PATCH", f"/api/v1/skus/{sku5}", merchant, expect=409, json={"stock_delta": -8})
    assert r.json()["code"] == "stock_would_go_negative"
    assert (await api.call("GET", f"/api/v1/products/{product['id']}", expect=200)).json()["min_price"] == 2900
    # search by words, by parent category (includes children), by price
    for query, total in (("?q=orange", 1), ("?q=apple", 0), (f"?category_id={fresh}", 1),
                         ("?min_price=3000", 0), ("?max_price=3000", 1), ("?sort=sales", 1)):
        assert (await api.call("GET", "/api/v1/products" + query, expect=200)).json()["total"] == total, query
    await api.call("POST", f"/api/v1/products/{product['id']}/unpublish", merchant, expect=200)
    buyer = await api.user()
    r = await api.buy(buyer, sku5, expect=409)
    assert r.json()["code"] == "not_for_sale"


async def test_external_link_out(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op)
    merchant = await api.user("merchant")
    await api.call("POST", "/api/v1/shops", merchant, expect=201, json={"name": "Linked"})
    r = await api.call("POST", "/api/v1/products", merchant, expect=201, json={
        "title": "Apples on Taobao", "category_id": cat, "external_channel": "Taobao",
        "external_url": "https://example.com/item/1"})
    assert r.json()["external_url"] == "https://example.com/item/1"
    await api.call("POST", f"/api/v1/products/{r.json()['id']}/publish", merchant, expect=200)
    r = await api.call("POST", "/api/v1/products", merchant, expect=422, json={"title": "x", "category_id": cat})
    assert r.json()["code"] == "invalid_request"


async def test_images(api: Api) -> None:
    op = await api.operator()
    merchant, product, _ = await api.merchant_with_product(await api.category(op))
    r = await api.call("POST", f"/api/v1/products/{product}/images", merchant, expect=201,
                       files={"file": ("a.png", PNG, "image/png")})
    assert r.json()["path"].endswith(".png")
    served = await api.client.get(r.json()["url"])
    assert served.status_code == 200 and served.content == PNG
    r = await api.call("POST", f"/api/v1/products/{product}/images", merchant, expect=400,
                       files={"file": ("evil.png", b"<?php echo 1; ?>", "image/png")})
    assert r.json()["code"] == "bad_image"
    big = PNG + b"\x00" * api.db.settings.max_image_bytes
    r = await api.call("POST", f"/api/v1/products/{product}/images", merchant, expect=413,
                       files={"file": ("big.png", big, "image/png")})
    assert r.json()["code"] == "image_too_large"
    detail = (await api.call("GET", f"/api/v1/products/{product}", expect=200)).json()
    assert len(detail["images"]) == 1
