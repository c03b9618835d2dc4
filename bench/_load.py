"""Bench plumbing: a minimal HTTP/1.1 keep-alive client, a closed-loop load driver, and a
uvicorn subprocess that is always stopped.

httpx costs more CPU per request than the server under test does for a no-op, which on a
2-core box (client and server sharing it) would measure the client; this raw-socket client
does one write and two reads per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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
        parts = []
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

    async def __aenter__(self) -> Server:
        cmd = [sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory",
               "--host", self.host, "--port", str(self.port), "--log-level", "warning",
               "--no-access-log"]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, cwd=self.workdir, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        try:
            await self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.stop()

    async def _wait_healthy(self, timeout: float = 60.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        raw = build_request("GET", "/healthz", self.host)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, TimeoutError):
                status, _ = await request_once(self.host, self.port, raw)
                if status == 200:
                    return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"server not healthy after {timeout:.0f}s:\n{self.log_tail()}")

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
