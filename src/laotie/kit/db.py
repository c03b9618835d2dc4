"""Database engines, sessions and the unit of work (one request or job = one transaction)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

from laotie.config import Settings

log = logging.getLogger("laotie.db")
T = TypeVar("T")
# session.info key: coroutine functions to await once the transaction has committed.
AFTER_COMMIT_SENDS = "after_commit_sends"


@dataclass
class SqlStats:
    """Counts statements sent to the database (BEGIN/COMMIT excluded); read by /metrics."""

    statements: int = 0


def make_engine(settings: Settings, stats: SqlStats | None = None) -> AsyncEngine:
    url = settings.database_url
    if settings.is_sqlite:
        if settings.sqlite_driver == "inloop" and url.startswith("sqlite+aiosqlite:"):
            from laotie.kit import sqlite_inloop

            sqlite_inloop.register()
            url = "sqlite+inloop:" + url.split(":", 1)[1]
        # One connection: SQLite has one writer anyway, and serialising in the pool
        # (an asyncio queue) is far cheaper than SQLITE_BUSY retries.
        engine = create_async_engine(
            url,
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            echo=settings.log_sql,
        )
        inloop = url.startswith("sqlite+inloop:")
        synchronous = settings.sqlite_synchronous.upper()
        if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"LAOTIE_SQLITE_SYNCHRONOUS must be OFF/NORMAL/FULL/EXTRA, got {synchronous}")

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take transactions into our own hands (see "begin" below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            # In-loop: never let sqlite3 sleep on the event loop; the driver backs off instead.
            cur.execute(f"PRAGMA busy_timeout={0 if inloop else 15000}")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front, so a read-then-write
            # transaction cannot be overtaken by another process's writer.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        engine = create_async_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            pool_pre_ping=False,
            echo=settings.log_sql,
        )
    if stats is not None:

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
                stats.statements += 1

    return engine


@dataclass
class Database:
    """The engine, the session factory, and the hooks that run after a commit."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    stats: SqlStats
    after_commit: list[Callable[[AsyncSession], None]] = field(default_factory=list)
    bus: Any = None  # the EventBus its dispatcher serves; set by the Dispatcher
    hub: Any = None  # the realtime Hub (kit/realtime.py) rooms fan out through; set by the app
    # Optional per-process services the app starts (e.g. "flash_gate" when Redis is configured).
    services: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def connect(cls, settings: Settings) -> Database:
        stats = SqlStats()
        engine = make_engine(settings, stats)
        maker = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        return cls(settings=settings, engine=engine, sessionmaker=maker, stats=stats)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on any exception."""
        async with self.sessionmaker() as session:
            session.info["db"] = self
            async with session.begin():
                yield session
            for hook in self.after_commit:
                hook(session)
            sends: list[Callable[[], Awaitable[object]]] = session.info.pop(AFTER_COMMIT_SENDS, [])
            for send in sends:
                # Best effort: the change is committed, so a failed push must not turn it
                # into an error; clients catch up from the stored log when they reconnect.
                try:
                    await send()
                except Exception:
                    log.exception("after-commit send failed")

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT support for whichever database the session is on."""
    from sqlalchemy.dialects import postgresql, sqlite

    bind = session.get_bind()
    module = postgresql if bind.dialect.name == "postgresql" else sqlite
    return module.insert(table)


async def publish_after_commit(session: AsyncSession, channel: str, text: str) -> None:
    """Publish on the hub once the session's transaction commits (at once outside one); nothing on rollback."""
    hub = session.info["db"].hub
    if hub is None:
        return
    send = partial(hub.publish, channel, text)
    if session.in_transaction():
        session.info.setdefault(AFTER_COMMIT_SENDS, []).append(send)
    else:
        await send()


# PostgreSQL's "try again" answers: deadlock_detected and serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
RETRIES = 3  # after the first attempt
RETRY_BASE_SECONDS = 0.02


def is_retryable(exc: BaseException) -> bool:
    """A deadlock, a serialization failure or a busy SQLite file: the same work in a fresh transaction may pass."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for source in (current, getattr(current, "orig", None)):
            if source is None:
                continue
            if getattr(source, "sqlstate", None) in RETRYABLE_SQLSTATES or \
                    getattr(source, "pgcode", None) in RETRYABLE_SQLSTATES:
                return True
            if "database is locked" in str(source):
                return True
        current = current.__cause__ or current.__context__
    return False


async def retrying(work: Callable[[], Awaitable[T]], *, what: str = "transaction", retries: int = RETRIES) -> T:
    """Await `work()`, again (a bounded number of times, after a short jittered pause) when it
    fails for a reason another attempt can cure (`is_retryable`).

    `work` must open its own transaction each time it is called, so a retry starts afresh;
    anything else it raises goes straight to the caller.
    """
    for attempt in range(retries + 1):
        try:
            return await work()
        except Exception as exc:
            if attempt == retries or not is_retryable(exc):
                raise
            log.info("%s hit a lock conflict, retrying (%d of %d)", what, attempt + 1, retries)
            await asyncio.sleep(random.uniform(0.5, 1.5) * RETRY_BASE_SECONDS * 2**attempt)
    raise AssertionError("unreachable")


async def in_retried_transaction(db: Database, step: Callable[[AsyncSession], Awaitable[T]], *,
                                 what: str = "transaction") -> T:
    """Run `step` in a transaction of its own, retried in a fresh one on a deadlock or serialization failure."""

    async def once() -> T:
        async with db.transaction() as s:
            return await step(s)

    return await retrying(once, what=what)
