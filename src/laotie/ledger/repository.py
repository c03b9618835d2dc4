"""Ledger queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import dialect_insert
from laotie.ledger import balance_moves
from laotie.models import JournalEntry, JournalPosting, LedgerAccount, utcnow


async def ensure_accounts(s: AsyncSession, accounts: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Ids of the accounts, creating those that do not exist yet (race-safe)."""
    codes = sorted({code for code, _ in accounts})
    kinds = dict(accounts)
    missing = set(codes) - set(await _ids(s, codes))
    if missing:
        await s.execute(
            dialect_insert(s, LedgerAccount)
            .values([{"code": c, "kind": kinds[c], "balance": 0, "created_at": utcnow()} for c in sorted(missing)])
            .on_conflict_do_nothing()
        )
    return await _ids(s, codes)


async def _ids(s: AsyncSession, codes: Sequence[str]) -> dict[str, int]:
    rows = await s.execute(select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(codes)))
    return {code: id_ for code, id_ in rows.all()}


async def balances(s: AsyncSession, codes: Sequence[str]) -> dict[str, int]:
    """Balances as this transaction sees them, its own entries not yet applied included."""
    rows = await s.execute(select(LedgerAccount.code, LedgerAccount.id, LedgerAccount.balance)
                           .where(LedgerAccount.code.in_(codes)))
    moves = balance_moves.pending(s)
    return {code: bal + moves.get(id_, 0) for code, id_, bal in rows.all()}


async def lock_balances(s: AsyncSession, accounts: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Balances of the accounts (this transaction's own moves included), their rows locked in account-id order."""
    ids = await ensure_accounts(s, accounts)
    rows = await s.execute(select(LedgerAccount.code, LedgerAccount.id, LedgerAccount.balance)
                           .where(LedgerAccount.id.in_(list(ids.values())))
                           .order_by(LedgerAccount.id).with_for_update())
    moves = balance_moves.pending(s)
    return {code: int(bal) + moves.get(id_, 0) for code, id_, bal in rows.all()}


async def entry_exists(s: AsyncSession, kind: str, ref: str) -> bool:
    row = await s.execute(select(JournalEntry.id).where(JournalEntry.kind == kind, JournalEntry.ref == ref))
    return row.first() is not None


async def unbalanced_entries(s: AsyncSession) -> list[tuple[int, int]]:
    stmt = (
        select(JournalEntry.id, func.coalesce(func.sum(JournalPosting.amount), 0))
        .outerjoin(JournalPosting, JournalPosting.entry_id == JournalEntry.id)
        .group_by(JournalEntry.id)
        .having((func.coalesce(func.sum(JournalPosting.amount), 0) != 0) | (func.count(JournalPosting.id) < 2))
    )
    return [(int(a), int(b)) for a, b in (await s.execute(stmt)).all()]


async def drifted_accounts(s: AsyncSession) -> list[tuple[str, int, int]]:
    sums = (
        select(JournalPosting.account_id, func.sum(JournalPosting.amount).label("total"))
        .group_by(JournalPosting.account_id)
        .subquery()
    )
    stmt = (
        select(LedgerAccount.code, LedgerAccount.balance, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.balance != func.coalesce(sums.c.total, 0))
    )
    return [(c, int(b), int(t)) for c, b, t in (await s.execute(stmt)).all()]


async def counts(s: AsyncSession) -> tuple[int, int, int]:
    e = (await s.execute(select(func.count()).select_from(JournalEntry))).scalar_one()
    p = (await s.execute(select(func.count()).select_from(JournalPosting))).scalar_one()
    a = (await s.execute(select(func.count()).select_from(LedgerAccount))).scalar_one()
    return int(e), int(p), int(a)


async def postings_of(s: AsyncSession, code: str, limit: int = 50) -> list[tuple[JournalEntry, int]]:
    stmt = (
        select(JournalEntry, JournalPosting.amount)
        .join(JournalPosting, JournalPosting.entry_id == JournalEntry.id)
        .join(LedgerAccount, LedgerAccount.id == JournalPosting.account_id)
        .where(LedgerAccount.code == code)
        .order_by(JournalEntry.id.desc())
        .limit(limit)
    )
    return [(e, int(a)) for e, a in (await s.execute(stmt)).all()]
