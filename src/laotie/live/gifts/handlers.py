"""Gifts react to events: each gift is said in the room with the ranking."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import bus
from laotie.live import room
from laotie.live.gifts import service as gifts


@bus.on("gift.sent", "live.announce:gift.sent")
async def announce_gift(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A gift is said in the room with the ranking as it now stands, so no viewer has to ask for it."""
    total, ranking = await gifts.gift_ranking(s, int(payload["session_id"]), limit=gifts.RANKING_SHOWN)
    body = f"{payload['sender']} sent {payload['emoji']} {payload['name']} ×{payload['count']}"
    await room.announce(s, int(payload["session_id"]), "gift.sent", {
        **payload, "total_coins": total,
        "ranking": [{"rank": r.rank, "user_id": r.user_id, "name": r.name, "coins": r.coins} for r in ranking],
    }, body)

