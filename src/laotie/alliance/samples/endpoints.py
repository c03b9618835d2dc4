"""HTTP for samples: creators ask and see theirs; merchants decide and ship; either side reads one."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from laotie.alliance.samples import service
from laotie.alliance.samples.schemas import EligibilityOut, SampleDecisionIn, SampleIn, SampleOut, ShipIn
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.models import AllianceSample

router = APIRouter(prefix="/api/v1/alliance", tags=["alliance"])
Status = Literal["requested", "approved", "declined", "shipped", "fulfilled", "lapsed"]


def sample_out(x: AllianceSample) -> SampleOut:
    return SampleOut(id=x.id, listing_id=x.listing_id, product_id=x.product_id, shop_id=x.shop_id,
                     creator_id=x.creator_id, status=x.status, recipient=x.recipient, phone=x.phone,
                     address=x.address, decline_reason=x.decline_reason, carrier=x.carrier,
                     tracking_no=x.tracking_no, created_at=x.created_at, decided_at=x.decided_at,
                     shipped_at=x.shipped_at, promote_by=x.promote_by, fulfilled_at=x.fulfilled_at,
                     fulfilled_by=x.fulfilled_by, lapsed_at=x.lapsed_at)


@router.get("/listings/{listing_id}/sample-eligibility")
async def sample_eligibility(listing_id: PathId, request: Request, user: CurrentUser, s: Session) -> EligibilityOut:
    """The caller's 30-day alliance sales, fans and lapsed samples against the listing's sample policy."""
    e = await service.eligibility(s, get_db(request).settings, user, listing_id)
    return EligibilityOut(eligible=e.eligible, sales_30d=e.sales_30d, min_sales=e.min_sales, fans=e.fans,
                          min_fans=e.min_fans, lapsed_90d=e.lapsed_90d, lapse_limit=e.lapse_limit)


@router.post("/listings/{listing_id}/samples", status_code=201)
async def request_sample(listing_id: PathId, body: SampleIn, request: Request, user: CurrentUser,
                         s: Session) -> SampleOut:
    to = service.Recipient(recipient=body.address.recipient, phone=body.address.phone, address=body.address.address)
    return sample_out(await service.request_sample(s, get_db(request).settings, user, listing_id, to))


@router.get("/samples")
async def my_samples(user: CurrentUser, s: Session, limit: Annotated[int, Query(ge=1, le=100)] = 50,
                     offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> list[SampleOut]:
    """The caller's samples as a creator, newest first."""
    return [sample_out(x) for x in await service.samples_of_creator(s, user, limit=limit, offset=offset)]


@router.get("/shops/{shop_id}/samples")
async def shop_samples(shop_id: PathId, user: CurrentUser, s: Session, status: Status | None = None,
                       limit: Annotated[int, Query(ge=1, le=100)] = 50,
                       offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> list[SampleOut]:
    """Sample requests to the merchant's shop, newest first."""
    rows = await service.samples_of_shop(s, user, shop_id, status, limit=limit, offset=offset)
    return [sample_out(x) for x in rows]


@router.get("/samples/{sample_id}")
async def get_sample(sample_id: PathId, user: CurrentUser, s: Session) -> SampleOut:
    return sample_out(await service.sample_for(s, user, sample_id))


@router.post("/samples/{sample_id}/decision")
async def decide_sample(sample_id: PathId, body: SampleDecisionIn, user: CurrentUser, s: Session) -> SampleOut:
    return sample_out(await service.decide_sample(s, user, sample_id, approve=body.approve, reason=body.reason))


@router.post("/samples/{sample_id}/ship")
async def ship_sample(sample_id: PathId, body: ShipIn, request: Request, user: CurrentUser,
                      s: Session) -> SampleOut:
    """The merchant sends the parcel; the creator's time to promote it starts now."""
    return sample_out(await service.ship_sample(s, get_db(request).settings, user, sample_id,
                                                carrier=body.carrier, tracking_no=body.tracking_no))
