"""Catalog's reactions to other domains' events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service
from laotie.kit.events import bus


@bus.on("order.paid", "catalog.count_sales")
async def count_sales(s: AsyncSession, event: dict[str, Any]) -> None:
    await service.product_sold(s, {int(k): int(v) for k, v in event.get("products", {}).items()})
