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


@bus.on("live.ended", "live.close_session_flashes")
async def close_session_flashes(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A flash cannot outlive its stream: close them and give the unsold stock back."""
    from laotie.live.service import flash

    for flash_id in await flash.open_for_session(s, int(payload["session_id"])):
        await flash.close_flash(s, flash_id, reason="stream_ended")


@bus.on("flash.scheduled", "live.flash_gate_load")
async def load_flash_gate(s: AsyncSession, payload: dict[str, Any]) -> None:
    """In Redis mode, put a new flash into the gate before the countdown ends."""
    gate = s.info["db"].services.get("flash_gate")
    if gate is not None:
        await gate.load(s, int(payload["flash_id"]))


@bus.on("flash.closed", "live.flash_gate_close")
async def close_flash_gate(s: AsyncSession, payload: dict[str, Any]) -> None:
    gate = s.info["db"].services.get("flash_gate")
    if gate is not None:
        await gate.mark_closed(int(payload["flash_id"]))
