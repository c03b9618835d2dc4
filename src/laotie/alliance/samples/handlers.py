"""A shipped sample is promoted when its creator puts the product in a live cart or a video's cart, or sells one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.samples import service
from laotie.kit.events import bus
from laotie.live.service.sessions import get_session
from laotie.models import AllianceListing, CommissionLine


@bus.on("live.cart_changed", "alliance.samples.live_cart")
async def live_cart(s: AsyncSession, event: dict[str, Any]) -> None:
    session = await get_session(s, int(event["session_id"]))
    await service.promote(s, session.host_id, [int(p) for p in event["product_ids"]], "live")


@bus.on("video.published", "alliance.samples.video_published")
@bus.on("video.cart_changed", "alliance.samples.video_cart")
async def video_cart(s: AsyncSession, event: dict[str, Any]) -> None:
    await service.promote(s, int(event["owner_id"]), [int(p) for p in event["product_ids"]], "video")


@bus.on("commission.estimated", "alliance.samples.sold")
async def sold(s: AsyncSession, event: dict[str, Any]) -> None:
    """One unit sold through the alliance (a paid, attributed line) promotes the product."""
    line = await s.get(CommissionLine, int(event["commission_line_id"]))
    listing = await s.get(AllianceListing, line.listing_id) if line is not None else None
    if line is not None and listing is not None:
        await service.promote(s, line.promoter_id, [listing.product_id], "sale")
