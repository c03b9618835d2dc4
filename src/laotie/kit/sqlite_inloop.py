"""An async SQLite driver that runs each statement on the event loop's own thread.

aiosqlite sends every call (cursor, execute, fetch, commit) to a worker thread
and back: about thirty round trips and sixty loop wake-ups for one checkout,
which cost more than the SQL itself. laotie already serialises SQLite through
one connection, and SQLite answers in microseconds, so this driver gives
SQLAlchemy's aiosqlite adapter a shim whose coroutines finish at once.

The trade: a slow statement or a slow fsync holds the event loop, not only the
connection. Keep `LAOTIE_SQLITE_DRIVER=thread` (aiosqlite) for databases on
slow disks or with long reporting queries.
"""

from __future__ import annotations

import asyncio
import sqlite3
import types
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

BUSY_WAIT_SECONDS = 15.0


async def _retry_busy(call: Any, *args: Any) -> Any:
    """Run a sqlite3 call; while another process holds the lock, wait without blocking the loop.

    The connection runs with busy_timeout=0 so sqlite3 never sleeps on the loop's
    thread; this backs off with asyncio.sleep instead, for as long as aiosqlite would.
    """
    delay, waited = 0.001, 0.0
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if waited >= BUSY_WAIT_SECONDS:
                raise
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 0.05)


class _Cursor:
    __slots__ = ("_cur",)

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self._cur = cur

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cur.close()

    @property
    def description(self) -> Any:
        return self._cur.description

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cur.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cur.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cur.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Cursor:
        await _retry_busy(self._cur.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> _Cursor:
        await _retry_busy(self._cur.executemany, sql, list(seq))
        return self

    async def fetchone(self) -> Any:
        return self._cur.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cur.fetchmany(size if size is not None else self._cur.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cur.fetchall()

    async def close(self) -> None:
        self._cur.close()


class Connection:
    """What SQLAlchemy's aiosqlite adapter expects of an aiosqlite connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection = conn  # the adapter checks this is truthy before commit/rollback
        self._thread = types.SimpleNamespace(daemon=True)

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor())

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def commit(self) -> None:
        await _retry_busy(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None  # type: ignore[assignment]

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)


async def _connect(*args: Any, **kw: Any) -> Connection:
    kw.setdefault("check_same_thread", False)
    return Connection(sqlite3.connect(*args, **kw))


def _shim_module() -> types.ModuleType:
    module = types.ModuleType("laotie_inloop_sqlite")
    module.Connection = Connection  # type: ignore[attr-defined]
    module.connect = _connect  # type: ignore[attr-defined]
    for name in ("DatabaseError", "Error", "IntegrityError", "NotSupportedError", "OperationalError",
                 "ProgrammingError", "sqlite_version", "sqlite_version_info"):
        setattr(module, name, getattr(sqlite3, name))
    return module


class _AdaptedConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection._conn.isolation_level = value


class _Dbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _AdaptedConnection:
        from sqlalchemy.util.concurrency import await_

        return _AdaptedConnection(self, cast(Any, await_(_connect(*arg, **kw))))


class SQLiteDialect_inloop(SQLiteDialect_aiosqlite):
    driver = "inloop"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> _Dbapi:
        return _Dbapi(_shim_module(), sqlite3)


def register() -> None:
    registry.register("sqlite.inloop", __name__, "SQLiteDialect_inloop")
