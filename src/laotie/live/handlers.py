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
    "coupon.pushed": "领券! A coupon is here",
    "lucky_bag.started": "福袋! A lucky bag is open",
    "lucky_bag.drawn": "The lucky bag has been drawn",
}


def _rooms(payload: dict[str, Any]) -> list[int]:
    """The rooms an event is said in: its session, or both sides of a PK."""
    if "challenger_session_id" in payload:
        return [int(payload["challenger_session_id"]), int(payload["opponent_session_id"])]
    return [int(payload["session_id"])]


def _announcer(event: str, body: str) -> Any:
    async def handle(s: AsyncSession, payload: dict[str, Any]) -> None:
        for session_id in _rooms(payload):
            await room.announce(s, session_id, event, payload, body)

    return handle


# A PK concerns two rooms: each of its events is said in both.
PK_EVENTS = {
    "pk.started": "PK! The contest has started",
    "pk.score": "",
    "pk.finished": "The PK is over",
    "pk.cancelled": "The PK was called off",
}


for _event, _body in {**ROOM_EVENTS, **PK_EVENTS}.items():
    bus.on(_event, f"live.announce:{_event}")(_announcer(_event, _body))

