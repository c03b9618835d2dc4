"""Idempotency-Key on checkout: the same key gives the same orders, never a second set."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from laotie.models import Order, Sku
from tests.support import ADDRESS, Api, both_databases


@both_databases
async def test_same_key_same_orders(api: Api) -> None:
    op = await api.operator()
    _, _, sku = await api.merchant_with_product(await api.category(op), stock=10)
    buyer = await api.user()
    first = (await api.buy(buyer, sku, 2, key="k-1")).json()
    again = (await api.buy(buyer, sku, 2, key="k-1")).json()
    assert (again["payment_id"], again["order_ids"]) == (first["payment_id"], first["order_ids"])
    assert (first["replayed"], again["replayed"]) == (False, True)
    concurrent = await asyncio.gather(*(api.buy(buyer, sku, 1, key="k-2") for _ in range(8)))
    assert len({r.json()["payment_id"] for r in concurrent}) == 1
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(Order))).scalar_one() == 2
        assert (await s.get(Sku, sku)).stock == 7


async def test_key_reused_for_another_checkout_is_refused(api: Api) -> None:
    op = await api.operator()
    _, _, sku = await api.merchant_with_product(await api.category(op), stock=10)
    buyer, other = await api.user(), await api.user()
    await api.buy(buyer, sku, 1, key="same")
    r = await api.buy(buyer, sku, 3, key="same", expect=422)
    assert (r.json()["code"], r.json()["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    # keys are per buyer: another buyer's identical key is a new checkout
    assert (await api.buy(other, sku, 1, key="same")).json()["replayed"] is False


async def test_a_refused_checkout_does_not_burn_the_key(api: Api) -> None:
    op = await api.operator()
    _, _, sku = await api.merchant_with_product(await api.category(op), stock=1)
    buyer = await api.user()
    r = await api.buy(buyer, sku, 2, key="retry-me", expect=409)
    assert r.json()["code"] == "sold_out"
    ok = await api.call("POST", "/api/v1/checkout", buyer, expect=201, headers={"Idempotency-Key": "retry-me"},
                        json={"items": [{"sku_id": sku, "quantity": 1}], "address": ADDRESS})
    assert ok.json()["replayed"] is False
