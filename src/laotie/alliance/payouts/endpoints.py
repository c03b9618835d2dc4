"""HTTP for payouts: request, list, show, the sandbox's decision and callback; earnings by day."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from laotie.alliance.payouts import service
from laotie.alliance.payouts.schemas import (
    EarningsDayOut,
    PayoutIn,
    PayoutNotificationOut,
    PayoutOut,
    SandboxPayoutDecisionIn,
)
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.models import AlliancePayout
from laotie.orders.gateway import SIGNATURE_HEADER

router = APIRouter(prefix="/api/v1/alliance", tags=["alliance"])


def payout_out(p: AlliancePayout) -> PayoutOut:
    return PayoutOut(id=p.id, amount=p.amount, currency=p.currency, status=p.status, gateway=p.gateway,
                     gateway_ref=p.gateway_ref, failure_reason=p.failure_reason, created_at=p.created_at,
                     sent_at=p.sent_at, decided_at=p.decided_at)


@router.post("/payouts", status_code=201)
async def request_payout(body: PayoutIn, request: Request, user: CurrentUser, s: Session) -> PayoutOut:
    """Withdraw settled commission; it is in flight until the gateway says paid or failed."""
    return payout_out(await service.request_payout(s, get_db(request).settings, user, body.amount))


@router.get("/payouts")
async def my_payouts(user: CurrentUser, s: Session, limit: Annotated[int, Query(ge=1, le=100)] = 50,
                     offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> list[PayoutOut]:
    return [payout_out(p) for p in await service.payouts_of(s, user, limit=limit, offset=offset)]


@router.get("/payouts/{payout_id}")
async def get_payout(payout_id: PathId, user: CurrentUser, s: Session) -> PayoutOut:
    return payout_out(await service.payout_of(s, user, payout_id))


@router.post("/payouts/{payout_id}/sandbox-decision", status_code=202)
async def sandbox_decision(payout_id: PathId, body: SandboxPayoutDecisionIn, user: CurrentUser,
                           s: Session) -> PayoutOut:
    """The sandbox gateway pays or fails the withdrawal; its signed callback lands just after."""
    return payout_out(await service.sandbox_decide_payout(s, user, payout_id, paid=body.outcome == "paid"))


@router.post("/payouts/sandbox/callback")
async def payout_callback(request: Request, s: Session,
                          signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None
                          ) -> PayoutNotificationOut:
    out = await service.handle_payout_notification(s, get_db(request).settings, await request.body(), signature)
    return PayoutNotificationOut(payout_id=out.payout_id, result=out.result)


@router.get("/earnings/daily")
async def earnings_daily(user: CurrentUser, s: Session,
                         days: Annotated[int, Query(ge=1, le=366)] = 30) -> list[EarningsDayOut]:
    """Commission per UTC day for a chart, as creator, group leader and MCN together."""
    return [EarningsDayOut(day=d.day, estimated=d.estimated, settled=d.settled, reversed=d.reversed)
            for d in await service.earnings_by_day(s, user, days)]
