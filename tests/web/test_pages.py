"""Pages over HTTP: CSRF, sign-in, refusals shown in place and rolled back, merchant and operator pages."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from laotie.models import Order, Payment, Sku
from tests.support import Api


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def sign_in(api: Api, username: str, password: str = "password123") -> str:
    page = await api.client.get("/login")
    token = csrf_of(page.text)
    r = await api.client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                              "next": "/orders"})
    assert r.status_code == 303 and r.headers["location"] == "/orders", r.text
    return token


async def test_forms_need_the_csrf_token(api: Api) -> None:
    await api.user(name="alice")
    r = await api.client.post("/login", data={"username": "alice", "password": "password123"})
    assert r.status_code == 403 and "expired" in r.text
    page = await api.client.get("/login")
    token = csrf_of(page.text)
    r = await api.client.post("/login", data={"username": "alice", "password": "wrong", "csrf_token": token})
    assert r.status_code == 401 and "wrong username or password" in r.text
    r = await api.client.post("/login", data={"username": "alice", "password": "password123",
                                              "csrf_token": token, "next": "//evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/"


async def test_sign_in_required_pages_redirect(api: Api) -> None:
    for path in ("/cart", "/orders", "/merchant", "/operator", "/checkout"):
        r = await api.client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path


async def test_page_refusal_is_friendly_and_leaves_nothing(api: Api) -> None:
    op = await api.operator()
    _, product, sku = await api.merchant_with_product(await api.category(op), stock=1, price=4200)
    await api.user(name="bob")
    token = await sign_in(api, "bob")
    page = await api.client.get(f"/checkout?sku={sku}&qty=2")
    assert page.status_code == 200 and "¥84.00" in page.text
    form = {"csrf_token": token, "sku": str(sku), "qty": "2", "recipient": "Bob", "phone": "13800000000",
            "address": "1 Road", "idempotency_key": "page-key-1"}
    r = await api.client.post("/checkout", data=form)
    assert r.status_code == 409 and "not enough stock left" in r.text and 'data-code="sold_out"' in r.text
    r = await api.client.post("/checkout", data={**form, "phone": "call me"})
    assert r.status_code == 422 and "phone" in r.text
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(Order))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(Payment))).scalar_one() == 0
        assert (await s.get(Sku, sku)).stock == 1
    r = await api.client.post("/checkout", data={**form, "qty": "1", "idempotency_key": "page-key-2"})
    assert r.status_code == 303 and r.headers["location"].startswith("/sandbox/pay/")
    again = await api.client.post("/checkout", data={**form, "qty": "1", "idempotency_key": "page-key-2"})
    assert again.headers["location"] == r.headers["location"]  # a double-submitted form is one order
    pay = await api.client.get(r.headers["location"])
    assert "Pay ¥42.00" in pay.text
    r = await api.client.post(r.headers["location"], data={"csrf_token": token, "decision": "approve"})
    assert r.status_code == 303
    await api.settle()
    order_page = await api.client.get(r.headers["location"])
    assert 'data-status="paid"' in order_page.text
    assert (await api.client.get(f"/products/{product}")).status_code == 200


async def test_merchant_and_operator_pages(api: Api) -> None:
    op_token = await api.operator()
    await api.category(op_token, name="Tea")
    r = await api.call("POST", "/api/v1/auth/register", expect=201,
                       json={"username": "shopkeeper", "password": "password123", "roles": ["merchant"]})
    assert r.json()["user"]["username"] == "shopkeeper"
    token = await sign_in(api, "shopkeeper")
    assert "Open your shop" in (await api.client.get("/merchant")).text
    r = await api.client.post("/merchant/shop", data={"csrf_token": token, "name": "Tea house"})
    assert r.status_code == 303
    console = await api.client.get("/merchant")
    assert "Tea house" in console.text and 'data-balance="available"' in console.text
    products = await api.client.get("/merchant/products")
    category_id = re.search(r'<option value="(\d+)">Tea', products.text).group(1)  # type: ignore[union-attr]
    r = await api.client.post("/merchant/products", data={
        "csrf_token": token, "title": "Longjing 100g", "category_id": category_id, "price": "oops"})
    assert r.status_code == 422 and "59.90" in r.text
    r = await api.client.post("/merchant/products", data={
        "csrf_token": token, "title": "Longjing 100g", "category_id": category_id, "price": "88.5",
        "stock": "12", "attributes": "grade=A", "publish": "1"})
    assert r.status_code == 303
    listing = await api.client.get("/?q=longjing")
    assert "Longjing 100g" in listing.text and "¥88.50" in listing.text
    # operator page is refused to a merchant, shown to an operator
    assert (await api.client.get("/operator")).status_code == 403
