"""HTTP for governance: violation cases, appeals, penalties, fraud rings and the audit log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session
from laotie.kit.types import MAX_ID, PathId
from laotie.trust.governance import service as governance
from laotie.trust.governance.schemas import (
    AppealIn,
    AppealOut,
    AuditOut,
    CaseIn,
    CaseOut,
    DecisionIn,
    StandingOut,
    ViolationTypeOut,
    appeal_out,
    audit_out,
    case_out,
    penalty_out,
)
from laotie.trust.governance.service import audit

router = APIRouter(prefix="/api/v1", tags=["governance"])

CaseStatus = Literal["notified", "appealed", "in_force", "overturned"]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/governance/violation-types")
async def violation_types(s: Session) -> list[ViolationTypeOut]:
    """The catalog of violations: severity, points (0 for general, 2–100 for severe), default measures."""
    return [ViolationTypeOut(code=v.code, description=v.description, severity=v.severity, points=v.points,
                             measures=list(v.measures)) for v in await governance.violation_types(s)]


@router.post("/governance/cases", status_code=201)
async def open_case(body: CaseIn, user: CurrentUser, s: Session) -> CaseOut:
    """An operator opens a case; the account is notified and has 7 days to appeal before it applies."""
    case = await governance.open_case(
        s, user, violation_code=body.violation_code, subject_id=body.subject_id, shop_id=body.shop_id,
        reason=body.reason, evidence=body.evidence, immediate=body.immediate,
        measures=None if body.measures is None else [m.model_dump(exclude_none=True) for m in body.measures])
    return case_out(await governance.case_for(s, user, case.id))


@router.get("/governance/cases")
async def case_queue(user: CurrentUser, s: Session, status: CaseStatus | None = None,
                     subject_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                     limit: Limit = 100) -> list[CaseOut]:
    """The operator's queue of cases, newest first."""
    return [case_out(v) for v in await governance.case_queue(s, user, status=status, subject_id=subject_id,
                                                             limit=limit)]


@router.get("/governance/mine")
async def my_standing(user: CurrentUser, s: Session) -> StandingOut:
    """The caller's cases, points over the last 365 days and measures in force."""
    got = await governance.standing(s, user.id)
    return StandingOut(points=got.points, cases=[case_out(v) for v in got.cases],
                       in_force=[penalty_out(p) for p in got.in_force])


@router.get("/governance/cases/{case_id}")
async def get_case(case_id: PathId, user: CurrentUser, s: Session) -> CaseOut:
    return case_out(await governance.case_for(s, user, case_id))


@router.post("/governance/cases/{case_id}/appeal", status_code=201)
async def appeal(case_id: PathId, body: AppealIn, user: CurrentUser, s: Session) -> AppealOut:
    """The account appeals, once, within 7 days; the penalty waits for the decision."""
    return appeal_out(await governance.appeal_case(s, user, case_id, body.statement))


@router.get("/governance/appeals")
async def appeal_queue(user: CurrentUser, s: Session, limit: Limit = 100) -> list[CaseOut]:
    """Cases with an appeal waiting for an operator, oldest first."""
    return [case_out(v) for v in await governance.appeal_queue(s, user, limit=limit)]


@router.post("/governance/appeals/{appeal_id}/decision")
async def decide(appeal_id: PathId, body: DecisionIn, user: CurrentUser, s: Session) -> CaseOut:
    """Uphold (the case is overturned, nothing applied) or reject (the case goes in force now)."""
    case = await governance.decide_appeal(s, user, appeal_id, uphold=body.decision == "uphold", reason=body.reason)
    return case_out(await governance.case_for(s, user, case.id))


@router.get("/governance/audit")
async def audit_log(user: CurrentUser, s: Session, subject_kind: Literal["case", "user", "appeal"],
                    subject_id: Annotated[int, Query(ge=1, le=MAX_ID)]) -> list[AuditOut]:
    """Who decided what about a subject, and why, newest first; for an account, its cases' entries too."""
    return [audit_out(e) for e in await audit.trail(s, user, subject_kind, subject_id)]
