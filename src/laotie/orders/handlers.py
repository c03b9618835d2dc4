"""Orders' reactions to events: the sandbox gateway's callback."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import bus
from laotie.orders.gateway import gateway_for
from laotie.orders.service import payment


@bus.on("sandbox.charge_decided", "orders.sandbox_notify")
async def sandbox_notify(s: AsyncSession, event: dict[str, Any]) -> None:
    settings = s.info["db"].settings
    body, signature = gateway_for(settings).notification(
        payment_id=event["payment_id"], amount=event["amount"], currency=event["currency"],
        status=event["status"], reason=event["reason"],
    )
    await payment.handle_notification(s, settings, body, signature)
