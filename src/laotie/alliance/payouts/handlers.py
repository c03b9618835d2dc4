"""Payouts react to their own requests (ask the gateway) and to the sandbox gateway's decisions (its callback)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.payouts import service
from laotie.alliance.payouts.errors import PayoutDecided
from laotie.kit.events import bus
from laotie.orders.gateway import gateway_for

log = logging.getLogger(__name__)


@bus.on("payout.requested", "alliance.payouts.send")
async def send(s: AsyncSession, event: dict[str, Any]) -> None:
    await service.send_payout(s, s.info["db"].settings, int(event["payout_id"]))


@bus.on("sandbox.payout_decided", "alliance.payouts.sandbox_notify")
async def sandbox_notify(s: AsyncSession, event: dict[str, Any]) -> None:
    settings = s.info["db"].settings
    body, signature = gateway_for(settings).payout_notification(
        payout_id=event["payout_id"], amount=event["amount"], currency=event["currency"],
        status=event["status"], reason=event["reason"], gateway_ref=event.get("gateway_ref"),
    )
    try:
        await service.handle_payout_notification(s, settings, body, signature)
    except PayoutDecided:
        # Two sandbox decisions raced: the first one's outcome stands, the second is dropped.
        log.info("sandbox decision for payout %s came after another", event["payout_id"])
