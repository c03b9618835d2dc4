"""The governance audit log: one row per decision, saying who decided (None: the system) and why.

Rows are only ever added. A case's history is the rows about the case; an account's is the
rows about the account and about each of its cases, so an operator reviewing an appeal sees
everything that was decided about that account in one list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.models import AuditEntry, User, ViolationCase, utcnow

REASON_MAX = 500


async def record(s: AsyncSession, actor_id: int | None, action: str, subject_kind: str, subject_id: int,
                 reason: str, data: dict[str, Any] | None = None, *, at: datetime | None = None) -> AuditEntry:
    """Add one entry; `at` lets a detector date it by what it saw rather than when it ran."""
    entry = AuditEntry(actor_id=actor_id, action=action, subject_kind=subject_kind, subject_id=subject_id,
                       reason=reason[:REASON_MAX], data=data, created_at=at or utcnow())
    s.add(entry)
    await s.flush()
    return entry


async def entries(s: AsyncSession, subject_kind: str, subject_id: int, *, limit: int = 200) -> list[AuditEntry]:
    """Entries about one subject (a case, an account, an appeal), newest first."""
    q = (select(AuditEntry).where(AuditEntry.subject_kind == subject_kind, AuditEntry.subject_id == subject_id)
         .order_by(AuditEntry.id.desc()).limit(limit))
    return list((await s.execute(q)).scalars().all())


async def account_history(s: AsyncSession, user_id: int, *, limit: int = 200) -> list[AuditEntry]:
    """Everything decided about an account: entries on the account and on each of its cases, newest first."""
    case_ids = select(ViolationCase.id).where(ViolationCase.subject_id == user_id)
    q = (select(AuditEntry)
         .where(or_(and_(AuditEntry.subject_kind == "user", AuditEntry.subject_id == user_id),
                    and_(AuditEntry.subject_kind == "case", AuditEntry.subject_id.in_(case_ids))))
         .order_by(AuditEntry.id.desc()).limit(limit))
    return list((await s.execute(q)).scalars().all())


async def count_since(s: AsyncSession, action: str, subject_kind: str, subject_id: int, since: datetime) -> int:
    q = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.subject_kind == subject_kind, AuditEntry.subject_id == subject_id, AuditEntry.action == action,
        AuditEntry.created_at >= since)
    return int((await s.execute(q)).scalar_one())


async def last_at(s: AsyncSession, action: str, subject_kind: str, subject_id: int) -> datetime | None:
    q = (select(AuditEntry.created_at).where(AuditEntry.subject_kind == subject_kind,
                                             AuditEntry.subject_id == subject_id, AuditEntry.action == action)
         .order_by(AuditEntry.created_at.desc()).limit(1))
    return (await s.execute(q)).scalar_one_or_none()


async def reasons(s: AsyncSession, action: str, subject_kind: str, subject_ids: Sequence[int]) -> dict[int, str]:
    """The reason given for `action` on each subject (the first, if there were several)."""
    if not subject_ids:
        return {}
    q = (select(AuditEntry.subject_id, AuditEntry.reason)
         .where(AuditEntry.action == action, AuditEntry.subject_kind == subject_kind,
                AuditEntry.subject_id.in_(list(subject_ids)))
         .order_by(AuditEntry.id.desc()))
    return {subject_id: reason for subject_id, reason in (await s.execute(q)).all()}


async def actor_names(s: AsyncSession, rows: Sequence[AuditEntry]) -> dict[int, str]:
    """Display names of the people in these entries (the system has none)."""
    ids = {r.actor_id for r in rows if r.actor_id is not None}
    if not ids:
        return {}
    q = select(User.id, User.username).where(User.id.in_(ids))
    return {i: name for i, name in (await s.execute(q)).all()}


SUBJECT_KINDS = ("case", "user", "appeal")


async def trail(s: AsyncSession, operator: User, subject_kind: str, subject_id: int) -> list[AuditEntry]:
    """The log for one subject, for operators only (it names who decided)."""
    require_role(operator, "operator")
    if subject_kind not in SUBJECT_KINDS:
        raise DomainError(f"subject_kind is one of {', '.join(SUBJECT_KINDS)}", code="invalid_request", status=422,
                          field="subject_kind")
    if subject_kind == "user":
        return await account_history(s, subject_id)
    return await entries(s, subject_kind, subject_id)
