"""The selection library (选品库): merchants list products with a commission plan; creators search it.

Admission goes through the trust interface: the shop's score band must admit it to the alliance
(良 or better, or a new shop on probation — `ScorePolicy.alliance`) and its owner must have no
severe violation in force over 365 days (no governance points). A shop that loses admission has
its listings paused, never deleted; they come back when it is admitted again.

Rate changes: a raise reaches every promoter at once; a cut applies to new promoters at once and
to creators already promoting only `alliance_rate_cut_days` later, and they are told when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance import repository
from laotie.alliance.errors import (
    AlreadyListed,
    CategoryNotFound,
    ListingNotFound,
    ListingPaused,
    NotAdmitted,
    OwnProduct,
    ProductNotListable,
    RateOutOfRange,
)
from laotie.alliance.links import service as links
from laotie.catalog import service as catalog
from laotie.config import Settings
from laotie.identity.auth import require_role
from laotie.kit.events import record_event
from laotie.models import (
    AllianceFloor,
    AllianceListing,
    AlliancePromotion,
    Category,
    Order,
    OrderLine,
    Product,
    Shop,
    User,
    utcnow,
)
from laotie.trust.governance import service as governance
from laotie.trust.score.service import scores

PAUSED_BY_ADMISSION = "shop not admitted to the alliance"


@dataclass(frozen=True)
class ListingTerms:
    rate_bps: int
    needs_approval: bool = False
    exclusive_creator_id: int | None = None
    exclusive_days: int = 0
    sample_min_sales: int = 0
    sample_min_fans: int = 0


async def set_floor(s: AsyncSession, operator: User, category_id: int, floor_bps: int) -> AllianceFloor:
    require_role(operator, "operator")
    if await s.get(Category, category_id) is None:
        raise CategoryNotFound("no such category", field="category_id")
    if not 0 <= floor_bps <= 10_000:
        raise RateOutOfRange("a floor is between 0 and 10000 basis points", field="floor_bps")
    floor = await s.get(AllianceFloor, category_id)
    if floor is None:
        floor = AllianceFloor(category_id=category_id, floor_bps=floor_bps, set_by=operator.id, set_at=utcnow())
        s.add(floor)
    else:
        floor.floor_bps, floor.set_by, floor.set_at = floor_bps, operator.id, utcnow()
    await s.flush()
    await record_event(s, "alliance.floor_set", {"category_id": category_id, "floor_bps": floor_bps,
                                                 "by": operator.id})
    return floor


async def floor_of(s: AsyncSession, settings: Settings, category_id: int) -> int:
    floor = await s.get(AllianceFloor, category_id)
    return floor.floor_bps if floor is not None else settings.alliance_default_floor_bps


async def _check_rate(s: AsyncSession, settings: Settings, category_id: int, rate_bps: int) -> None:
    floor = await floor_of(s, settings, category_id)
    if not floor <= rate_bps <= 10_000:
        raise RateOutOfRange(f"the rate must be between {floor} and 10000 basis points in this category",
                             field="rate_bps", floor_bps=floor)


async def admitted(s: AsyncSession, shop: Shop) -> bool:
    """The trust interface's word (score band) and no severe violation in force over 365 days."""
    view = (await scores.trust_view(s, [shop.id]))[shop.id]
    return view.eligible_for_alliance and await governance.points_of(s, shop.owner_id) == 0


async def list_product(s: AsyncSession, settings: Settings, merchant: User, product_id: int,
                       terms: ListingTerms) -> AllianceListing:
    product = await catalog.owned_product(s, merchant, product_id)
    if product.status != "published":
        raise ProductNotListable("only a published product can be listed", field="product_id")
    if product.external_channel and not await links.channel_registered(s, product.external_channel):
        # Sold elsewhere: listed only when its channel reports sales to us (tracked link-outs).
        raise ProductNotListable(f"{product.external_channel} is not a channel registered with laotie",
                                 field="product_id")
    shop = await catalog.get_shop(s, product.shop_id)
    if not await admitted(s, shop):
        raise NotAdmitted("your shop's score band or a severe violation keeps it out of the alliance for now")
    await _check_rate(s, settings, product.category_id, terms.rate_bps)
    if await repository.listing_of_product(s, product.id) is not None:
        raise AlreadyListed("this product is in the library already", field="product_id")
    exclusive_until = None
    if terms.exclusive_creator_id is not None:
        creator = await s.get(User, terms.exclusive_creator_id)
        if creator is None or not creator.has_role("creator"):
            raise ListingNotFound("no such creator", code="creator_not_found", field="exclusive_creator_id")
        exclusive_until = utcnow() + timedelta(days=max(terms.exclusive_days, 1))
    view = (await scores.trust_view(s, [shop.id]))[shop.id]
    listing = AllianceListing(product_id=product.id, shop_id=shop.id, category_id=product.category_id,
                              price=product.min_price, sort_earnings=product.min_price * terms.rate_bps,
                              band=view.band.value, rate_bps=terms.rate_bps, needs_approval=terms.needs_approval,
                              exclusive_creator_id=terms.exclusive_creator_id, exclusive_until=exclusive_until,
                              sample_min_sales=terms.sample_min_sales, sample_min_fans=terms.sample_min_fans,
                              status="active", updated_at=utcnow())
    s.add(listing)
    await s.flush()
    await record_event(s, "alliance.listed", {"listing_id": listing.id, "product_id": product.id,
                                              "shop_id": shop.id, "rate_bps": terms.rate_bps})
    return listing


async def owned_listing(s: AsyncSession, merchant: User, listing_id: int) -> AllianceListing:
    listing = await s.get(AllianceListing, listing_id)
    if listing is None:
        raise ListingNotFound("no such listing")
    await catalog.owned_product(s, merchant, listing.product_id)
    return listing


async def change_rate(s: AsyncSession, settings: Settings, merchant: User, listing_id: int, rate_bps: int,
                      now: datetime | None = None) -> AllianceListing:
    """A raise applies at once to everyone; a cut reaches current promoters after the notice period."""
    now = now or utcnow()
    listing = await owned_listing(s, merchant, listing_id)
    await _check_rate(s, settings, listing.category_id, rate_bps)
    old = listing.rate_bps
    listing.rate_bps, listing.updated_at = rate_bps, now
    listing.sort_earnings = listing.price * rate_bps
    promoters = [int(c) for c in (await s.execute(
        select(AlliancePromotion.creator_id).where(AlliancePromotion.listing_id == listing.id,
                                                   AlliancePromotion.status == "approved")
        .order_by(AlliancePromotion.creator_id))).scalars()]
    if rate_bps >= old:
        await s.execute(update(AlliancePromotion).where(AlliancePromotion.listing_id == listing.id,
                                                        AlliancePromotion.rate_bps < rate_bps)
                        .values(rate_bps=rate_bps))
        listing.previous_rate_bps, listing.rate_cut_at = None, None
    else:
        listing.previous_rate_bps = old
        listing.rate_cut_at = now + timedelta(days=settings.alliance_rate_cut_days)
    await s.flush()
    await record_event(s, "alliance.rate_changed", {
        "listing_id": listing.id, "product_id": listing.product_id, "from_bps": old, "to_bps": rate_bps,
        "reaches_promoters_at": (listing.rate_cut_at or now).isoformat(), "promoter_ids": promoters})
    return listing


async def set_status(s: AsyncSession, merchant: User, listing_id: int, *, active: bool) -> AllianceListing:
    """The merchant withdraws a listing, or puts a withdrawn one back (admission permitting)."""
    listing = await owned_listing(s, merchant, listing_id)
    if active:
        shop = await catalog.get_shop(s, listing.shop_id)
        if not await admitted(s, shop):
            raise NotAdmitted("your shop is not admitted to the alliance for now")
        listing.status, listing.paused_reason = "active", None
    else:
        listing.status, listing.paused_reason = "withdrawn", "withdrawn by the merchant"
    listing.updated_at = utcnow()
    await s.flush()
    await record_event(s, "alliance.listing_status", {"listing_id": listing.id, "status": listing.status})
    return listing


async def check_admission(s: AsyncSession) -> tuple[int, int]:
    """Pause the listings of shops that lost admission; resume those paused for it and admitted again."""
    rows = (await s.execute(
        select(AllianceListing.shop_id).where(AllianceListing.status.in_(("active", "paused"))).distinct()
    )).scalars().all()
    paused = resumed = 0
    for shop_id in sorted(int(x) for x in rows):
        shop = await s.get(Shop, shop_id)
        assert shop is not None
        ok = await admitted(s, shop)
        if not ok:
            n = len((await s.execute(update(AllianceListing)
                                 .where(AllianceListing.shop_id == shop_id, AllianceListing.status == "active")
                                 .values(status="paused", paused_reason=PAUSED_BY_ADMISSION,
                                         updated_at=utcnow()).returning(AllianceListing.id))).all())
            paused += n
        else:
            n = len((await s.execute(update(AllianceListing)
                                 .where(AllianceListing.shop_id == shop_id, AllianceListing.status == "paused",
                                        AllianceListing.paused_reason == PAUSED_BY_ADMISSION)
                                 .values(status="active", paused_reason=None, updated_at=utcnow())
                                 .returning(AllianceListing.id))).all())
            resumed += n
        if n:
            await record_event(s, "alliance.admission_changed", {"shop_id": shop_id, "admitted": ok})
    return paused, resumed


async def refresh_library(s: AsyncSession, now: datetime | None = None) -> int:
    """Bring the library's search columns in step: price, 30-day sales, the shop's band, reliable goods.

    Only rows that changed are written. Runs as a job every few minutes; a listing's own
    changes (new, rate) update its columns at once.
    """
    now = now or utcnow()
    rows = (await s.execute(
        select(AllianceListing.id, AllianceListing.product_id, AllianceListing.shop_id, AllianceListing.rate_bps,
               AllianceListing.price, AllianceListing.sales_30d, AllianceListing.band, AllianceListing.reliable,
               Product.min_price)
        .join(Product, Product.id == AllianceListing.product_id)
        .where(AllianceListing.status.in_(("active", "paused")))
    )).all()
    if not rows:
        return 0
    sold = {int(p): int(n) for p, n in (await s.execute(
        select(OrderLine.product_id, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .join(AllianceListing, AllianceListing.product_id == OrderLine.product_id)
        .where(Order.paid_at >= now - timedelta(days=30), Order.status != "cancelled")
        .group_by(OrderLine.product_id))).all()}
    views = await scores.trust_view(s, {int(r.shop_id) for r in rows})
    reliable = await scores.reliable_products(s, [int(r.product_id) for r in rows], now=now)
    changes = []
    for r in rows:
        new = {"price": int(r.min_price), "sales_30d": sold.get(int(r.product_id), 0),
               "band": views[int(r.shop_id)].band.value, "reliable": int(r.product_id) in reliable}
        if (r.price, r.sales_30d, r.band, r.reliable) != tuple(new.values()):
            changes.append({"id": int(r.id), **new, "sort_earnings": new["price"] * int(r.rate_bps)})
    if changes:
        await s.execute(update(AllianceListing), changes)
    return len(changes)


async def open_listing(s: AsyncSession, user: User, listing_id: int, *, own: str) -> AllianceListing:
    """A listing someone other than its merchant may act on now: it exists, it is active, and it is not
    the user's own shop's (`own` says why that is refused)."""
    listing = await s.get(AllianceListing, listing_id)
    if listing is None:
        raise ListingNotFound("no such listing", field="listing_id")
    if listing.status != "active":
        raise ListingPaused("this product is not in the library right now", field="listing_id")
    shop = await catalog.get_shop(s, listing.shop_id)
    if shop.owner_id == user.id:
        raise OwnProduct(own)
    return listing
