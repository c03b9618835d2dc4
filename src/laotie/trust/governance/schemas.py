"""Governance request and response models: cases, measures, appeals, the catalog, the audit log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from laotie.kit.types import RefId
from laotie.trust.governance import service as governance
from laotie.trust.governance.service.penalties import MAX_DAYS, MAX_FEE, MAX_MEASURES

EVIDENCE_MAX_CHARS = 10_000


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _small(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(json.dumps(value, ensure_ascii=False)) > EVIDENCE_MAX_CHARS:
        raise ValueError(f"at most {EVIDENCE_MAX_CHARS} characters of JSON")
    return value


Reason = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_no_nul)]
Statement = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_no_nul)]
MeasureKind = Literal["warning", "traffic_limit", "cart_suspension", "live_revoked", "listing_ban", "fee",
                      "account_ban"]


class MeasureIn(BaseModel):
    """One measure. `percent` (share of traffic kept, 0–99) for traffic_limit; `days` for timed
    measures (traffic_limit, cart_suspension, live_revoked, listing_ban); `amount` in fen for fee."""

    kind: MeasureKind
    percent: Annotated[int, Field(ge=0, le=99)] | None = None
    days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None
    amount: Annotated[int, Field(ge=1, le=MAX_FEE)] | None = None


class CaseIn(BaseModel):
    violation_code: Annotated[str, Field(min_length=1, max_length=40)]
    subject_id: RefId
    shop_id: RefId | None = None
    reason: Reason
    evidence: Annotated[dict[str, Any] | None, AfterValidator(_small)] = None
    measures: Annotated[list[MeasureIn], Field(min_length=1, max_length=MAX_MEASURES)] | None = Field(
        None, description="leave out for the catalog's default measures")
    immediate: bool = Field(False, description="end the account's live stream now (a safety measure)")


class AppealIn(BaseModel):
    statement: Statement


class DecisionIn(BaseModel):
    decision: Literal["uphold", "reject"]
    reason: Reason


class ViolationTypeOut(BaseModel):
    code: str
    description: str
    severity: str
    points: int
    measures: list[dict[str, Any]]


class PenaltyOut(BaseModel):
    id: int
    case_id: int
    kind: str
    value: int
    starts_at: datetime
    ends_at: datetime | None
    status: str


class AppealOut(BaseModel):
    id: int
    case_id: int
    statement: str
    status: str
    decided_by: int | None
    decided_at: datetime | None
    reason: str | None
    created_at: datetime


class CaseOut(BaseModel):
    id: int
    subject_id: int
    subject_name: str
    shop_id: int | None
    violation_code: str
    violation: str
    severity: str
    points: int
    measures: list[dict[str, Any]]
    status: str
    source: str
    opened_by: int | None
    reason: str
    evidence: dict[str, Any] | None
    immediate: bool
    appeal_deadline: datetime
    appealable: bool
    effective_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    appeal: AppealOut | None
    penalties: list[PenaltyOut] = Field(default_factory=list)


class StandingOut(BaseModel):
    points: int
    cases: list[CaseOut]
    in_force: list[PenaltyOut]


class AuditOut(BaseModel):
    id: int
    actor_id: int | None
    action: str
    subject_kind: str
    subject_id: int
    reason: str
    data: dict[str, Any] | None
    created_at: datetime


def penalty_out(p: Any) -> PenaltyOut:
    return PenaltyOut(id=p.id, case_id=p.case_id, kind=p.kind, value=p.value, starts_at=p.starts_at,
                      ends_at=p.ends_at, status=p.status)


def appeal_out(a: Any) -> AppealOut:
    return AppealOut(id=a.id, case_id=a.case_id, statement=a.statement, status=a.status, decided_by=a.decided_by,
                     decided_at=a.decided_at, reason=a.reason, created_at=a.created_at)


def case_out(v: governance.CaseView) -> CaseOut:
    c = v.case
    return CaseOut(id=c.id, subject_id=c.subject_id, subject_name=v.subject_name, shop_id=c.shop_id,
                   violation_code=c.violation_code, violation=v.violation.description, severity=v.violation.severity,
                   points=c.points, measures=list(c.measures), status=c.status, source=c.source,
                   opened_by=c.opened_by, reason=v.reason, evidence=c.evidence, immediate=c.immediate,
                   appeal_deadline=c.appeal_deadline, appealable=v.appealable(), effective_at=c.effective_at,
                   closed_at=c.closed_at, created_at=c.created_at,
                   appeal=appeal_out(v.appeal) if v.appeal else None,
                   penalties=[penalty_out(p) for p in v.penalties])


def audit_out(e: Any) -> AuditOut:
    return AuditOut(id=e.id, actor_id=e.actor_id, action=e.action, subject_kind=e.subject_kind,
                    subject_id=e.subject_id, reason=e.reason, data=e.data, created_at=e.created_at)
