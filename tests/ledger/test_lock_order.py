"""One global ledger lock order: transactions posting several entries never deadlock each other."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from laotie.ledger import accounts
from laotie.ledger import service as ledger
from laotie.models import Order
from laotie.orders.service import refunds
from tests.support import Api, both_databases


async def _paid_orders(api: Api, count: int) -> tuple[int, list[int]]:
    op = await api.operator()
    _, _, sku = await api.merchant_with_product(await api.category(op, rate_bps=0), price=5000, stock=count)
    buyer = await api.user()
    for _ in range(count):
        await api.pay(buyer, (await api.buy(buyer, sku)).json()["payment_id"])
    async with api.db.transaction() as s:
        rows = (await s.execute(select(Order.id, Order.shop_id).where(Order.status == "paid")
                                .order_by(Order.id))).all()
    return rows[0].shop_id, [r.id for r in rows]


@both_databases
async def test_small_refunds_and_payments_of_one_shop_never_deadlock(api: Api) -> None:
    # A 1-fen refund in a 0 bps category has no commission line: its first entry touches the
    # shop's pending account, its second gateway clearing; a payment touches both the other way.
    shop_id, order_ids = await _paid_orders(api, 4)
    before = await _pending(api, shop_id)
    rounds = 40

    async def refund(i: int) -> None:
        async with api.db.transaction() as s:
            await refunds.refund_order(s, api.db.settings, order_ids[i % len(order_ids)], 1, reason="test",
                                       ref=f"lock-order:{i}")

    async def payment(i: int) -> None:
        async with api.db.transaction() as s:
            await ledger.record_order_paid(s, order_id=1_000_000 + i, shop_id=shop_id, total=300, commission=0)

    results = await asyncio.gather(*(f(i) for i in range(rounds) for f in (refund, payment)),
                                   return_exceptions=True)
    assert [r for r in results if r is not None] == []
    assert await _pending(api, shop_id) == before - rounds + 300 * rounds
    assert await api.ledger_ok()


async def _pending(api: Api, shop_id: int) -> int:
    async with api.db.transaction() as s:
        return (await ledger.shop_balances(s, shop_id)).pending


async def test_a_transaction_sees_its_own_postings_and_a_rolled_back_savepoint_takes_its_own(api: Api) -> None:
    async with api.db.transaction() as s:
        await ledger.record_order_paid(s, order_id=1, shop_id=9, total=1000, commission=50)
        assert (await ledger.shop_balances(s, 9)).pending == 950
        with pytest.raises(RuntimeError):
            async with s.begin_nested():
                await ledger.record_order_completed(s, order_id=1, shop_id=9, net=950)
                assert (await ledger.shop_balances(s, 9)) == ledger.ShopBalances(pending=0, available=950)
                raise RuntimeError("refused after posting")
        assert (await ledger.shop_balances(s, 9)) == ledger.ShopBalances(pending=950, available=0)
        async with s.begin_nested():
            await ledger.post_entry(s, "test.move", "1", [(accounts.shop_pending(9), 100),
                                                           (accounts.shop_available(9), -100)])
    async with api.db.transaction() as s:
        assert (await ledger.shop_balances(s, 9)) == ledger.ShopBalances(pending=850, available=100)
    assert await api.ledger_ok()
