"""Deadlocks and serialization failures are retried in a fresh transaction, a bounded number of times."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.kit import db as kit_db
from laotie.kit.db import Database, in_retried_transaction, is_retryable, retrying
from laotie.kit.jobs import Scheduler, each_in_own_transaction
from laotie.models import LedgerAccount, PlatformSetting, utcnow


class _DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def conflict(sqlstate: str = "40P01", message: str = "deadlock detected") -> OperationalError:
    """What SQLAlchemy raises when the driver reports a deadlock (or a locked SQLite file)."""
    return OperationalError("UPDATE ...", {}, _DriverError(message, sqlstate))


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kit_db, "RETRY_BASE_SECONDS", 0.0)


def test_what_is_retryable() -> None:
    assert is_retryable(conflict("40P01"))
    assert is_retryable(conflict("40001", "could not serialize access"))
    assert is_retryable(conflict(None, "database is locked"))
    assert not is_retryable(conflict("23505", "duplicate key value"))
    assert not is_retryable(ValueError("no"))
    try:
        raise RuntimeError("wrapped") from conflict()
    except RuntimeError as exc:
        assert is_retryable(exc)


async def test_retrying_is_bounded_and_lets_other_errors_through() -> None:
    calls: list[int] = []

    async def twice_deadlocked() -> str:
        calls.append(1)
        if len(calls) <= 2:
            raise conflict()
        return "done"

    assert await retrying(twice_deadlocked) == "done" and len(calls) == 3

    calls.clear()

    async def always_deadlocked() -> None:
        calls.append(1)
        raise conflict()

    with pytest.raises(OperationalError):
        await retrying(always_deadlocked)
    assert len(calls) == 1 + kit_db.RETRIES

    calls.clear()

    async def refused() -> None:
        calls.append(1)
        raise ValueError("a business refusal is not retried")

    with pytest.raises(ValueError):
        await retrying(refused)
    assert len(calls) == 1


async def _setting(db: Database, key: str) -> object:
    async with db.transaction() as s:
        row = await s.get(PlatformSetting, key, populate_existing=True)
        return None if row is None else row.value


async def test_a_retried_transaction_starts_afresh(settings: Settings) -> None:
    db = Database.connect(settings)
    attempts: list[int] = []

    async def step(s: AsyncSession) -> int:
        attempts.append(1)
        s.add(PlatformSetting(key=f"retry.{len(attempts)}", value=1, updated_at=utcnow()))
        await s.flush()
        if len(attempts) == 1:
            raise conflict()
        return len(attempts)

    assert await in_retried_transaction(db, step) == 2
    assert await _setting(db, "retry.1") is None  # the failed attempt left nothing
    assert await _setting(db, "retry.2") == 1
    await db.dispose()


async def test_jobs_run_again_after_a_deadlock(settings: Settings) -> None:
    db = Database.connect(settings)
    jobs = Scheduler()
    runs: list[int] = []

    @jobs.job("test.flaky")
    async def flaky(_db: Database) -> int:
        runs.append(1)
        if len(runs) == 1:
            raise conflict()
        return 7

    assert await jobs.run(db, "test.flaky") == 7
    runs.clear()
    assert await jobs.run_all(db) == {"test.flaky": 7}

    steps: list[int] = []

    async def step(_s: AsyncSession, item: int) -> bool:
        steps.append(item)
        if steps.count(item) == 1 and item == 2:
            raise conflict()
        return True

    assert await each_in_own_transaction(db, [1, 2, 3], step) == 3
    assert steps == [1, 2, 2, 3]
    await db.dispose()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_real_deadlock_on_postgresql_is_retried(settings: Settings) -> None:
    db = Database.connect(settings)
    async with db.transaction() as s:
        for code in ("test:a", "test:b"):
            s.add(LedgerAccount(code=code, kind="asset", balance=0, created_at=utcnow()))
    first_holds, second_holds = asyncio.Event(), asyncio.Event()

    async def bump(s: AsyncSession, code: str) -> None:
        await s.execute(update(LedgerAccount).where(LedgerAccount.code == code)
                        .values(balance=LedgerAccount.balance + 1))

    def crossing(mine: str, other: str, held: asyncio.Event,
                 wait_for: asyncio.Event) -> Callable[[AsyncSession], Awaitable[None]]:
        async def step(s: AsyncSession) -> None:
            await bump(s, mine)
            held.set()
            await wait_for.wait()  # both hold one row: each now wants the other's
            await bump(s, other)

        return step

    await asyncio.gather(
        in_retried_transaction(db, crossing("test:a", "test:b", first_holds, second_holds)),
        in_retried_transaction(db, crossing("test:b", "test:a", second_holds, first_holds)),
    )
    async with db.transaction() as s:
        got = (await s.execute(select(LedgerAccount.code, LedgerAccount.balance)
                               .where(LedgerAccount.code.in_(["test:a", "test:b"])))).all()
    assert sorted(got) == [("test:a", 2), ("test:b", 2)]
    await db.dispose()
