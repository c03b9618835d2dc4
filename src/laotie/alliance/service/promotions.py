"""Creators take library products (带货): at once, or by applying for the merchant's approval.

A taken product is in the creator's showcase (橱窗) and may go into their live cart and video
cart; orders from those places are attributed to them (`commissions.attribute`).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance import repository
from laotie.alliance.errors import (
    AlreadyPromoting,
    ExclusiveListing,
    PromotionNotFound,
)
from laotie.alliance.service import listings
from laotie.alliance.service.listings import owned_listing
from laotie.identity import service as identity
from laotie.identity.auth import require_role
from laotie.kit.errors import InvalidState
from laotie.kit.events import record_event
from laotie.models import AllianceListing, AlliancePromotion, Product, User, utcnow


async def take_product(s: AsyncSession, creator: User, listing_id: int, *,
                       leader_id: int | None = None) -> AlliancePromotion:
    """Add a library product to the showcase, or apply for it when its merchant approves promoters.

    `leader_id`: taken from that group leader's sub-library (the caller checked their offer stands).
    """
    require_role(creator, "creator")
    listing = await listings.open_listing(
        s, creator, listing_id, own="this is your own shop's product: it is in your cart without the alliance")
    now = utcnow()
    if (listing.exclusive_creator_id not in (None, creator.id) and listing.exclusive_until is not None
            and now < listing.exclusive_until):
        raise ExclusiveListing("another creator has this product exclusively for now",
                               until=listing.exclusive_until.isoformat())
    status = "applied" if listing.needs_approval else "approved"
    existing = await repository.promotion(s, creator.id, listing.id)
    if existing is not None:
        if existing.status in ("applied", "approved"):
            raise AlreadyPromoting("you have this product already" if existing.status == "approved"
                                   else "you applied for this product already", state=existing.status)
        existing.status, existing.rate_bps, existing.decided_at = status, listing.rate_bps, None
        existing.in_showcase, existing.leader_id = True, leader_id
        promotion = existing
    else:
        promotion = AlliancePromotion(listing_id=listing.id, creator_id=creator.id, rate_bps=listing.rate_bps,
                                      status=status, in_showcase=True, leader_id=leader_id)
        try:
            async with s.begin_nested():
                s.add(promotion)
                await s.flush()
        except IntegrityError:
            raise AlreadyPromoting("you have this product already") from None
    if status == "approved":
        promotion.decided_at = now
    await s.flush()
    await record_event(s, f"alliance.promotion_{status}", {"promotion_id": promotion.id, "listing_id": listing.id,
                                                           "creator_id": creator.id, "shop_id": listing.shop_id,
                                                           "leader_id": leader_id})
    return promotion


async def decide(s: AsyncSession, merchant: User, promotion_id: int, *, approve: bool) -> AlliancePromotion:
    promotion = await s.get(AlliancePromotion, promotion_id)
    if promotion is None:
        raise PromotionNotFound("no such application")
    listing = await owned_listing(s, merchant, promotion.listing_id)
    if promotion.status != "applied":
        raise InvalidState(f"this application is {promotion.status} already", code="application_decided")
    promotion.status = "approved" if approve else "declined"
    promotion.rate_bps = listing.rate_bps
    promotion.decided_at = utcnow()
    await s.flush()
    await record_event(s, f"alliance.promotion_{promotion.status}", {
        "promotion_id": promotion.id, "listing_id": listing.id, "creator_id": promotion.creator_id,
        "shop_id": listing.shop_id})
    return promotion


async def remove(s: AsyncSession, creator: User, listing_id: int) -> AlliancePromotion:
    promotion = await repository.promotion(s, creator.id, listing_id)
    if promotion is None or promotion.status not in ("applied", "approved"):
        raise PromotionNotFound("you do not have this product")
    promotion.status, promotion.in_showcase = "removed", False
    await s.flush()
    return promotion


async def showcase(s: AsyncSession, creator_id: int) -> list[tuple[AlliancePromotion, AllianceListing, Product]]:
    """The creator's showcase (橱窗): approved promotions of products in the library now."""
    await identity.get_user(s, creator_id)
    rows = await repository.promotions_of(s, creator_id, ("approved",))
    return [r for r in rows if r[0].in_showcase and r[1].status == "active" and r[2].status == "published"]


async def promotable(s: AsyncSession, creator_id: int, product_id: int) -> bool:
    """Whether the creator may put this product in their live or video cart through the alliance."""
    listing = await repository.listing_of_product(s, product_id)
    if listing is None or listing.status != "active":
        return False
    promotion = await repository.promotion(s, creator_id, listing.id)
    return promotion is not None and promotion.status == "approved"
