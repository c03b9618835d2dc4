"""HTTP for the alliance: the selection library, listings and their plans, promotions, earnings, floors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from laotie.alliance import repository
from laotie.alliance.core.commission import SharePlan, commission_of, split_commission
from laotie.alliance.links import service as links
from laotie.alliance.links.endpoints import external_out
from laotie.alliance.schemas import (
    BandIn,
    CommissionLineOut,
    DecisionIn,
    EarningsOut,
    FloorIn,
    LibraryItemOut,
    LibrarySortIn,
    ListingIn,
    ListingOut,
    PromotionOut,
    RateIn,
    StatusIn,
)
from laotie.alliance.service import listings, promotions
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.types import MAX_ID, NoNul, PathId
from laotie.ledger import service as ledger
from laotie.models import AllianceListing, AlliancePromotion, CommissionLine

router = APIRouter(prefix="/api/v1/alliance", tags=["alliance"])


def listing_out(x: AllianceListing) -> ListingOut:
    return ListingOut(id=x.id, product_id=x.product_id, shop_id=x.shop_id, category_id=x.category_id,
                      rate_bps=x.rate_bps, previous_rate_bps=x.previous_rate_bps, rate_cut_at=x.rate_cut_at,
                      needs_approval=x.needs_approval, exclusive_creator_id=x.exclusive_creator_id,
                      exclusive_until=x.exclusive_until, status=x.status, paused_reason=x.paused_reason)


def promotion_out(p: AlliancePromotion) -> PromotionOut:
    return PromotionOut(id=p.id, listing_id=p.listing_id, creator_id=p.creator_id, rate_bps=p.rate_bps,
                        status=p.status)


def line_out(c: CommissionLine) -> CommissionLineOut:
    return CommissionLineOut(id=c.id, order_id=c.order_id, order_line_id=c.order_line_id, source=c.source,
                             source_id=c.source_id, rate_bps=c.rate_bps, base=c.base, refunded=c.refunded,
                             status=c.status, estimated=c.est_creator, standing=c.cur_creator,
                             settled=c.set_creator, created_at=c.created_at)


@router.get("/library")
async def library(request: Request, s: Session,
                  q: Annotated[str | None, Query(max_length=60), NoNul] = None,
                  category_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                  min_rate_bps: Annotated[int | None, Query(ge=0, le=10_000)] = None,
                  max_price: Annotated[int | None, Query(ge=0, le=10**12)] = None,
                  min_sales: Annotated[int | None, Query(ge=0, le=10**9, description="units sold, 30 days")] = None,
                  band: Annotated[list[BandIn] | None, Query(max_length=4)] = None,
                  reliable: bool = False,
                  sort: LibrarySortIn = "earnings",
                  limit: Annotated[int, Query(ge=1, le=100)] = 20,
                  offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> list[LibraryItemOut]:
    """The selection library (选品库), sorted by what a creator keeps of one order by default."""
    fee = get_db(request).settings.alliance_platform_fee_bps
    rows = await repository.library(s, repository.LibraryQuery(
        text=q, category_id=category_id, min_rate_bps=min_rate_bps, max_price=max_price, min_sales=min_sales,
        bands=tuple(band or ()), reliable=reliable, sort=sort, limit=limit, offset=offset))
    out = []
    for listing, product, shop_name in rows:
        plan = SharePlan(rate_bps=listing.rate_bps, platform_fee_bps=fee)
        keeps = split_commission(commission_of(listing.price, plan), plan).creator
        out.append(LibraryItemOut(listing_id=listing.id, product_id=product.id, title=product.title,
                                  shop_id=listing.shop_id, shop_name=shop_name, category_id=listing.category_id,
                                  price=listing.price, rate_bps=listing.rate_bps, sold=listing.sales_30d,
                                  band=listing.band, reliable=listing.reliable,
                                  earnings_per_order=keeps, needs_approval=listing.needs_approval))
    return out


@router.post("/listings", status_code=201)
async def create_listing(body: ListingIn, request: Request, user: CurrentUser, s: Session) -> ListingOut:
    terms = listings.ListingTerms(**body.model_dump(exclude={"product_id"}))
    return listing_out(await listings.list_product(s, get_db(request).settings, user, body.product_id, terms))


@router.put("/listings/{listing_id}/rate")
async def change_rate(listing_id: PathId, body: RateIn, request: Request, user: CurrentUser,
                      s: Session) -> ListingOut:
    """A raise reaches every promoter at once; a cut reaches those already promoting 30 days later."""
    return listing_out(await listings.change_rate(s, get_db(request).settings, user, listing_id, body.rate_bps))


@router.put("/listings/{listing_id}/status")
async def set_status(listing_id: PathId, body: StatusIn, user: CurrentUser, s: Session) -> ListingOut:
    return listing_out(await listings.set_status(s, user, listing_id, active=body.active))


@router.get("/listings/{listing_id}/applications")
async def applications(listing_id: PathId, user: CurrentUser, s: Session) -> list[PromotionOut]:
    listing = await listings.owned_listing(s, user, listing_id)
    rows = await repository.applications_for_shop(s, listing.shop_id)
    return [promotion_out(p) for p, lst, _ in rows if lst.id == listing.id]


@router.post("/listings/{listing_id}/take", status_code=201)
async def take(listing_id: PathId, user: CurrentUser, s: Session) -> PromotionOut:
    """A creator adds the product to their showcase, or applies when the merchant approves promoters."""
    return promotion_out(await promotions.take_product(s, user, listing_id))


@router.delete("/listings/{listing_id}/take", status_code=204)
async def give_up(listing_id: PathId, user: CurrentUser, s: Session) -> None:
    await promotions.remove(s, user, listing_id)


@router.post("/promotions/{promotion_id}/decision")
async def decide(promotion_id: PathId, body: DecisionIn, user: CurrentUser, s: Session) -> PromotionOut:
    return promotion_out(await promotions.decide(s, user, promotion_id, approve=body.approve))


@router.get("/showcase/{creator_id}")
async def showcase(creator_id: PathId, s: Session) -> list[ListingOut]:
    """A creator's showcase (橱窗): the library products they promote now. Public."""
    return [listing_out(listing) for _, listing, _ in await promotions.showcase(s, creator_id)]


@router.get("/earnings")
async def earnings(user: CurrentUser, s: Session) -> EarningsOut:
    """The creator's commissions: estimated, standing, settled, reversed, and the balances.

    `external`: commission external channels reported for the creator's tracking links, apart:
    the channel pays it, so it is in neither balance, reported or confirmed.
    """
    totals = await repository.earnings_totals(s, user.id)
    balances = await ledger.commission_balances(s, user.id)
    lines = await repository.commission_lines_of(s, user.id)
    external = await links.external_earnings(s, user.id)
    return EarningsOut(estimated=totals["estimated"], standing=totals["standing"], settled=totals["settled"],
                       reversed=totals["estimated"] - totals["standing"], pending_balance=balances.pending,
                       available_balance=balances.available, lines=[line_out(c) for c in lines],
                       external=external_out(external))


@router.put("/floors/{category_id}", status_code=204)
async def set_floor(category_id: PathId, body: FloorIn, user: CurrentUser, s: Session) -> None:
    """Operators: the lowest commission a category's listings may offer."""
    await listings.set_floor(s, user, category_id, body.floor_bps)
