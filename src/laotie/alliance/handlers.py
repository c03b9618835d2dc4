"""The alliance joins the order's money (registered hooks) and follows cancellations of unpaid orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.service import commissions
from laotie.kit.events import bus
from laotie.orders import hooks

hooks.register(commissions.AllianceHooks())


@bus.on("order.cancelled", "alliance.void_unpaid")
async def void_unpaid(s: AsyncSession, payload: dict[str, Any]) -> None:
    await commissions.void_unpaid(s, int(payload["order_id"]))
