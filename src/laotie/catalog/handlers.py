"""Catalog's reactions to other domains' events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service
from laotie.kit.events import bus


@bus.on("order.paid", "catalog.count_sales")
async def count_sales(s: AsyncSession, event: dict[str, Any]) -> None:
    await service.product_sold(s, {int(k): int(v) for k, v in event.get("products", {}).items()})


@bus.on("fraud.ring_confirmed", "catalog.uncount_fake_sales")
async def uncount_fake_sales(s: AsyncSession, event: dict[str, Any]) -> None:
    """A confirmed fake-order ring's orders stop counting in products' sales figures."""
    from laotie.orders.service import queries  # orders imports catalog: import when called

    sold = await queries.sold_quantities(s, [int(o) for o in event["order_ids"]])
    await service.product_sold(s, {product: -qty for product, qty in sold.items()})
