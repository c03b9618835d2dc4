"""A merchant edits a product after creating it: details, images (add, remove, order), options and stock."""

from __future__ import annotations

from sqlalchemy import select

from laotie.models import Product, ProductImage, Sku
from tests.support import Api
from tests.web.test_pages import sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _merchant(api: Api, stock: int = 50) -> tuple[str, str, int, int, int]:
    op = await api.operator()
    category = await api.category(op)
    token, product_id, sku_id = await api.merchant_with_product(category, stock=stock, price=5000)
    name = (await api.call("GET", "/api/v1/me", token, expect=200)).json()["username"]
    return token, name, product_id, sku_id, category


async def _product(api: Api, product_id: int) -> tuple[Product, list[Sku], list[ProductImage]]:
    async with api.db.transaction() as s:
        product = await s.get(Product, product_id)
        skus = list((await s.execute(select(Sku).where(Sku.product_id == product_id).order_by(Sku.id))).scalars())
        images = list((await s.execute(select(ProductImage).where(ProductImage.product_id == product_id)
                                       .order_by(ProductImage.position))).scalars())
    assert product is not None
    return product, skus, images


async def test_details_and_images(api: Api) -> None:
    _, name, product_id, _, category = await _merchant(api)
    token = await sign_in(api, name)
    listing = await api.client.get("/merchant/products")
    assert f'href="/merchant/products/{product_id}"' in listing.text
    page = await api.client.get(f"/merchant/products/{product_id}")
    assert page.status_code == 200 and 'id="details"' in page.text and 'id="options"' in page.text

    r = await api.client.post(f"/merchant/products/{product_id}/details", data={
        "csrf_token": token, "title": "  Longjing tea, spring 2026 ", "description": "Hand-fried.",
        "category_id": str(category)})
    assert r.status_code == 303 and r.headers["location"] == f"/merchant/products/{product_id}?saved=details"
    assert "Saved" in (await api.client.get(r.headers["location"])).text
    product, _, _ = await _product(api, product_id)
    assert (product.title, product.description) == ("Longjing tea, spring 2026", "Hand-fried.")
    r = await api.client.post(f"/merchant/products/{product_id}/details", data={
        "csrf_token": token, "title": " ", "description": "lost?", "category_id": str(category)})
    assert r.status_code == 400 and "title" in r.text and "lost?" in r.text
    assert (await _product(api, product_id))[0].description == "Hand-fried."

    for _ in range(3):
        r = await api.client.post(f"/merchant/products/{product_id}/images/upload?csrf_token={token}", data={
            "back": "edit"}, files={"file": ("a.png", PNG, "image/png")})
        assert r.status_code == 303 and r.headers["location"].endswith("?saved=images")
    _, _, images = await _product(api, product_id)
    first, second, third = (i.id for i in images)
    r = await api.client.post(f"/merchant/products/{product_id}/images/{first}/down", data={"csrf_token": token})
    assert r.status_code == 303
    product, _, images = await _product(api, product_id)
    assert [i.id for i in images] == [second, first, third] and product.cover_image == images[0].path
    r = await api.client.post(f"/merchant/products/{product_id}/images/{second}/remove", data={"csrf_token": token})
    assert r.status_code == 303
    product, _, images = await _product(api, product_id)
    assert [i.id for i in images] == [first, third] and [i.position for i in images] == [0, 1]
    assert product.cover_image == images[0].path

    # Another merchant can neither see the editor nor touch the images.
    other = await api.user("merchant", name="rival")
    await api.call("POST", "/api/v1/shops", other, expect=201, json={"name": "rival shop"})
    api.client.cookies.clear()
    token = await sign_in(api, "rival")
    assert (await api.client.get(f"/merchant/products/{product_id}")).status_code == 403
    r = await api.client.post(f"/merchant/products/{product_id}/images/{first}/remove", data={"csrf_token": token})
    assert r.status_code == 403
    assert len((await _product(api, product_id))[2]) == 2


async def test_options_price_stock_limit_and_removal(api: Api) -> None:
    merchant, name, product_id, sku_id, _ = await _merchant(api, stock=50)
    token = await sign_in(api, name)
    page = await api.client.get(f"/merchant/products/{product_id}")
    assert 'name="stock_shown" value="50"' in page.text

    buyer = await api.user()
    await api.buy(buyer, sku_id, quantity=1)  # one unit leaves stock while the merchant edits
    form = {"csrf_token": token, "back": "edit", "stock_shown": "50", "attributes": "size=500g, grade=AAA",
            "price": "45.50", "stock": "40", "purchase_limit": "2"}
    r = await api.client.post(f"/merchant/skus/{sku_id}", data=form)
    assert r.status_code == 303 and r.headers["location"] == f"/merchant/products/{product_id}?saved=sku"
    product, [sku], _ = await _product(api, product_id)
    assert (sku.stock, sku.price, sku.purchase_limit, sku.attributes) == (
        39, 4550, 2, {"size": "500g", "grade": "AAA"})  # the unit sold meanwhile stays sold
    assert product.min_price == 4550

    # Stock cannot be taken below what is left: the page showed 50, 49 are left, so "0" would be -50.
    r = await api.client.post(f"/merchant/skus/{sku_id}", data={**form, "stock": "0", "stock_shown": "40"})
    assert r.status_code == 409 and "stock" in r.text
    r = await api.client.post(f"/merchant/skus/{sku_id}", data={**form, "stock": "0", "stock_shown": "39",
                                                                "purchase_limit": ""})
    assert r.status_code == 303
    _, [sku], _ = await _product(api, product_id)
    assert (sku.stock, sku.purchase_limit) == (0, None)

    # Removing: the ordered option stays; a new, unsold one goes; the last one of a published product stays.
    r = await api.client.post(f"/merchant/products/{product_id}/add-sku", data={
        "csrf_token": token, "attributes": "size=1kg", "price": "88", "stock": "5"})
    assert r.status_code == 303
    _, skus, _ = await _product(api, product_id)
    new_sku = skus[-1].id
    r = await api.client.post(f"/merchant/skus/{sku_id}/remove", data={"csrf_token": token})
    assert r.status_code == 409 and "set its stock to 0" in r.text
    r = await api.client.post(f"/merchant/skus/{new_sku}/remove", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].endswith("?saved=sku-removed")
    product, skus, _ = await _product(api, product_id)
    assert [k.id for k in skus] == [sku_id] and product.min_price == 4550
    async with api.db.transaction() as s:
        extra = Sku(product_id=product_id, price=100, stock=1, attributes={})
        s.add(extra)
    r = await api.client.post(f"/merchant/skus/{extra.id}/remove", data={"csrf_token": token})
    assert r.status_code == 303
    r = await api.client.post(f"/merchant/skus/{sku_id}/remove", data={"csrf_token": token})
    assert r.status_code == 409  # ordered, and the published product's last option
    assert merchant
