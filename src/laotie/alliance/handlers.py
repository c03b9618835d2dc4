"""The alliance joins the order's money (registered hooks) and tells promoters of rate changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.service import commissions
from laotie.kit.events import bus
from laotie.orders import hooks
from laotie.social.inbox import service as inbox

hooks.register(commissions.AllianceHooks())



@bus.on("alliance.rate_changed", "alliance.tell_promoters")
async def tell_promoters(s: AsyncSession, payload: dict[str, Any]) -> None:
    """Creators promoting a product hear of a rate change, and of when a cut reaches them."""
    old, new = int(payload["from_bps"]), int(payload["to_bps"])
    if old == new:
        return
    when = str(payload["reaches_promoters_at"])[:10]
    if new > old:
        title = f"佣金上调 Commission raised: {old / 100:g}% → {new / 100:g}%, from now on"
    else:
        title = f"佣金下调 Commission cut: {old / 100:g}% → {new / 100:g}% for you from {when}"
    for creator_id in payload["promoter_ids"]:
        await inbox.notify(s, int(creator_id), "alliance.rate_changed", title, url="/api/v1/alliance/library",
                           payload={"listing_id": payload["listing_id"], "from_bps": old, "to_bps": new,
                                    "reaches_promoters_at": payload["reaches_promoters_at"]})
