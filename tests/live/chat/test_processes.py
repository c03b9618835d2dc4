"""Chat across two real server processes sharing one database and Redis."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from laotie.kit.db import Database
from tests.conftest import make_settings
from tests.live.chat.support import SeededRoom, chat, free_port, seed_room
from tests.support import flushed_redis

# Its own Redis database: other suites flush theirs.
REDIS_URL = os.environ.get("LAOTIE_TEST_CHAT_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
async def redis_db() -> AsyncIterator[str]:
    yield await flushed_redis(REDIS_URL)


class Servers:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env = tmp, env
        self.procs: list[subprocess.Popen[bytes]] = []
        self.ports: list[int] = []

    def start(self, n: int) -> None:
        for i in range(n):
            port = free_port()
            log = (self.tmp / f"server{i}.log").open("wb")
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory", "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "warning"],
                env={**os.environ, **self.env}, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT))
            self.ports.append(port)

    async def wait_healthy(self) -> None:
        async with httpx.AsyncClient() as client:
            for proc, port in zip(self.procs, self.ports, strict=True):
                for _ in range(300):
                    assert proc.poll() is None, self.logs()
                    try:
                        if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError(f"server on {port} never became healthy:\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("server*.log")))

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
async def two_servers(tmp_path: Path, migrated_sqlite: Path, redis_db: str
                      ) -> AsyncIterator[tuple[list[str], SeededRoom, Servers]]:
    db_path = tmp_path / "laotie.db"
    shutil.copy(migrated_sqlite, db_path)
    url = f"sqlite+aiosqlite:///{db_path}"
    settings = make_settings(tmp_path, url)
    db = Database.connect(settings)
    try:
        seeded = await seed_room(db, ["ann", "bob"])
    finally:
        await db.dispose()
    servers = Servers(tmp_path, {
        "LAOTIE_DATABASE_URL": url, "LAOTIE_DATA_DIR": str(tmp_path), "LAOTIE_MEDIA_DIR": str(tmp_path / "media"),
        "LAOTIE_SECRET_KEY": "test-secret", "LAOTIE_JOBS_ENABLED": "false", "LAOTIE_REDIS_URL": redis_db,
        "LAOTIE_CHAT_FLUSH_MS": "50", "LAOTIE_CHAT_STATS_SECONDS": "0.2", "LAOTIE_SQLITE_SYNCHRONOUS": "NORMAL"})
    servers.start(2)
    try:
        await servers.wait_healthy()
        yield [f"ws://127.0.0.1:{p}" for p in servers.ports], seeded, servers
    finally:
        servers.stop()


async def test_a_comment_through_one_process_reaches_a_viewer_of_the_other(
        two_servers: tuple[list[str], SeededRoom, Servers]) -> None:
    (a, b), room, servers = two_servers
    sid, (ann_id, ann), (_, bob) = room.session_id, room.users["ann"], room.users["bob"]
    async with chat(b, sid) as viewer, chat(a, sid, ann) as poster_a, chat(b, sid, ann) as poster_b:
        await poster_a.send(type="comment", body="hello from process A")
        got = await viewer.until(lambda m: m.get("body") == "hello from process A")
        assert got["user_id"] == ann_id and got["type"] == "comment"

        # one token bucket for ann, whichever process she talks to
        await poster_a.send(type="comment", body="two")
        await poster_a.send(type="comment", body="three")
        await viewer.until(lambda m: m.get("body") == "three")
        await poster_b.send(type="comment", body="four, too fast")
        assert (await poster_b.error())["code"] == "rate_limited"

        # viewers are counted across processes; likes from A show on B
        for _ in range(5):
            await poster_a.send(type="like")
        stats = await viewer.until(lambda m: m.get("type") == "stats" and m["viewers"] == 3 and m["likes"] == 5)
        assert stats["skipped"] == 0

        # a purchase question asked on B is answered to viewers on A
        async with chat(b, sid, bob) as asker:
            await asker.send(type="comment", body="how much?")
            reply = await poster_a.until(lambda m: m.get("type") == "reply")
            assert reply["payload"]["product"]["id"] == room.product_ids[0]
    assert "Traceback" not in servers.logs()
