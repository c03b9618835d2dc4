"""Selling in the room reacts to events: flashes close with their stream, lucky-bag entries, coupons return."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import bus
from laotie.live.sale.service import coupons, flash, lucky_bags


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


@bus.on("flash.closed", "live.flash_gate_close")
async def close_flash_gate(s: AsyncSession, payload: dict[str, Any]) -> None:
    gate = s.info["db"].services.get("flash_gate")
    if gate is not None:
        await gate.mark_closed(int(payload["flash_id"]))

