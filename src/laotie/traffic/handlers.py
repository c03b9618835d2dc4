"""The feed follows the catalogue of candidates and learns from orders, as events arrive.

Only the process that dispatches an event updates its index at once; the others catch up at
their next refresh (`FEED_REFRESH_SECONDS`), which reads the same database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import bus
from laotie.models import utcnow
from laotie.traffic.service import actions
from laotie.traffic.service.feed import feed_of


@bus.on("order.paid", "traffic.order_source")
async def learn_from_order(s: AsyncSession, payload: dict[str, Any]) -> None:
    db = s.info["db"]
    await actions.record_order(s, db.services.get("feed"), int(payload["order_id"]))


async def _refresh(s: AsyncSession, _payload: dict[str, Any]) -> None:
    feed = feed_of(s.info["db"])
    if feed.loaded:
        await feed.refresh(s, utcnow())


for _event in ("video.published", "video.removed", "live.started", "live.ended", "official.tagged",
               "official.untagged"):
    bus.on(_event, f"traffic.candidates:{_event}")(_refresh)
