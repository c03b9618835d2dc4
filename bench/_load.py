"""Bench plumbing: a minimal HTTP/1.1 keep-alive client, a closed-loop load driver, a
uvicorn subprocess that is always stopped, and the raw database primitive to compare with.

httpx costs more CPU per request than the server under test does for a no-op, which on a
2-core box (client and server sharing it) would measure the client; this raw-socket client
does one write and two reads per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REQUEST_TIMEOUT = 60.0


def build_request(method: str, path: str, host: str, headers: dict[str, str] | None = None,
                  body: bytes = b"") -> bytes:
    """The full bytes of one keep-alive request, built once and sent many times."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class HttpConn:
    """One keep-alive connection; `send` writes a prebuilt request and reads the reply."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if chunked:
            body = await self._read_chunked()
        else:
            body = await self.reader.readexactly(length) if length else b""
        if close:
            await self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers expected
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


async def request_once(host: str, port: int, raw: bytes) -> tuple[int, bytes]:
    conn = HttpConn(host, port)
    try:
        return await asyncio.wait_for(conn.send(raw), REQUEST_TIMEOUT)
    finally:
        await conn.close()


@dataclass
class LoadResult:
    measured_ok: int = 0      # expected status, completed inside the measuring window
    measured_errors: int = 0  # anything else inside the window
    total_ok: int = 0         # including warm-up and requests still in flight at the end
    total_errors: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    server_cpu_ms: float | None = None  # server process CPU per reply, whole phase

    @property
    def rate(self) -> float:
        return self.measured_ok / self.seconds if self.seconds else 0.0


async def run_load(host: str, port: int, requests: list[bytes], *, expect: int, warmup: float,
                   seconds: float, tick: Callable[[float, LoadResult], None] | None = None,
                   ) -> LoadResult:
    """Closed loop: one client per prebuilt request, each waiting for its reply before the
    next. Replies completing in [warm-up end, warm-up end + seconds) are the measurement."""
    loop = asyncio.get_running_loop()
    result = LoadResult(seconds=seconds)
    start = loop.time()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    def record(status: int, body: bytes) -> None:
        inside = measure_from <= loop.time() < stop_at
        result.statuses[status] += 1
        if status == expect:
            result.total_ok += 1
            result.measured_ok += inside
            return
        result.total_errors += 1
        result.measured_errors += inside
        if len(result.samples) < 5:
            result.samples.append(f"{status} {body[:300].decode(errors='replace')}")

    async def client(raw: bytes) -> None:
        conn = HttpConn(host, port)
        try:
            while loop.time() < stop_at:
                try:
                    status, body = await asyncio.wait_for(conn.send(raw), REQUEST_TIMEOUT)
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                    # A lost reply; the request may or may not have been applied.
                    record(-1, repr(exc).encode())
                    await conn.close()
                    await asyncio.sleep(0.05)
                    continue
                record(status, body)
        finally:
            await conn.close()

    async def ticker() -> None:
        while True:
            await asyncio.sleep(0.5)
            if tick is not None:
                tick(min(loop.time(), stop_at) - start, result)

    ticking = asyncio.create_task(ticker())
    try:
        await asyncio.gather(*(client(raw) for raw in requests))
    finally:
        ticking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticking
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`uvicorn laotie.app:create_app --factory`, one process, stopped on exit."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.host, self.port = "127.0.0.1", free_port()
        self.env = {**os.environ, **env}
        self.workdir = workdir
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory",
               "--host", self.host, "--port", str(self.port), "--log-level", "warning",
               "--no-access-log"]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, cwd=self.workdir, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    async def __aenter__(self) -> Server:
        self.start()
        try:
            await self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.stop()

    async def _wait_healthy(self, limit: float = 60.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + limit
        raw = build_request("GET", "/healthz", self.host)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, TimeoutError):
                status, _ = await request_once(self.host, self.port, raw)
                if status == 200:
                    return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"server not healthy after {limit:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # graceful: lifespan shutdown closes the pool
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the server process so far (Linux /proc), None if unknown."""
        if self.proc is None:
            return None
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_problems(self) -> list[str]:
        """Lines of the server log that report a failure (tracebacks, errors)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [ln for ln in text.splitlines()
                if "Traceback" in ln or "ERROR" in ln or "Exception" in ln]


# ---- the raw primitive: one conditional stock UPDATE + one INSERT per transaction ----------

RAW_TABLE = "bench_raw_orders"
RAW_UPDATE = "UPDATE skus SET stock = stock - 1 WHERE id = {p} AND stock >= 1"
RAW_INSERT = f"INSERT INTO {RAW_TABLE} (sku_id, buyer_id, amount, created_at) VALUES ({{ps}})"
RAW_WARMUP = 1.0


def pg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def reset_postgres(url: str) -> None:
    import asyncpg

    try:
        conn = await asyncpg.connect(pg_dsn(url))
    except asyncpg.InvalidCatalogNameError:
        # The bench keeps its own database so it never drops the tests' schema mid-run.
        from sqlalchemy.engine import make_url

        target = make_url(url)
        admin = await asyncpg.connect(pg_dsn(str(target.set(database="postgres"))))
        try:
            await admin.execute(f'CREATE DATABASE "{target.database}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(pg_dsn(url))
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


def raw_sqlite(path: Path, sku_id: int, seconds: float) -> float:
    """Transactions/s with one sqlite3 writer, WAL and synchronous=FULL, like the server."""
    import sqlite3
    from datetime import UTC, datetime

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"CREATE TABLE {RAW_TABLE} (id INTEGER PRIMARY KEY, sku_id BIGINT NOT NULL, "
                     "buyer_id BIGINT NOT NULL, amount BIGINT NOT NULL, created_at TEXT NOT NULL)")
        update, insert = RAW_UPDATE.format(p="?"), RAW_INSERT.format(ps="?, ?, ?, ?")
        start = time.perf_counter()
        measure_from, stop_at = start + RAW_WARMUP, start + RAW_WARMUP + seconds
        done, buyer = 0, 0
        while time.perf_counter() < stop_at:
            buyer += 1
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute(update, (sku_id,)).rowcount != 1:
                conn.execute("ROLLBACK")
                raise RuntimeError("raw stock update matched no row")
            conn.execute(insert, (sku_id, buyer, 9900, datetime.now(UTC).isoformat()))
            conn.execute("COMMIT")
            done += measure_from <= time.perf_counter() < stop_at
        return done / seconds
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
        conn.close()


async def raw_postgres(url: str, sku_id: int, seconds: float, pool_sizes: tuple[int, ...]
                       ) -> dict[str, float]:
    """Transactions/s through asyncpg pools, one task per pooled connection."""
    import asyncpg

    dsn = pg_dsn(url)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f"CREATE TABLE {RAW_TABLE} (id bigserial PRIMARY KEY, "
                        "sku_id bigint NOT NULL, buyer_id bigint NOT NULL, "
                        "amount bigint NOT NULL, created_at timestamptz NOT NULL)")
    rates: dict[str, float] = {}
    try:
        for size in pool_sizes:
            async with asyncpg.create_pool(dsn, min_size=size, max_size=size) as pool:
                rates[f"pool {size}"] = await _pg_rate(pool, size, sku_id, seconds)
    finally:
        await admin.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
        await admin.close()
    return rates


async def _pg_rate(pool: Any, size: int, sku_id: int, seconds: float) -> float:
    from datetime import UTC, datetime

    update = RAW_UPDATE.format(p="$1")
    insert = RAW_INSERT.format(ps="$1, $2, $3, $4")
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from, stop_at = start + RAW_WARMUP, start + RAW_WARMUP + seconds
    done = 0

    async def worker(n: int) -> None:
        nonlocal done
        async with pool.acquire() as conn:
            while loop.time() < stop_at:
                async with conn.transaction():
                    if await conn.execute(update, sku_id) != "UPDATE 1":
                        raise RuntimeError("raw stock update matched no row")
                    await conn.execute(insert, sku_id, n, 9900, datetime.now(UTC))
                done += measure_from <= loop.time() < stop_at

    await asyncio.gather(*(worker(n) for n in range(size)))
    return done / seconds


def raise_fd_limit() -> int:
    """Thousands of sockets: the soft limit on open files raised to the hard one (inherited by children)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return int(want)


async def json_line(proc: subprocess.Popen[str], within: float) -> dict[str, Any]:
    """The next JSON line a client worker process writes on stdout, waited for at most `within` seconds."""
    assert proc.stdout is not None
    raw = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), within)
    if not raw:
        raise RuntimeError(f"client worker exited with {proc.wait()}")
    return dict(json.loads(raw))
