"""Group leaders (团长): a creator who recruits library products for other creators, for a share of the commission.

No new role: any creator may act as a group leader — a leader is a creator with accepted
offers, and most leaders also sell themselves, so a flag or role would only add a grant step
without deciding anything the offers do not already decide.

- **Offer**: the leader proposes a fee on a library listing — basis points OF THE COMMISSION,
  0–9000 (`SharePlan.leader_bps`), so the merchant's cost stays the rate it listed. The
  listing's merchant accepts or declines it, once. Declined or ended offers may be proposed again.
- **Sub-library**: the accepted offers on listings in the library now. A creator who takes a
  product from it promotes it through the leader (`AlliancePromotion.leader_id`), and every
  line they sell carries the leader and the fee (attributed at checkout by the one lookup).
- **End**: the leader or the merchant ends an offer at any time; later sales of creators who
  took the product through the leader carry no leader fee (the creator keeps it). Lines already
  sold keep the plan they were sold under.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.leaders import repository
from laotie.alliance.leaders.errors import (
    AlreadyOffered,
    FeeOutOfRange,
    NotInSubLibrary,
    NotYourOffer,
    OfferDecided,
    OfferNotFound,
    OwnSubLibrary,
)
from laotie.alliance.service import listings, promotions
from laotie.catalog import service as catalog
from laotie.identity import service as identity
from laotie.identity.auth import require_role
from laotie.kit.events import record_event
from laotie.models import AllianceLeaderOffer, AlliancePromotion, User, utcnow

MAX_FEE_BPS = 9_000


async def propose_offer(s: AsyncSession, leader: User, listing_id: int, fee_bps: int) -> AllianceLeaderOffer:
    """The leader asks a merchant to let them bring creators to a listing for `fee_bps` of its commission."""
    require_role(leader, "creator")
    if not 0 <= fee_bps <= MAX_FEE_BPS:
        raise FeeOutOfRange(f"a group leader's fee is between 0 and {MAX_FEE_BPS} basis points of the commission",
                            field="fee_bps")
    listing = await listings.open_listing(s, leader, listing_id, own="this is your own shop's product")
    existing = await repository.offer_of(s, leader.id, listing.id)
    if existing is not None:
        if existing.status in ("proposed", "accepted"):
            raise AlreadyOffered(f"your offer on this listing is {existing.status}", state=existing.status)
        existing.fee_bps, existing.status, existing.decided_at, existing.ended_at = fee_bps, "proposed", None, None
        offer = existing
    else:
        offer = AllianceLeaderOffer(listing_id=listing.id, leader_id=leader.id, shop_id=listing.shop_id,
                                    fee_bps=fee_bps, status="proposed")
        try:
            async with s.begin_nested():
                s.add(offer)
                await s.flush()
        except IntegrityError:
            raise AlreadyOffered("you have an offer on this listing already") from None
    await s.flush()
    await record_event(s, "alliance.leader_offer_proposed", {
        "offer_id": offer.id, "listing_id": listing.id, "leader_id": leader.id, "shop_id": listing.shop_id,
        "fee_bps": fee_bps})
    return offer


async def _offer(s: AsyncSession, offer_id: int) -> AllianceLeaderOffer:
    offer = await s.get(AllianceLeaderOffer, offer_id)
    if offer is None:
        raise OfferNotFound("no such offer")
    return offer


async def decide_offer(s: AsyncSession, merchant: User, offer_id: int, *, accept: bool) -> AllianceLeaderOffer:
    """The listing's merchant accepts (the product enters the leader's sub-library) or declines, once."""
    offer = await _offer(s, offer_id)
    shop = await catalog.get_shop(s, offer.shop_id)
    if shop.owner_id != merchant.id:
        raise NotYourOffer("only the listing's merchant decides this offer")
    status = "accepted" if accept else "declined"
    # A conditional update: two decisions racing each other, only one lands.
    claimed = (await s.execute(
        update(AllianceLeaderOffer).where(AllianceLeaderOffer.id == offer.id, AllianceLeaderOffer.status == "proposed")
        .values(status=status, decided_at=utcnow()).returning(AllianceLeaderOffer.id))).first()
    if claimed is None:
        await s.refresh(offer)
        raise OfferDecided(f"this offer is {offer.status} already", state=offer.status)
    await s.refresh(offer)
    await record_event(s, f"alliance.leader_offer_{status}", {
        "offer_id": offer.id, "listing_id": offer.listing_id, "leader_id": offer.leader_id,
        "shop_id": offer.shop_id, "fee_bps": offer.fee_bps})
    return offer


async def end_offer(s: AsyncSession, user: User, offer_id: int) -> AllianceLeaderOffer:
    """The leader withdraws, or the merchant ends, an offer: later sales through the leader carry no fee."""
    offer = await _offer(s, offer_id)
    if user.id != offer.leader_id:
        shop = await catalog.get_shop(s, offer.shop_id)
        if shop.owner_id != user.id:
            raise NotYourOffer("only the leader or the listing's merchant ends this offer")
    claimed = (await s.execute(
        update(AllianceLeaderOffer).where(AllianceLeaderOffer.id == offer.id,
                                          AllianceLeaderOffer.status.in_(("proposed", "accepted")))
        .values(status="ended", ended_at=utcnow()).returning(AllianceLeaderOffer.id))).first()
    if claimed is None:
        await s.refresh(offer)
        raise OfferDecided(f"this offer is {offer.status} already", code="offer_not_open", state=offer.status)
    await s.refresh(offer)
    await record_event(s, "alliance.leader_offer_ended", {
        "offer_id": offer.id, "listing_id": offer.listing_id, "leader_id": offer.leader_id,
        "shop_id": offer.shop_id, "by": user.id})
    return offer


async def take_through_leader(s: AsyncSession, creator: User, leader_id: int, listing_id: int
                              ) -> AlliancePromotion:
    """A creator takes a product from a leader's sub-library: their promotion remembers the leader."""
    require_role(creator, "creator")
    if creator.id == leader_id:
        raise OwnSubLibrary("take your own sub-library's products directly from the library")
    offer = await repository.offer_of(s, leader_id, listing_id)
    if offer is None or offer.status != "accepted":
        raise NotInSubLibrary("this product is not in that group leader's sub-library", field="listing_id")
    return await promotions.take_product(s, creator, listing_id, leader_id=leader_id)


async def sub_library(s: AsyncSession, leader_id: int, limit: int = 20, offset: int = 0
                      ) -> list[repository.OfferRow]:
    await identity.get_user(s, leader_id)
    return await repository.sub_library(s, leader_id, limit, offset)


async def my_offers(s: AsyncSession, leader: User, statuses: tuple[str, ...], limit: int = 50, offset: int = 0
                    ) -> list[repository.OfferRow]:
    """The leader's merchants, products and fees."""
    return await repository.offers_of_leader(s, leader.id, statuses, limit, offset)


async def offers_to_me(s: AsyncSession, merchant: User, statuses: tuple[str, ...], limit: int = 50,
                       offset: int = 0) -> list[repository.OfferRow]:
    """The offers leaders made on the merchant's listings."""
    shop = await catalog.my_shop(s, merchant)
    return await repository.offers_to_shop(s, shop.id, statuses, limit, offset)


async def sales(s: AsyncSession, leader: User) -> list[dict[str, int]]:
    """The leader's creators' sales and the fees earned on them."""
    return await repository.sales_by_creator(s, leader.id)
