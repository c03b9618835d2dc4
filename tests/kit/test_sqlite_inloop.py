"""The in-loop SQLite driver waits out another process's write lock without blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from laotie.config import Settings
from laotie.kit.db import Database

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # a SQLite driver, whatever the default


async def test_waits_for_a_foreign_writer_and_keeps_the_loop_free(settings: Settings, tmp_path: Path) -> None:
    db = Database.connect(settings)
    assert db.engine.dialect.driver == "inloop"
    path = settings.database_url.split("///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock

    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> int:
        async with db.transaction() as s:
            return int((await s.execute(text("SELECT count(*) FROM users"))).scalar_one())

    beat = asyncio.create_task(heartbeat())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done()  # still waiting for the lock ...
    assert ticks >= 10  # ... while the loop keeps serving others
    other.execute("COMMIT")
    started = time.monotonic()
    assert await writer == 0
    assert time.monotonic() - started < 1.0
    beat.cancel()
    other.close()
    await db.dispose()
