"""Sales counts: paid orders count; a confirmed fake-order ring's orders are taken back out."""

from __future__ import annotations

from laotie.kit.events import record_event
from laotie.models import Product
from tests.support import Api


async def test_a_confirmed_rings_orders_stop_counting_in_sales(api: Api) -> None:
    op = await api.operator()
    _, product, sku = await api.merchant_with_product(await api.category(op), price=1000, stock=10)
    buyer = await api.user()
    orders = []
    for qty in (2, 1, 3):
        c = (await api.buy(buyer, sku, quantity=qty)).json()
        await api.pay(buyer, c["payment_id"])
        orders.append(c["order_ids"][0])
    async with api.db.transaction() as s:
        assert (await s.get(Product, product)).sold_count == 6
        await record_event(s, "fraud.ring_confirmed", {"ring_id": 1, "shop_ids": [], "buyer_ids": [],
                                                       "creator_ids": [], "order_ids": orders[:2], "by": 1,
                                                       "reason": "test"})
    await api.settle()
    async with api.db.transaction() as s:
        assert (await s.get(Product, product)).sold_count == 3  # the honest order of 3 still counts
