"""HTTP for group leaders (团长): offers to merchants, the sub-library, taking through a leader, the leader's sales."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from laotie.alliance.core.commission import SharePlan, commission_of, split_commission
from laotie.alliance.endpoints import promotion_out
from laotie.alliance.leaders import service
from laotie.alliance.leaders.repository import OfferRow
from laotie.alliance.leaders.schemas import (
    CreatorSalesOut,
    LeaderOfferOut,
    LeaderSalesOut,
    OfferDecisionIn,
    OfferIn,
    OfferOut,
    OfferStatusIn,
    SubLibraryItemOut,
)
from laotie.alliance.schemas import PromotionOut
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.ledger import service as ledger
from laotie.models import AllianceLeaderOffer

router = APIRouter(prefix="/api/v1/alliance/leaders", tags=["alliance"])
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=10_000)]
ALL_STATUSES = ("proposed", "accepted", "declined", "ended")


def offer_out(o: AllianceLeaderOffer) -> OfferOut:
    return OfferOut(id=o.id, listing_id=o.listing_id, leader_id=o.leader_id, shop_id=o.shop_id, fee_bps=o.fee_bps,
                    status=o.status, created_at=o.created_at, decided_at=o.decided_at)


def _row_out(r: OfferRow) -> LeaderOfferOut:
    return LeaderOfferOut(**offer_out(r.offer).model_dump(), product_id=r.product.id, title=r.product.title,
                          shop_name=r.shop_name, rate_bps=r.listing.rate_bps, listing_status=r.listing.status)


def _statuses(status: OfferStatusIn | None) -> tuple[str, ...]:
    return ALL_STATUSES if status is None else (status,)


@router.post("/offers", status_code=201)
async def propose(body: OfferIn, user: CurrentUser, s: Session) -> OfferOut:
    """A group leader proposes a fee (basis points of the commission, 0–9000) on a library listing."""
    return offer_out(await service.propose_offer(s, user, body.listing_id, body.fee_bps))


@router.get("/offers")
async def my_offers(user: CurrentUser, s: Session, status: OfferStatusIn | None = None, limit: Limit = 50,
                    offset: Offset = 0) -> list[LeaderOfferOut]:
    """The leader's offers: merchants, products, fees and where each stands."""
    return [_row_out(r) for r in await service.my_offers(s, user, _statuses(status), limit, offset)]


@router.get("/offers/incoming")
async def incoming(user: CurrentUser, s: Session, status: OfferStatusIn | None = "proposed", limit: Limit = 50,
                   offset: Offset = 0) -> list[LeaderOfferOut]:
    """Merchants: the offers group leaders made on your listings (proposed ones by default)."""
    return [_row_out(r) for r in await service.offers_to_me(s, user, _statuses(status), limit, offset)]


@router.post("/offers/{offer_id}/decision")
async def decide(offer_id: PathId, body: OfferDecisionIn, user: CurrentUser, s: Session) -> OfferOut:
    return offer_out(await service.decide_offer(s, user, offer_id, accept=body.accept))


@router.post("/offers/{offer_id}/end")
async def end(offer_id: PathId, user: CurrentUser, s: Session) -> OfferOut:
    """The leader or the merchant ends an offer; lines sold already keep their plan."""
    return offer_out(await service.end_offer(s, user, offer_id))


@router.get("/sales")
async def sales(user: CurrentUser, s: Session) -> LeaderSalesOut:
    """The leader's creators' sales through the sub-library and the fees earned on them."""
    rows = [CreatorSalesOut(**r) for r in await service.sales(s, user)]
    balances = await ledger.commission_balances(s, user.id)
    return LeaderSalesOut(fee_estimated=sum(r.fee_estimated for r in rows),
                          fee_standing=sum(r.fee_standing for r in rows),
                          fee_settled=sum(r.fee_settled for r in rows),
                          pending_balance=balances.pending, available_balance=balances.available, creators=rows)


@router.get("/{leader_id}/library")
async def library(leader_id: PathId, request: Request, s: Session, limit: Limit = 20,
                  offset: Offset = 0) -> list[SubLibraryItemOut]:
    """A group leader's sub-library: what creators may take through them, and what a creator keeps. Public."""
    fee = get_db(request).settings.alliance_platform_fee_bps
    out = []
    for r in await service.sub_library(s, leader_id, limit, offset):
        plan = SharePlan(rate_bps=r.listing.rate_bps, leader_bps=r.offer.fee_bps, platform_fee_bps=fee)
        keeps = split_commission(commission_of(r.product.min_price, plan), plan).creator
        out.append(SubLibraryItemOut(listing_id=r.listing.id, product_id=r.product.id, title=r.product.title,
                                     shop_id=r.listing.shop_id, shop_name=r.shop_name, price=r.product.min_price,
                                     rate_bps=r.listing.rate_bps, leader_fee_bps=r.offer.fee_bps,
                                     earnings_per_order=keeps, needs_approval=r.listing.needs_approval))
    return out


@router.post("/{leader_id}/library/{listing_id}/take", status_code=201)
async def take(leader_id: PathId, listing_id: PathId, user: CurrentUser, s: Session) -> PromotionOut:
    """A creator takes a product through the leader: every line they sell pays the leader's fee."""
    return promotion_out(await service.take_through_leader(s, user, leader_id, listing_id))
