"""The alliance reacts to a confirmed fake-order ring, and lends the fraud queue its commission evidence."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.governance import service
from laotie.kit.events import bus
from laotie.trust.fraud import service as fraud

fraud.register_commission_reader(service.ring_commissions)


@bus.on("fraud.ring_confirmed", "alliance.forfeit_ring_commissions")
async def forfeit_ring_commissions(s: AsyncSession, payload: dict[str, Any]) -> None:
    await service.forfeit_ring_commissions(s, int(payload["ring_id"]), [int(o) for o in payload["order_ids"]],
                                           str(payload.get("reason", "")))
