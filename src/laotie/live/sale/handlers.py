"""Selling in the room reacts to events: flashes close with their stream, lucky-bag entries, coupons return."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import publish_after_commit
from laotie.kit.events import bus
from laotie.live import room
from laotie.live.sale.board import CHANNEL, FlashBoard, FlashFacts, now_ms
from laotie.live.sale.service import coupons, flash, lucky_bags
from laotie.models import FlashListing


@bus.on("live.ended", "live.close_session_flashes")
async def close_session_flashes(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A flash cannot outlive its stream: close them and give the unsold stock back."""
    for flash_id in await flash.open_for_session(s, int(payload["session_id"])):
        await flash.close_flash(s, flash_id, reason="stream_ended")


@bus.on("chat.commented", "live.lucky_bag_entries")
async def enter_lucky_bags(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A comment naming an open bag's keyword enters its author (once per bag)."""
    await lucky_bags.enter_by_comment(s, int(payload["session_id"]), int(payload["user_id"]), str(payload["body"]),
                                      datetime.fromisoformat(str(payload["at"])))


@bus.on("order.cancelled", "live.coupon_give_back")
async def give_coupon_back(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A cancelled or expired order's coupon goes back to the buyer, to use on another order."""
    await coupons.give_back_for_order(s, int(payload["order_id"]))


@bus.on("flash.scheduled", "live.flash_gate_load")
async def load_flash_gate(s: AsyncSession, payload: dict[str, Any]) -> None:
    """In Redis mode, put a new flash into the gate before the countdown ends."""
    gate = s.info["db"].services.get("flash_gate")
    if gate is not None:
        await gate.load(s, int(payload["flash_id"]))


@bus.on("flash.scheduled", "live.flash_board_scheduled")
async def tell_boards_scheduled(s: AsyncSession, payload: dict[str, Any]) -> None:
    """Every process learns the countdown at once: taps before it ends are refused from memory."""
    await _tell_boards(s, int(payload["flash_id"]), "scheduled", to_room=False)


@bus.on("flash.closed", "live.flash_board_closed")
async def tell_boards_closed(s: AsyncSession, payload: dict[str, Any]) -> None:
    """Every process and every viewer learns the sale is over: the buttons close."""
    await _tell_boards(s, int(payload["flash_id"]), "closed", to_room=True)


async def _tell_boards(s: AsyncSession, flash_id: int, state: str, *, to_room: bool) -> None:
    listing = await s.get(FlashListing, flash_id)
    if listing is None:
        return
    facts = FlashFacts(listing.session_id, listing.sku_id, _ms(listing.opens_at),
                       _ms(listing.closes_at) if listing.closes_at else None)
    text = FlashBoard.state_message(flash_id, facts, state, now_ms())
    await publish_after_commit(s, CHANNEL, text)  # the boards first, as FlashBoard.publish does
    if to_room:
        await publish_after_commit(s, room.channel(listing.session_id), text)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@bus.on("flash.closed", "live.flash_gate_close")
async def close_flash_gate(s: AsyncSession, payload: dict[str, Any]) -> None:
    gate = s.info["db"].services.get("flash_gate")
    if gate is not None:
        await gate.mark_closed(int(payload["flash_id"]))

