"""Violation cases (违规处罚): opening, the 7-day appeal (申诉), the operator's decision, going in force.

A case is opened by an operator or by a detector (fraud rings, live-chat abuse, an upheld
counterfeit claim) and the account is notified at once. For 7 days it may appeal, once.
Nothing is applied meanwhile: the measures go in force only when the window lapses
without an appeal (the enforcement job) or an operator rejects the appeal. An upheld
appeal overturns the case, which then never touched traffic, money or points. The one
exception is a safety measure taken on opening (`immediate`): an abusive stream ends now.

Every state change is a conditional update on the case's status, so the job, an appeal
arriving at the deadline and an operator's decision can race without a case going in
force twice or being both appealed and lapsed. Every decision writes an audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.events import record_event
from laotie.models import Appeal, Penalty, User, ViolationCase, ViolationType, utcnow
from laotie.social.inbox import service as inbox
from laotie.trust.governance.errors import (
    AlreadyAppealed,
    AppealDecided,
    AppealNotFound,
    AppealWindowClosed,
    CaseClosed,
    CaseNotFound,
    NotCaseSubject,
    ReasonRequired,
    ShopNotSubjects,
    SubjectNotFound,
    UnknownViolation,
)
from laotie.trust.governance.service import audit, penalties

APPEAL_WINDOW = timedelta(days=7)
STATUSES = ("notified", "appealed", "in_force", "overturned")
# Who opens cases besides operators; each names itself on the case (`source`).
DETECTOR_SOURCES = ("fraud_ring", "chat_abuse", "claim", "detector")
STATEMENT_MAX = 2000
REASON_MAX = 500
MY_CASES_URL = "/me/cases"


@dataclass
class CaseView:
    """A case with what a page or the API shows beside it."""

    case: ViolationCase
    violation: ViolationType
    subject_name: str
    appeal: Appeal | None
    reason: str  # why it was opened (from the audit log)
    penalties: list[Penalty] = field(default_factory=list)

    def appealable(self, now: datetime | None = None) -> bool:
        return (self.case.status == "notified" and self.appeal is None
                and (now or utcnow()) <= self.case.appeal_deadline)


@dataclass
class Standing:
    """An account's governance standing: points in the last 365 days, cases, measures in force."""

    points: int
    cases: list[CaseView]
    in_force: list[Penalty]


def _required(text: str, field_name: str, max_len: int, what: str) -> str:
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ReasonRequired(f"say {what}", field=field_name)
    if len(text) > max_len:
        raise DomainError(f"at most {max_len} characters", code="invalid_request", status=422, field=field_name)
    return text


def violation_name(t: ViolationType) -> str:
    """A violation as people call it, from its code and the catalog's "中文: English" description."""
    english = t.code.replace("_", " ").capitalize()
    chinese, colon, _ = t.description.partition(":")
    return f"{english} {chinese.strip()}" if colon and chinese.strip() else english


async def violation_types(s: AsyncSession) -> list[ViolationType]:
    """The catalog (违规类型), severe first, then by points."""
    rows = (await s.execute(select(ViolationType))).scalars().all()
    return sorted(rows, key=lambda v: (v.severity != "severe", -v.points, v.code))


async def violation_type(s: AsyncSession, code: str) -> ViolationType:
    got = await s.get(ViolationType, code)
    if got is None:
        raise UnknownViolation("no such violation in the catalog", field="violation_code")
    return got


async def open_case(s: AsyncSession, actor: User | None, *, violation_code: str, subject_id: int, reason: str,
                    shop_id: int | None = None, evidence: dict[str, Any] | None = None,
                    measures: list[Any] | None = None, immediate: bool = False, source: str = "detector",
                    now: datetime | None = None) -> ViolationCase:
    """Open a case against an account and notify it; `actor` None is a detector naming itself in `source`.

    Measures default to the catalog's (without shop-only ones when the account has no shop);
    an operator may give others. `immediate` ends the account's live stream now, before any
    appeal: the one thing that cannot wait for the window.
    """
    now = now or utcnow()
    if actor is not None:
        require_role(actor, "operator")
        source = "operator"
    elif source not in DETECTOR_SOURCES:
        raise DomainError("unknown detector", code="invalid_request", status=422, field="source")
    reason = _required(reason, "reason", REASON_MAX, "why this case is opened")
    violation = await violation_type(s, violation_code)
    subject = await s.get(User, subject_id)
    if subject is None:
        raise SubjectNotFound("no such account", field="subject_id")
    own_shop = await catalog.shop_of_owner(s, subject.id)
    if shop_id is None:
        shop_id = own_shop.id if own_shop else None
    elif own_shop is None or own_shop.id != shop_id:
        raise ShopNotSubjects("that shop is not this account's", field="shop_id")
    dropped: list[str] = []
    if measures is None:
        measures, dropped = penalties.fits_account(violation.measures, has_shop=shop_id is not None)
        measures = measures or [{"kind": "warning"}]
    else:
        measures = penalties.normalise_measures(measures, has_shop=shop_id is not None)
    case = ViolationCase(subject_id=subject.id, shop_id=shop_id, violation_code=violation.code,
                         opened_by=actor.id if actor else None, source=source, evidence=evidence or None,
                         status="notified", points=violation.points, measures=measures, immediate=immediate,
                         appeal_deadline=now + APPEAL_WINDOW, created_at=now)
    s.add(case)
    await s.flush()
    actor_id = actor.id if actor else None
    await audit.record(s, actor_id, "case.opened", "case", case.id, reason, {
        "subject_id": subject.id, "shop_id": shop_id, "violation_code": violation.code, "points": violation.points,
        "measures": measures, "immediate": immediate, "source": source, "left_out": dropped})
    if immediate:
        cut = await penalties.cut_streams(s, subject.id, f"case {case.id}")
        if cut:
            await audit.record(s, actor_id, "live.cut", "case", case.id, f"immediate safety measure: {reason}",
                               {"session_ids": cut})
    await inbox.notify(s, subject.id, "governance.case_opened",
                       f"Violation notice ({violation.code}): {reason}. Appeal by {case.appeal_deadline:%Y-%m-%d}.",
                       MY_CASES_URL, {"case_id": case.id})
    await record_event(s, "case.opened", {"case_id": case.id, "subject_id": subject.id, "shop_id": shop_id,
                                          "violation_code": violation.code, "immediate": immediate,
                                          "source": source})
    return case


async def get_case(s: AsyncSession, case_id: int) -> ViolationCase:
    case = await s.get(ViolationCase, case_id, populate_existing=True)
    if case is None:
        raise CaseNotFound("no such case")
    return case


async def appeal_case(s: AsyncSession, user: User, case_id: int, statement: str,
                      now: datetime | None = None) -> Appeal:
    """The subject appeals (申诉), once, within 7 days of being notified."""
    now = now or utcnow()
    case = await get_case(s, case_id)
    if case.subject_id != user.id:
        raise NotCaseSubject("only the account the case is against may appeal it")
    statement = _required(statement, "statement", STATEMENT_MAX, "why the case is wrong")
    if case.status == "appealed" or await _appeal_of(s, case.id) is not None:
        raise AlreadyAppealed("this case has been appealed already; each case takes one appeal")
    if case.status == "overturned":
        raise CaseClosed("this case was overturned; there is nothing to appeal")
    if case.status == "in_force" or now > case.appeal_deadline:
        raise AppealWindowClosed(f"the 7 days to appeal ended on {case.appeal_deadline:%Y-%m-%d %H:%M} UTC",
                                 deadline=case.appeal_deadline.isoformat())
    won = await s.execute(update(ViolationCase)
                          .where(ViolationCase.id == case.id, ViolationCase.status == "notified",
                                 ViolationCase.appeal_deadline >= now)
                          .values(status="appealed").returning(ViolationCase.id))
    if won.first() is None:  # the job or another appeal got there first
        raise AlreadyAppealed("this case has just been appealed or gone in force")
    appeal = Appeal(case_id=case.id, statement=statement, status="pending", created_at=now)
    s.add(appeal)
    await s.flush()
    await audit.record(s, user.id, "appeal.filed", "case", case.id, statement[:REASON_MAX], {"appeal_id": appeal.id})
    await record_event(s, "appeal.filed", {"case_id": case.id, "appeal_id": appeal.id, "subject_id": user.id})
    return appeal


async def _appeal_of(s: AsyncSession, case_id: int) -> Appeal | None:
    q = select(Appeal).where(Appeal.case_id == case_id).execution_options(populate_existing=True)
    return (await s.execute(q)).scalar_one_or_none()


async def decide_appeal(s: AsyncSession, operator: User, appeal_id: int, *, uphold: bool, reason: str,
                        now: datetime | None = None) -> ViolationCase:
    """An operator answers an appeal: upheld overturns the case (nothing applied, no points);
    rejected puts it in force now."""
    require_role(operator, "operator")
    now = now or utcnow()
    reason = _required(reason, "reason", REASON_MAX, "why")
    appeal = await s.get(Appeal, appeal_id)
    if appeal is None:
        raise AppealNotFound("no such appeal")
    won = await s.execute(update(Appeal).where(Appeal.id == appeal.id, Appeal.status == "pending")
                          .values(status="upheld" if uphold else "rejected", decided_by=operator.id,
                                  decided_at=now, reason=reason).returning(Appeal.id))
    if won.first() is None:
        raise AppealDecided("this appeal has been decided already")
    case = await get_case(s, appeal.case_id)
    if uphold:
        await s.execute(update(ViolationCase).where(ViolationCase.id == case.id, ViolationCase.status == "appealed")
                        .values(status="overturned", closed_at=now))
        await audit.record(s, operator.id, "appeal.upheld", "case", case.id, reason, {"appeal_id": appeal.id})
        await inbox.notify(s, case.subject_id, "governance.appeal_upheld",
                           f"Appeal upheld: case {case.id} is overturned. {reason}", MY_CASES_URL,
                           {"case_id": case.id})
        await record_event(s, "case.overturned", {"case_id": case.id, "subject_id": case.subject_id,
                                                  "by": operator.id})
    else:
        await audit.record(s, operator.id, "appeal.rejected", "case", case.id, reason, {"appeal_id": appeal.id})
        await _go_in_force(s, case.id, now, actor_id=operator.id, reason=f"appeal rejected: {reason}",
                           from_status="appealed")
    return await get_case(s, case.id)


async def _go_in_force(s: AsyncSession, case_id: int, now: datetime, *, actor_id: int | None, reason: str,
                       from_status: str) -> bool:
    cond = [ViolationCase.id == case_id, ViolationCase.status == from_status]
    if from_status == "notified":
        cond.append(ViolationCase.appeal_deadline < now)
    won = await s.execute(update(ViolationCase).where(*cond)
                          .values(status="in_force", effective_at=now, closed_at=now).returning(ViolationCase.id))
    if won.first() is None:
        return False
    case = await get_case(s, case_id)
    await penalties.apply_case(s, case, now)
    await audit.record(s, actor_id, "case.in_force", "case", case.id, reason,
                       {"measures": case.measures, "points": case.points})
    said = "; ".join(penalties.describe(m) for m in case.measures)
    await inbox.notify(s, case.subject_id, "governance.case_in_force",
                       f"Penalty in force (case {case.id}): {said}", MY_CASES_URL, {"case_id": case.id})
    await record_event(s, "case.in_force", {"case_id": case.id, "subject_id": case.subject_id,
                                            "shop_id": case.shop_id, "measures": case.measures})
    return True


async def due_cases(s: AsyncSession, now: datetime, limit: int = 500) -> list[int]:
    """Cases whose appeal window has lapsed without an appeal."""
    q = (select(ViolationCase.id).where(ViolationCase.status == "notified", ViolationCase.appeal_deadline < now)
         .order_by(ViolationCase.appeal_deadline, ViolationCase.id).limit(limit))
    return list((await s.execute(q)).scalars().all())


async def lapse_case(s: AsyncSession, case_id: int, now: datetime) -> bool:
    """No appeal within 7 days: in force now. False when an appeal or another run got there first."""
    return await _go_in_force(s, case_id, now, actor_id=None, reason="no appeal within 7 days",
                              from_status="notified")


async def enforce_due(s: AsyncSession, now: datetime | None = None) -> int:
    """In one transaction: lapsed cases go in force, expired measures are lifted. Returns how many changed."""
    now = now or utcnow()
    done = 0
    for case_id in await due_cases(s, now):
        done += await lapse_case(s, case_id, now)
    return done + await penalties.lift_expired(s, now)


# ---- reading -------------------------------------------------------------------------------------

async def _views(s: AsyncSession, cases: Sequence[ViolationCase], *, with_penalties: bool = False
                 ) -> list[CaseView]:
    if not cases:
        return []
    ids = [c.id for c in cases]
    types = {v.code: v for v in await violation_types(s)}
    names = dict((await s.execute(select(User.id, User.username)
                                  .where(User.id.in_({c.subject_id for c in cases})))).all())
    appeals = {a.case_id: a for a in (await s.execute(select(Appeal).where(Appeal.case_id.in_(ids)))).scalars()}
    reasons = await audit.reasons(s, "case.opened", "case", ids)
    by_case: dict[int, list[Penalty]] = {}
    if with_penalties:
        for p in (await s.execute(select(Penalty).where(Penalty.case_id.in_(ids)).order_by(Penalty.id))).scalars():
            by_case.setdefault(p.case_id, []).append(p)
    return [CaseView(c, types[c.violation_code], names.get(c.subject_id, "?"), appeals.get(c.id),
                     reasons.get(c.id, ""), by_case.get(c.id, [])) for c in cases]


async def case_queue(s: AsyncSession, operator: User, *, status: str | None = None, subject_id: int | None = None,
                     limit: int = 100) -> list[CaseView]:
    """The operator's queue: newest first, optionally one status or one account."""
    require_role(operator, "operator")
    q = select(ViolationCase)
    if status:
        if status not in STATUSES:
            raise DomainError(f"status is one of {', '.join(STATUSES)}", code="invalid_request", status=422,
                              field="status")
        q = q.where(ViolationCase.status == status)
    if subject_id is not None:
        q = q.where(ViolationCase.subject_id == subject_id)
    rows = (await s.execute(q.order_by(ViolationCase.id.desc()).limit(limit))).scalars().all()
    return await _views(s, rows)


async def appeal_queue(s: AsyncSession, operator: User, limit: int = 100) -> list[CaseView]:
    """Appeals waiting for a decision, oldest first (they hold a penalty back until answered)."""
    require_role(operator, "operator")
    q = (select(ViolationCase).join(Appeal, Appeal.case_id == ViolationCase.id)
         .where(Appeal.status == "pending").order_by(Appeal.id).limit(limit))
    return await _views(s, (await s.execute(q)).scalars().all())


async def case_for(s: AsyncSession, user: User, case_id: int) -> CaseView:
    """One case, for an operator or the account it is against (others are told it does not exist)."""
    case = await s.get(ViolationCase, case_id)
    if case is None or (case.subject_id != user.id and not user.has_role("operator")):
        raise CaseNotFound("no such case")
    return (await _views(s, [case], with_penalties=True))[0]


async def standing(s: AsyncSession, user_id: int, now: datetime | None = None) -> Standing:
    now = now or utcnow()
    q = select(ViolationCase).where(ViolationCase.subject_id == user_id).order_by(ViolationCase.id.desc()).limit(200)
    cases = await _views(s, (await s.execute(q)).scalars().all(), with_penalties=True)
    return Standing(await penalties.points_of(s, user_id, now), cases, await penalties.in_force(s, user_id, now))


async def recent_cases(s: AsyncSession, subject_id: int, violation_code: str, source: str,
                       since: datetime) -> list[ViolationCase]:
    """A detector's own recent cases against an account, to open one case per incident, not one per signal."""
    q = (select(ViolationCase).where(ViolationCase.subject_id == subject_id,
                                     ViolationCase.violation_code == violation_code,
                                     ViolationCase.source == source, ViolationCase.created_at >= since)
         .order_by(ViolationCase.id))
    return list((await s.execute(q)).scalars().all())
