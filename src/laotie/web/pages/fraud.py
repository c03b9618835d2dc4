"""The operator's fake-order (刷单) ring queue: evidence per ring, confirm or dismiss with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.http import Session
from laotie.kit.types import MAX_ID, PathId
from laotie.models import User, utcnow
from laotie.trust.fraud import service as fraud_rings
from laotie.web.i18n import N_
from laotie.web.render import Form, PageUser, attempt, redirect, render, text

router = APIRouter(prefix="/operator/fraud", include_in_schema=False)

QUEUE_LIMIT = 50
DECIDED_LIMIT = 10
# How each evidence line is headed; the detector's own explanation follows.
SIGNAL_LABELS = {
    "density": N_("Dense block"), "new_accounts": N_("New accounts"),
    "shared_fingerprints": N_("Shared device or address"), "bursts": N_("Bursts of near-identical orders"),
    "tiny_instant": N_("Tiny amounts, instant confirmation"), "short_five_star": N_("Short five-star reviews"),
    "known_accounts": N_("Accounts from decided rings"),
}


async def _page(request: Request, s: Session, user: User, status_code: int = 200, **extra: object) -> Response:
    require_role(user, "operator")
    suspected = await fraud_rings.list_rings(s, user, "suspected", limit=QUEUE_LIMIT)
    decided = sorted(
        [*await fraud_rings.list_rings(s, user, "confirmed", limit=DECIDED_LIMIT),
         *await fraud_rings.list_rings(s, user, "dismissed", limit=DECIDED_LIMIT)],
        key=lambda v: v.ring.decided_at or v.ring.created_at, reverse=True)[:DECIDED_LIMIT]
    return render(request, "fraud/queue.html", status_code=status_code, user=user, rings=suspected, decided=decided,
                  labels=SIGNAL_LABELS, window_days=fraud_rings.DEFAULT_WINDOW.days, **extra)


@router.get("")
async def queue(request: Request, s: Session, user: PageUser, done: str | None = None,
                n: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None) -> Response:
    # The page words the outcome from `done` and the number alone: a link cannot put text on it.
    return await _page(request, s, user, done=done, n=n)


@router.post("/detect")
async def detect(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    """Run now over the same window as the daily job."""
    require_role(user, "operator")
    until = utcnow()
    rings = await fraud_rings.run_detection(s, until - fraud_rings.DEFAULT_WINDOW, until, actor=user)
    return redirect(f"/operator/fraud?done=detected&n={len(rings)}")


@router.post("/{ring_id}/{decision}")
async def decide(request: Request, ring_id: PathId, decision: str, s: Session, user: PageUser,
                 data: Form) -> Response:
    if decision not in ("confirm", "dismiss"):
        return await _page(request, s, user, status_code=404, error="no such decision")
    try:
        async with attempt(s):
            if decision == "confirm":
                await fraud_rings.confirm_ring(s, user, ring_id, text(data, "reason", fraud_rings.REASON_MAX))
            else:
                await fraud_rings.dismiss_ring(s, user, ring_id, text(data, "reason", fraud_rings.REASON_MAX))
    except DomainError as exc:
        return await _page(request, s, user, status_code=exc.status, error=exc.message, error_code=exc.code)
    return redirect(f"/operator/fraud?done={decision}ed&n={ring_id}")
