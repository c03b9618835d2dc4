"""Samples (寄样): who may ask, the merchant's decision and parcel, and the creator's promise to promote.

- **Requested** (`request_sample`): a creator asks for an active library product not their own
  shop's. The listing's sample policy decides: `sample_min_sales` against the creator's attributed
  GMV over 30 days (paid, less refunds, from commission lines) and `sample_min_fans` against their
  fans; and their record: `alliance_sample_lapse_limit` samples lapsed in 90 days close the door.
  One open sample per creator and listing (a unique key, so a double tap makes one).
- **Approved / declined** by the merchant; **shipped** with a carrier and tracking number checked
  as orders' are. From shipping, the creator has `alliance_sample_promote_days` to promote it.
- **Fulfilled** when the creator puts the product in a live cart or a video's cart, or sells one
  through the alliance, before the deadline (`promote`, from those events); **lapsed** by a daily
  job after it. Both are conditional updates from `shipped`, so exactly one of them wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.errors import ListingNotFound, ListingPaused, OwnProduct
from laotie.alliance.samples import repository
from laotie.alliance.samples.errors import (
    FansTooFew,
    SalesTooLow,
    SampleNotFound,
    SampleOpen,
    TooManyLapsed,
    WrongSampleState,
)
from laotie.catalog import service as catalog
from laotie.catalog.auth import ensure_owns_shop
from laotie.config import Settings
from laotie.identity.auth import require_role
from laotie.kit.db import dialect_insert
from laotie.kit.events import record_event
from laotie.models import AllianceListing, AllianceSample, User, utcnow
from laotie.orders.service.lifecycle import check_shipment
from laotie.social.follows import service as follows

SALES_WINDOW = timedelta(days=30)
RECORD_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class Recipient:
    recipient: str
    phone: str
    address: str


@dataclass(frozen=True)
class Eligibility:
    """A creator's standing against a listing's sample policy."""

    sales_30d: int
    min_sales: int
    fans: int
    min_fans: int
    lapsed_90d: int
    lapse_limit: int

    @property
    def eligible(self) -> bool:
        return self.sales_30d >= self.min_sales and self.fans >= self.min_fans and self.lapsed_90d < self.lapse_limit


async def _listing(s: AsyncSession, listing_id: int) -> AllianceListing:
    listing = await s.get(AllianceListing, listing_id)
    if listing is None:
        raise ListingNotFound("no such listing", field="listing_id")
    return listing


async def eligibility(s: AsyncSession, settings: Settings, creator: User, listing_id: int,
                      now: datetime | None = None) -> Eligibility:
    now = now or utcnow()
    listing = await _listing(s, listing_id)
    return Eligibility(
        sales_30d=await repository.attributed_gmv(s, creator.id, now - SALES_WINDOW),
        min_sales=listing.sample_min_sales,
        fans=(await follows.counts(s, creator.id)).fans, min_fans=listing.sample_min_fans,
        lapsed_90d=await repository.lapsed_since(s, creator.id, now - RECORD_WINDOW),
        lapse_limit=settings.alliance_sample_lapse_limit,
    )


async def request_sample(s: AsyncSession, settings: Settings, creator: User, listing_id: int, to: Recipient,
                         now: datetime | None = None) -> AllianceSample:
    require_role(creator, "creator")
    now = now or utcnow()
    listing = await _listing(s, listing_id)
    if listing.status != "active":
        raise ListingPaused("this product is not in the library right now", field="listing_id")
    shop = await catalog.get_shop(s, listing.shop_id)
    if shop.owner_id == creator.id:
        raise OwnProduct("this is your own shop's product")
    e = await eligibility(s, settings, creator, listing.id, now)
    if e.lapsed_90d >= e.lapse_limit:
        raise TooManyLapsed("%(lapsed)s samples you received in the last 90 days were never promoted",
                            lapsed=e.lapsed_90d, limit=e.lapse_limit)
    if e.sales_30d < e.min_sales:
        raise SalesTooLow("your alliance sales over 30 days are below this product's sample threshold",
                          required=e.min_sales, actual=e.sales_30d)
    if e.fans < e.min_fans:
        raise FansTooFew("you have fewer fans than this product's sample threshold",
                         required=e.min_fans, actual=e.fans)
    inserted = (await s.execute(
        dialect_insert(s, AllianceSample).values(
            listing_id=listing.id, open_listing_id=listing.id, product_id=listing.product_id,
            shop_id=listing.shop_id, creator_id=creator.id, status="requested", recipient=to.recipient,
            phone=to.phone, address=to.address, created_at=now)
        .on_conflict_do_nothing().returning(AllianceSample.id)
    )).scalar()
    if inserted is None:
        raise SampleOpen("you already have a sample of this product requested or on its way")
    sample = await repository.sample(s, int(inserted))
    assert sample is not None
    await record_event(s, "sample.requested", {"sample_id": sample.id, "listing_id": listing.id,
                                               "shop_id": listing.shop_id, "creator_id": creator.id})
    return sample


async def _shop_sample(s: AsyncSession, merchant: User, sample_id: int) -> AllianceSample:
    sample = await repository.sample(s, sample_id)
    if sample is None:
        raise SampleNotFound("no such sample", field="sample_id")
    ensure_owns_shop(merchant, await catalog.get_shop(s, sample.shop_id))
    return sample


async def decide_sample(s: AsyncSession, merchant: User, sample_id: int, *, approve: bool,
                        reason: str = "") -> AllianceSample:
    sample = await _shop_sample(s, merchant, sample_id)
    status = "approved" if approve else "declined"
    values: dict[str, object] = {"status": status, "decided_at": utcnow()}
    if not approve:
        values |= {"decline_reason": reason or None, "open_listing_id": None}
    if not await repository.move(s, sample.id, "requested", **values):
        raise WrongSampleState(f"a sample that is {sample.status} cannot be {status}", state=sample.status)
    await record_event(s, f"sample.{status}", {"sample_id": sample.id, "creator_id": sample.creator_id,
                                               "shop_id": sample.shop_id})
    return await _reloaded(s, sample.id)


async def ship_sample(s: AsyncSession, settings: Settings, merchant: User, sample_id: int, *, carrier: str,
                      tracking_no: str, now: datetime | None = None) -> AllianceSample:
    sample = await _shop_sample(s, merchant, sample_id)
    check_shipment(carrier, tracking_no)
    now = now or utcnow()
    promote_by = now + timedelta(days=settings.alliance_sample_promote_days)
    if not await repository.move(s, sample.id, "approved", status="shipped", carrier=carrier.strip(),
                                 tracking_no=tracking_no, shipped_at=now, promote_by=promote_by):
        raise WrongSampleState(f"a sample that is {sample.status} cannot be shipped", state=sample.status)
    await record_event(s, "sample.shipped", {"sample_id": sample.id, "creator_id": sample.creator_id,
                                             "promote_by": promote_by.isoformat()})
    return await _reloaded(s, sample.id)


async def promote(s: AsyncSession, creator_id: int, product_ids: Sequence[int], how: str,
                  now: datetime | None = None) -> list[int]:
    """The creator promoted these products (live cart, video cart, an alliance sale): their shipped
    samples still within the deadline are fulfilled."""
    if not product_ids:
        return []
    claimed = await repository.claim_promoted(s, creator_id, product_ids, how, now or utcnow())
    for sample_id, listing_id in claimed:
        await record_event(s, "sample.fulfilled", {"sample_id": sample_id, "listing_id": listing_id,
                                                   "creator_id": creator_id, "by": how})
    return [sample_id for sample_id, _ in claimed]


async def lapse_overdue(s: AsyncSession, now: datetime, limit: int = 1_000) -> int:
    """Shipped samples past their deadline and never promoted lapse; each counts against its creator."""
    claimed = await repository.claim_overdue(s, now, limit)
    for sample_id, creator_id in claimed:
        await record_event(s, "sample.lapsed", {"sample_id": sample_id, "creator_id": creator_id})
    return len(claimed)


async def _reloaded(s: AsyncSession, sample_id: int) -> AllianceSample:
    sample = await repository.sample(s, sample_id)
    assert sample is not None
    return sample


async def sample_for(s: AsyncSession, user: User, sample_id: int) -> AllianceSample:
    """A sample as its creator, its shop's owner or an operator sees it; to anyone else it does not exist."""
    sample = await repository.sample(s, sample_id)
    if sample is None:
        raise SampleNotFound("no such sample", field="sample_id")
    if sample.creator_id == user.id or user.has_role("operator"):
        return sample
    if (await catalog.get_shop(s, sample.shop_id)).owner_id != user.id:
        raise SampleNotFound("no such sample", field="sample_id")
    return sample


async def samples_of_creator(s: AsyncSession, creator: User, *, limit: int = 50,
                             offset: int = 0) -> list[AllianceSample]:
    return await repository.samples_of_creator(s, creator.id, limit=limit, offset=offset)


async def samples_of_shop(s: AsyncSession, merchant: User, shop_id: int, status: str | None, *, limit: int = 50,
                          offset: int = 0) -> list[AllianceSample]:
    ensure_owns_shop(merchant, await catalog.get_shop(s, shop_id))
    return await repository.samples_of_shop(s, shop_id, status, limit=limit, offset=offset)
