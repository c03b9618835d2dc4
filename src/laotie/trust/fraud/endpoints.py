"""HTTP for fake-order (刷单) rings: run detection now, the operator's queue, confirm or dismiss a ring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from laotie.identity.auth import CurrentUser, require_role
from laotie.kit.http import Session
from laotie.kit.types import Instant, NoNul, PathId
from laotie.models import utcnow
from laotie.trust.fraud import service as fraud_rings
from laotie.trust.fraud.service import REASON_MAX, RingView

router = APIRouter(prefix="/api/v1", tags=["fraud"])

Status = Literal["suspected", "confirmed", "dismissed"]


class DetectIn(BaseModel):
    """The window to analyse: `days` back from `until` (default now), at most a quarter."""

    days: Annotated[int, Field(ge=1, le=fraud_rings.MAX_WINDOW.days)] = fraud_rings.DEFAULT_WINDOW.days
    until: Instant | None = None


class DecisionIn(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX), NoNul]


class EvidenceOut(BaseModel):
    signal: str
    value: float
    explanation: str


class PromoterCommissionOut(BaseModel):
    user_id: int
    name: str
    lines: int
    commission: int


class RingCommissionsOut(BaseModel):
    """Alliance commission on the ring's orders: at payment, what stands now, and the promoters."""

    total: int
    standing: int
    lines: int
    promoters: list[PromoterCommissionOut]


class RingOut(BaseModel):
    id: int
    status: str
    score: float
    density: float
    buyer_ids: list[int]
    shop_ids: list[int]
    shop_names: dict[int, str]
    creator_ids: list[int]
    order_count: int
    order_ids: list[int] | None = None  # in the detail view; a list can hold thousands
    evidence: list[EvidenceOut]
    created_at: datetime
    decided_by: int | None
    decided_by_name: str | None
    decided_at: datetime | None
    reason: str | None
    commissions: RingCommissionsOut | None = None


class DetectOut(BaseModel):
    since: datetime
    until: datetime
    rings: list[RingOut]  # suspected rings queued or refreshed by this run


def ring_out(view: RingView, *, with_orders: bool = False) -> RingOut:
    r = view.ring
    return RingOut(
        id=r.id, status=r.status, score=r.score, density=r.density, buyer_ids=[int(b) for b in r.buyer_ids],
        shop_ids=[int(x) for x in r.shop_ids], shop_names=view.shop_names, creator_ids=[int(c) for c in r.creator_ids],
        order_count=len(r.order_ids), order_ids=[int(o) for o in r.order_ids] if with_orders else None,
        evidence=[EvidenceOut(**e) for e in r.evidence], created_at=r.created_at, decided_by=r.decided_by,
        decided_by_name=view.decided_by_name, decided_at=r.decided_at, reason=view.reason,
        commissions=None if view.commissions is None else RingCommissionsOut(
            total=view.commissions.total, standing=view.commissions.standing, lines=view.commissions.lines,
            promoters=[PromoterCommissionOut(user_id=p.user_id, name=p.name, lines=p.lines, commission=p.commission)
                       for p in view.commissions.promoters]))


@router.post("/fraud/detect")
async def detect(body: DetectIn, user: CurrentUser, s: Session) -> DetectOut:
    """Run the detector now over the last `days` days (the daily job does 30)."""
    require_role(user, "operator")
    until = (body.until or utcnow()).astimezone(UTC)
    since = until - timedelta(days=body.days)
    rings = await fraud_rings.run_detection(s, since, until, actor=user)
    views = await fraud_rings.views(s, rings)
    return DetectOut(since=since, until=until, rings=[ring_out(v) for v in views])


@router.get("/fraud/rings")
async def list_rings(user: CurrentUser, s: Session, status: Status = "suspected",
                     limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[RingOut]:
    return [ring_out(v) for v in await fraud_rings.list_rings(s, user, status, limit=limit)]


@router.get("/fraud/rings/{ring_id}")
async def get_ring(ring_id: PathId, user: CurrentUser, s: Session) -> RingOut:
    return ring_out(await fraud_rings.get_ring(s, user, ring_id), with_orders=True)


@router.post("/fraud/rings/{ring_id}/confirm")
async def confirm_ring(ring_id: PathId, body: DecisionIn, user: CurrentUser, s: Session) -> RingOut:
    """Confirm: the ring's orders stop counting; reviews and violation cases follow from the event."""
    ring = await fraud_rings.confirm_ring(s, user, ring_id, body.reason)
    return ring_out((await fraud_rings.views(s, [ring]))[0], with_orders=True)


@router.post("/fraud/rings/{ring_id}/dismiss")
async def dismiss_ring(ring_id: PathId, body: DecisionIn, user: CurrentUser, s: Session) -> RingOut:
    ring = await fraud_rings.dismiss_ring(s, user, ring_id, body.reason)
    return ring_out((await fraud_rings.views(s, [ring]))[0], with_orders=True)
