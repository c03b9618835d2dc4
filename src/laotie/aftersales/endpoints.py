"""HTTP for after-sales: requests and their steps, shop guarantee settings, counterfeit claims."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import StringConstraints

from laotie.aftersales.schemas import (
    AftersaleIn,
    AftersaleOut,
    ArbitrationIn,
    ClaimDecisionIn,
    ClaimIn,
    ClaimOut,
    DecisionIn,
    PolicyIn,
    PolicyOut,
    ReturnShippedIn,
    StandingOut,
)
from laotie.aftersales.service import claims, policies, requests
from laotie.aftersales.standing import standing
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.types import NoNul, PathId
from laotie.models import Aftersale, CounterfeitClaim, utcnow

router = APIRouter(prefix="/api/v1", tags=["aftersales"])

StatusName = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,20}$")]


def out(a: Aftersale) -> AftersaleOut:
    return AftersaleOut(id=a.id, order_id=a.order_id, kind=a.kind, reason=a.reason, amount=a.amount, status=a.status,
                        guarantee=a.guarantee, deadline=a.deadline, refunded=a.refunded,
                        shipping_compensation=a.shipping_compensation, dispute=a.dispute,
                        reject_reason=a.reject_reason, created_at=a.created_at)


def claim_out(c: CounterfeitClaim) -> ClaimOut:
    return ClaimOut(id=c.id, order_id=c.order_id, shop_id=c.shop_id, status=c.status, refunded=c.refunded,
                    compensation=c.compensation, decision_reason=c.decision_reason, created_at=c.created_at)


@router.post("/aftersales", status_code=201)
async def request_aftersale(body: AftersaleIn, request: Request, user: CurrentUser, s: Session) -> AftersaleOut:
    """Ask for a refund, a return or an exchange; a guarantee may settle it in this very call."""
    return out(await requests.request_aftersale(
        s, get_db(request).settings, user, body.order_id, kind=body.kind, reason=body.reason, amount=body.amount,
        line_id=body.line_id, description=body.description))


@router.get("/aftersales/{aftersale_id}")
async def get_aftersale(aftersale_id: PathId, user: CurrentUser, s: Session) -> AftersaleOut:
    return out(await requests.view(s, user, aftersale_id))


@router.get("/orders/{order_id}/aftersales")
async def order_aftersales(order_id: PathId, user: CurrentUser, s: Session) -> list[AftersaleOut]:
    return [out(a) for a in await requests.for_order(s, user, order_id)]


@router.post("/aftersales/{aftersale_id}/decision")
async def decide(aftersale_id: PathId, body: DecisionIn, request: Request, user: CurrentUser,
                 s: Session) -> AftersaleOut:
    return out(await requests.decide(s, get_db(request).settings, user, aftersale_id, approve=body.approve,
                                     reason=body.reason))


@router.post("/aftersales/{aftersale_id}/return")
async def ship_return(aftersale_id: PathId, body: ReturnShippedIn, request: Request, user: CurrentUser,
                      s: Session) -> AftersaleOut:
    return out(await requests.ship_return(s, get_db(request).settings, user, aftersale_id, carrier=body.carrier,
                                          tracking_no=body.tracking_no))


@router.post("/aftersales/{aftersale_id}/received")
async def confirm_return(aftersale_id: PathId, request: Request, user: CurrentUser, s: Session) -> AftersaleOut:
    return out(await requests.confirm_return(s, get_db(request).settings, user, aftersale_id))


@router.post("/aftersales/{aftersale_id}/cancel")
async def cancel(aftersale_id: PathId, user: CurrentUser, s: Session) -> AftersaleOut:
    return out(await requests.cancel(s, user, aftersale_id))


@router.post("/aftersales/{aftersale_id}/escalate")
async def escalate(aftersale_id: PathId, user: CurrentUser, s: Session) -> AftersaleOut:
    return out(await requests.escalate(s, user, aftersale_id))


@router.post("/aftersales/{aftersale_id}/arbitration")
async def arbitrate(aftersale_id: PathId, body: ArbitrationIn, request: Request, user: CurrentUser,
                    s: Session) -> AftersaleOut:
    return out(await requests.arbitrate(s, get_db(request).settings, user, aftersale_id, for_buyer=body.for_buyer,
                                        reason=body.reason))


@router.get("/shops/mine/aftersales")
async def shop_queue(user: CurrentUser, s: Session,
                     status: Annotated[list[StatusName] | None, Query(max_length=10)] = None) -> list[AftersaleOut]:
    return [out(a) for a in await policies.shop_queue(s, user, status)]


@router.get("/shops/mine/policy")
async def get_policy(user: CurrentUser, s: Session) -> PolicyOut:
    p = await policies.my_policy(s, user)
    return PolicyOut(shop_id=p.shop_id, refund_without_return=p.refund_without_return,
                     no_return_threshold=p.no_return_threshold, return_shipping_funded_by=p.return_shipping_funded_by)


@router.put("/shops/mine/policy")
async def set_policy(body: PolicyIn, user: CurrentUser, s: Session) -> PolicyOut:
    p = await policies.set_policy(s, user, refund_without_return=body.refund_without_return,
                                  no_return_threshold=body.no_return_threshold,
                                  return_shipping_funded_by=body.return_shipping_funded_by)
    return PolicyOut(shop_id=p.shop_id, refund_without_return=p.refund_without_return,
                     no_return_threshold=p.no_return_threshold, return_shipping_funded_by=p.return_shipping_funded_by)


@router.get("/me/standing")
async def my_standing(request: Request, user: CurrentUser, s: Session) -> StandingOut:
    """Whether the guarantees (instant refund, refund without return) apply to you, and if not, why."""
    got = await standing(s, get_db(request).settings, user, utcnow())
    return StandingOut(good=got.good, reasons=got.reasons)


@router.post("/claims", status_code=201)
async def file_claim(body: ClaimIn, request: Request, user: CurrentUser, s: Session) -> ClaimOut:
    return claim_out(await claims.file_claim(s, get_db(request).settings, user, body.order_id, body.statement))


@router.get("/claims")
async def claim_queue(user: CurrentUser, s: Session,
                      status: Annotated[str | None, Query(max_length=20), NoNul] = "filed") -> list[ClaimOut]:
    return [claim_out(c) for c in await claims.queue(s, user, status)]


@router.post("/claims/{claim_id}/decision")
async def decide_claim(claim_id: PathId, body: ClaimDecisionIn, request: Request, user: CurrentUser,
                       s: Session) -> ClaimOut:
    return claim_out(await claims.decide_claim(s, get_db(request).settings, user, claim_id, uphold=body.uphold,
                                               reason=body.reason))
