"""Every checkout path records the ordering device's fingerprint (for fake-order detection)."""

from __future__ import annotations

from sqlalchemy import select

from laotie.models import Order
from laotie.orders.service.checkout import device_fingerprint
from tests.support import ADDRESS, Api


async def test_buy_now_and_cart_checkouts_record_the_device(api: Api) -> None:
    op = await api.operator()
    _, _, sku = await api.merchant_with_product(await api.category(op), stock=10)
    buyer = await api.user()
    headers = {"X-Device-Id": "phone-123"}
    await api.call("POST", "/api/v1/checkout", buyer, expect=201, headers=headers,
                   json={"items": [{"sku_id": sku, "quantity": 1}], "address": ADDRESS})
    await api.call("POST", "/api/v1/cart/items", buyer, expect=204, json={"sku_id": sku, "quantity": 1})
    await api.call("POST", "/api/v1/cart/checkout", buyer, expect=201, headers=headers, json={"address": ADDRESS})
    await api.call("POST", "/api/v1/checkout", buyer, expect=201,
                   json={"items": [{"sku_id": sku, "quantity": 1}], "address": ADDRESS})
    async with api.db.transaction() as s:
        prints = (await s.execute(select(Order.device_fp).order_by(Order.id))).scalars().all()
    assert prints == [device_fingerprint("phone-123")] * 2 + [None]
