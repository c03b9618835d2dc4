"""Deposits: the requirement per category freezes listing until the merchant tops up through the gateway."""

from __future__ import annotations

from sqlalchemy import select

from laotie.ledger import accounts as acct
from laotie.models import Product
from laotie.trust.deposits import service as deposits
from tests.support import Api


async def test_deposit_gates_listing_and_deductions_freeze_again(api: Api) -> None:
    op = await api.operator()
    category = await api.category(op)
    merchant = await api.user("merchant")
    r = await api.call("PUT", f"/api/v1/categories/{category}/deposit", merchant, json={"amount": 100_000})
    assert r.status_code == 403
    await api.call("PUT", f"/api/v1/categories/{category}/deposit", op, expect=204, json={"amount": 100_000})
    await api.call("PUT", f"/api/v1/categories/{category}/deposit", op, expect=422, json={"amount": -1})

    await api.call("POST", "/api/v1/shops", merchant, expect=201, json={"name": "deposit shop"})
    product = (await api.call("POST", "/api/v1/products", merchant, expect=201, json={
        "title": "Tea", "category_id": category, "skus": [{"price": 1000, "stock": 5}]})).json()
    r = await api.call("POST", f"/api/v1/products/{product['id']}/publish", merchant, expect=403)
    assert r.json()["code"] == "deposit_below_requirement"
    assert r.json()["details"] == {"required": 100_000, "balance": 0}
    async with api.db.transaction() as s:
        assert (await s.get(Product, product["id"])).status == "draft"

    for bad in ({"amount": 0}, {"amount": "lots"}, {}):
        r = await api.call("POST", "/api/v1/shops/mine/deposit/topups", merchant, json=bad, expect=422)
        assert r.json()["field"] == "amount"
    topup = (await api.call("POST", "/api/v1/shops/mine/deposit/topups", merchant, expect=201,
                            json={"amount": 100_000})).json()
    got = (await api.call("GET", "/api/v1/shops/mine/deposit", merchant, expect=200)).json()
    assert (got["balance"], got["frozen"]) == (0, False)  # nothing listed yet, nothing required yet
    await api.pay(merchant, topup["payment_id"])
    got = (await api.call("GET", f"/api/v1/shops/mine/deposit/topups/{topup['id']}", merchant, expect=200)).json()
    assert got["status"] == "credited"
    await api.call("POST", f"/api/v1/products/{product['id']}/publish", merchant, expect=200)
    got = (await api.call("GET", "/api/v1/shops/mine/deposit", merchant, expect=200)).json()
    assert got == {"shop_id": got["shop_id"], "balance": 100_000, "required": 100_000, "shortfall": 0,
                   "frozen": False}

    # A penalty fee takes it below the requirement: new listings wait for a top-up.
    async with api.db.transaction() as s:
        await deposits.deduct(s, got["shop_id"], 30_000, kind="penalty.fee", ref="case:test",
                              to=acct.PENALTY_REVENUE, memo="test fee")
        await deposits.deduct(s, got["shop_id"], 30_000, kind="penalty.fee", ref="case:test",
                              to=acct.PENALTY_REVENUE, memo="posted once")
    got = (await api.call("GET", "/api/v1/shops/mine/deposit", merchant, expect=200)).json()
    assert (got["balance"], got["shortfall"], got["frozen"]) == (70_000, 30_000, True)
    second = (await api.call("POST", "/api/v1/products", merchant, expect=201, json={
        "title": "More tea", "category_id": category, "skus": [{"price": 1000, "stock": 5}]})).json()
    r = await api.call("POST", f"/api/v1/products/{second['id']}/publish", merchant, expect=403)
    assert r.json()["code"] == "deposit_below_requirement"
    async with api.db.transaction() as s:
        listed = (await s.execute(select(Product.status).where(Product.id == product["id"]))).scalar_one()
    assert listed == "published"  # what is already listed stays listed
    assert await api.ledger_ok()
