"""Live rooms react to events: system messages on the room's channel, after commit."""

from __future__ import annotations

from datetime import datetime
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


@bus.on("live.ended", "live.pk_stream_ended")
async def end_pk_with_stream(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A PK cannot outlive either stream: open challenges lapse, a running one ends now."""
    from laotie.live.pk import service as pk

    await pk.stream_ended(s, int(payload["session_id"]))


@bus.on("live.ended", "live.close_session_flashes")
async def close_session_flashes(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A flash cannot outlive its stream: close them and give the unsold stock back."""
    from laotie.live.sale.service import flash

    for flash_id in await flash.open_for_session(s, int(payload["session_id"])):
        await flash.close_flash(s, flash_id, reason="stream_ended")


@bus.on("chat.commented", "live.lucky_bag_entries")
async def enter_lucky_bags(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A comment naming an open bag's keyword enters its author (once per bag)."""
    from laotie.live.sale.service import lucky_bags

    await lucky_bags.enter_by_comment(s, int(payload["session_id"]), int(payload["user_id"]), str(payload["body"]),
                                      datetime.fromisoformat(str(payload["at"])))


@bus.on("order.cancelled", "live.coupon_give_back")
async def give_coupon_back(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A cancelled or expired order's coupon goes back to the buyer, to use on another order."""
    from laotie.live.sale.service import coupons

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



@bus.on("gift.sent", "live.announce:gift.sent")
async def announce_gift(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A gift is said in the room with the ranking as it now stands, so no viewer has to ask for it."""
    from laotie.live.gifts import service as gifts

    total, ranking = await gifts.gift_ranking(s, int(payload["session_id"]), limit=gifts.RANKING_SHOWN)
    body = f"{payload['sender']} sent {payload['emoji']} {payload['name']} ×{payload['count']}"
    await room.announce(s, int(payload["session_id"]), "gift.sent", {
        **payload, "total_coins": total,
        "ranking": [{"rank": r.rank, "user_id": r.user_id, "name": r.name, "coins": r.coins} for r in ranking],
    }, body)

