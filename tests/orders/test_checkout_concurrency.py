"""Checkout under contention: never oversold, refusals are clean, the ledger balances."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from laotie.models import Order, OrderLine, Payment, Sku
from tests.support import Api, both_databases


@both_databases
async def test_200_buyers_50_in_stock(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op)
    _, _, sku_id = await api.merchant_with_product(cat, price=2990, stock=50)
    buyers = await asyncio.gather(*(api.user() for _ in range(200)))

    responses = await asyncio.gather(*(api.buy(b, sku_id, expect=None) for b in buyers))

    codes = Counter(r.status_code for r in responses)
    assert codes == {201: 50, 409: 150}, codes
    refusals = {r.json()["code"] for r in responses if r.status_code == 409}
    assert refusals == {"sold_out"}
    async with api.db.transaction() as s:
        assert (await s.get(Sku, sku_id)).stock == 0
        assert (await s.execute(select(func.count()).select_from(Order))).scalar_one() == 50
        assert (await s.execute(select(func.sum(OrderLine.quantity)))).scalar_one() == 50
        # A refused checkout leaves nothing behind: no payment, no order, no line.
        assert (await s.execute(select(func.count()).select_from(Payment))).scalar_one() == 50

    # Pay for half of them concurrently: the ledger must balance to the fen.
    paid = [r.json() for r in responses if r.status_code == 201][:25]
    owners = {r.json()["payment_id"]: b for r, b in zip(responses, buyers, strict=True) if r.status_code == 201}
    await asyncio.gather(*(api.pay(owners[p["payment_id"]], p["payment_id"]) for p in paid))
    assert await api.ledger_ok()
    async with api.db.transaction() as s:
        statuses = Counter((await s.execute(select(Order.status))).scalars())
    assert statuses == {"paid": 25, "pending_payment": 25}


@both_databases
async def test_multi_item_checkouts_in_opposite_orders_do_not_deadlock(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op)
    _, _, sku_a = await api.merchant_with_product(cat, stock=40)
    _, _, sku_b = await api.merchant_with_product(cat, stock=40)
    buyers = await asyncio.gather(*(api.user() for _ in range(30)))

    async def buy(token: str, first: int, second: int) -> int:
        r = await api.call("POST", "/api/v1/checkout", token, json={
            "items": [{"sku_id": first, "quantity": 1}, {"sku_id": second, "quantity": 1}],
            "address": {"recipient": "A", "phone": "13800000000", "address": "x"}})
        return r.status_code

    codes = await asyncio.gather(*(buy(b, *((sku_a, sku_b) if i % 2 else (sku_b, sku_a)))
                                   for i, b in enumerate(buyers)))
    assert Counter(codes) == {201: 30}
    async with api.db.transaction() as s:
        assert (await s.get(Sku, sku_a)).stock == 10
        assert (await s.get(Sku, sku_b)).stock == 10
        # one payment, two orders (one per shop) for each checkout
        assert (await s.execute(select(func.count()).select_from(Order))).scalar_one() == 60
