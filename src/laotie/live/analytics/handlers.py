"""Live analytics reacts to events: orders and GMV per minute, the session summary when it ends."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import bus
from laotie.live.analytics import service as analytics


def _from_a_live_room(payload: dict[str, Any]) -> bool:
    return str(payload.get("source", "")).startswith("live:")


# Only orders placed in a live room: every other checkout records its event already dispatched.
@bus.on("order.placed", "live.count_order", when=_from_a_live_room)
async def count_live_order(s: AsyncSession, payload: dict[str, Any]) -> None:
    await analytics.record_order_placed(s, int(payload["order_id"]), payload.get("source"))


@bus.on("order.paid", "live.count_gmv")
async def count_live_gmv(s: AsyncSession, payload: dict[str, Any]) -> None:
    await analytics.record_order_paid(s, int(payload["order_id"]))


@bus.on("live.ended", "live.summarise")
async def summarise_ended(s: AsyncSession, payload: dict[str, Any]) -> None:
    """Keep the session's summary; live.settle_summaries adds what lands later (last flushes, payments)."""
    await analytics.summarise_session(s, int(payload["session_id"]))
