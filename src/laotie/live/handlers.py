"""Live rooms react to events: system messages on the room's channel, after commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import bus
from laotie.live import room

ROOM_EVENTS = {
    "live.started": "The stream has started",
    "live.ended": "The stream has ended",
    "live.pinned": "",
    "live.cart_changed": "",
    "flash.scheduled": "3-2-1 上车!",
    "flash.opened": "On sale now",
    "flash.sold_out": "Sold out",
    "flash.closed": "",
}


def _announcer(event: str, body: str) -> Any:
    async def handle(s: AsyncSession, payload: dict[str, Any]) -> None:
        await room.announce(s, int(payload["session_id"]), event, payload, body)

    return handle


for _event, _body in ROOM_EVENTS.items():
    bus.on(_event, f"live.announce:{_event}")(_announcer(_event, _body))
