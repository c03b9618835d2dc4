"""The peak of a live sale: 5,000 viewers on one room's WebSocket, a flash of 500 units, every viewer tapping.

What it does:

1. migrates a fresh SQLite database and seeds (through the services) a host who is live with
   one product in the live cart, and one account per viewer with an API token;
2. starts `uvicorn laotie.app:create_app --factory` (one process, Redis mode) and
   `laotie live persist` (the order writer, its own process), Redis from
   LAOTIE_BENCH_BURST_REDIS_URL (default redis://127.0.0.1:6379/10, flushed);
3. connects every viewer to `/ws/live/{id}?token=…` from client worker processes (a minimal
   WebSocket client on uvloop, thousands of sockets each: a load generator sharing two cores
   with the server must cost far less per frame than the server does);
4. has the host schedule a flash of `--units` (3-second countdown); each viewer taps once
   over its socket at a random moment within `--spread` seconds of the opening, and once
   more after it has seen the room say "sold out" (as people do);
5. waits for every tap's answer (matched by request id), for the persister to write the
   accepted reservations, and reads the server's tap counters from /metrics.

Figures: taps answered; tap → answer p50/p99 (client send to answer received); time from the
last unit sold (the gate's clock, carried in the sold-out message) until every viewer had seen
sold-out; taps that reached the gate (Redis) for a flash already sold out (server-side
counter `laotie_flash_late_taps_total`: in Redis mode a tap never touches the database);
oversold units; accepted taps without their order (lost).

Run:  .venv/bin/python bench/flash_burst.py [--viewers 5000] [--units 500] [--client-procs 2]
The last line on stdout is one JSON object: the figures, the targets and whether each was met.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console
from rich.table import Table

try:
    from bench import _load, _seed
except ImportError:  # run as a script: bench/ itself is on sys.path
    import _load  # type: ignore[no-redef]
    import _seed  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-not-for-production"
REDIS_URL = os.environ.get("LAOTIE_BENCH_BURST_REDIS_URL", "redis://127.0.0.1:6379/10")
ADDRESS = {"recipient": "Li Lei", "phone": "13800000000", "address": "1 Bench Road, Linyi"}
COUNTDOWN_SECONDS = 3
CONNECT_PARALLEL = 64  # handshakes in flight per client process
ANSWER_WITHIN = 60.0  # a tap not answered by then counts as unanswered
TARGETS = {"answered_share": 1.0, "p99_ms": 1000.0, "sold_out_seen_by_all_ms": 500.0, "late_taps_at_gate": 0,
           "oversold": 0, "lost": 0}

ui = Console(stderr=True)
out = Console()


# ---- the client worker (a subprocess: `flash_burst.py --worker -`, its spec on stdin) -----------------

class Socket(asyncio.Protocol):
    """One viewer's WebSocket with as little client as the protocol needs, so thousands of them cost the
    load generator little: the handshake, server frames parsed only for their kind, frames that carry
    neither an answer nor a flash state skipped undecoded, text frames out under a zero mask (a mask the
    protocol allows), pongs for the server's keepalive pings."""

    def __init__(self, on_text: Any) -> None:
        self.on_text = on_text
        self.buf = bytearray()
        self.transport: Any = None
        self.upgraded = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[:buf.find(b"\r\n")])
            del buf[:end + 4]
            if b" 101 " not in status + b" ":
                self.opened.set_exception(ConnectionError(status.decode(errors="replace")))
                return
            self.upgraded = True
            self.opened.set_result(None)
        while len(buf) >= 2:
            opcode, n, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, at = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, at = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < at + n:
                return
            payload = bytes(buf[at:at + n])
            del buf[:at + n]
            if opcode == 1:
                if b'"request_id"' in payload or b'"flash_state"' in payload:
                    self.on_text(payload)
            elif opcode == 9:
                self.send(payload, 0xA)
            elif opcode == 8:
                self.transport.close()

    def send(self, payload: bytes, opcode: int = 1) -> None:
        n = len(payload)
        size = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
        self.transport.write(bytes([0x80 | opcode]) + size + b"\0\0\0\0" + payload)


async def open_socket(host: str, port: int, path: str, on_text: Any) -> Socket:
    loop = asyncio.get_running_loop()
    _, sock = await loop.create_connection(lambda: Socket(on_text), host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.transport.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                          ).encode())
    await asyncio.wait_for(sock.opened, 120)
    return sock


async def worker_main(spec: dict[str, Any]) -> None:
    """Connect viewers, say READY, tap when told GO, print one JSON line of what each saw."""
    url = urlsplit(spec["url"])
    tokens, spread, offset = spec["tokens"], spec["spread"], spec["offset"]
    count = len(tokens)
    sockets: list[Socket | None] = [None] * count
    gate = asyncio.Semaphore(CONNECT_PARALLEL)
    latencies: list[float] = []
    answers: dict[str, int] = {}  # "accepted" or the refusal's code -> count
    accepted: list[str] = []
    seen_at: list[float | None] = [None] * count
    sold_out_at_ms: list[int] = []
    waiting: dict[str, tuple[float, asyncio.Future[None]]] = {}  # request id -> (sent at, answered)
    sold_out = [asyncio.Event() for _ in range(count)]

    def on_text(i: int, payload: bytes) -> None:
        now = time.time()
        for m in json.loads(payload):
            rid = m.get("request_id")
            if rid in waiting:
                started, done = waiting.pop(rid)
                latencies.append(now - started)
                outcome = m.get("status") or m.get("code") or "?"
                answers[outcome] = answers.get(outcome, 0) + 1
                if m.get("status") == "accepted":
                    accepted.append(m["reservation_id"])
                done.set_result(None)
            elif m.get("type") == "flash_state" and m.get("state") == "sold_out" and not sold_out[i].is_set():
                seen_at[i] = now
                sold_out_at_ms.append(int(m["at_ms"]))
                sold_out[i].set()

    async def connect(i: int) -> None:
        try:
            async with gate:
                sockets[i] = await open_socket(url.hostname or "127.0.0.1", url.port or 80,
                                               f"{url.path}?token={tokens[i]}", lambda p, i=i: on_text(i, p))
        except Exception:
            pass

    await asyncio.gather(*(connect(i) for i in range(count)))
    connected = sum(s is not None for s in sockets)
    print(json.dumps({"ready": connected, "failed": count - connected}), flush=True)
    go = (await asyncio.to_thread(sys.stdin.readline)).split()  # GO <flash id> <opens at, epoch seconds>
    flash_id, opens_at = int(go[1]), float(go[2])
    sent = 0

    async def tap(sock: Socket, rid: str) -> None:
        nonlocal sent
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting[rid] = (time.time(), done)
        sock.send(json.dumps({"type": "flash.buy", "flash_id": flash_id, "request_id": rid,
                              "address": ADDRESS}).encode())
        sent += 1
        await asyncio.wait_for(done, ANSWER_WITHIN)

    async def viewer(i: int) -> None:
        sock = sockets[i]
        if sock is None:
            return
        try:
            await asyncio.sleep(max(0.0, opens_at + random.uniform(0, spread) - time.time()))
            await tap(sock, f"v{offset + i}-1")
            await asyncio.wait_for(sold_out[i].wait(), ANSWER_WITHIN)
            await asyncio.sleep(random.uniform(0, 0.5))
            await tap(sock, f"v{offset + i}-2")
        except Exception:
            pass  # an unanswered tap, or a socket that dropped: counted as not answered

    cpu0 = time.process_time()
    await asyncio.gather(*(viewer(i) for i in range(count)))
    print(json.dumps({"sent": sent, "answered": len(latencies), "latencies": [round(x, 4) for x in latencies],
                      "answers": answers, "accepted": accepted, "seen_at": seen_at,
                      "sold_out_at_ms": min(sold_out_at_ms, default=None), "connected": connected,
                      "cpu_s": round(time.process_time() - cpu0, 2)}), flush=True)
    os._exit(0)  # thousands of sockets: let the kernel close them


# ---- the driver --------------------------------------------------------------------------------------

async def seed(url: str, workdir: Path, viewers: int, units: int) -> tuple[int, int, str, list[str]]:
    """A live host with the product in the live cart; returns session, SKU, host token, viewer tokens."""
    from laotie.identity import service as identity
    from laotie.live.sale.service import cart

    async with _seed.seeded(url, workdir, SECRET) as (s, user):
        room = await _seed.live_host(s, user, title="Gannan navel oranges 5kg", price=5990, stock=units * 2)
        await cart.add_to_live_cart(s, room.host, room.session_id, room.product_id)
        host_token = await identity.issue_api_token(s, room.host)
        tokens = [await identity.issue_api_token(s, await user(f"viewer{i}", {"consumer"})) for i in range(viewers)]
    return room.session_id, room.sku_id, host_token, tokens


class Worker:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", "-"], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(spec) + "\n")  # thousands of tokens: too long for argv
        self.proc.stdin.flush()

    async def line(self, within: float) -> dict[str, Any]:
        return await _load.json_line(self.proc, within)

    def say(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()


def start_persister(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    log = (workdir / "persister.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "laotie.cli", "live", "persist"], env={**os.environ, **env},
                            cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def written(db_path: Path, rids: list[str]) -> tuple[int, int, int]:
    """(accepted reservations with their order, orders of the flash, units in them), read without the write lock."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        keys = {k for (k,) in conn.execute("SELECT key FROM idempotency_keys WHERE key LIKE 'flash:%'")}
        orders, units = conn.execute("SELECT COUNT(*), COALESCE(SUM(quantity), 0) FROM order_lines "
                                     "WHERE flash_id IS NOT NULL").fetchone()
    finally:
        conn.close()
    return sum(f"flash:{r}" in keys for r in rids), int(orders), int(units)


async def flush_redis() -> None:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="laotie-burst-"))
    persister: subprocess.Popen[bytes] | None = None
    workers: list[Worker] = []
    try:
        await flush_redis()
        url = f"sqlite+aiosqlite:///{workdir / 'laotie.db'}"
        ui.print(f"seeding {args.viewers:,} viewers …")
        session_id, sku_id, host_token, tokens = await seed(url, workdir, args.viewers, args.units)
        env = {"LAOTIE_DATABASE_URL": url, "LAOTIE_DATA_DIR": str(workdir), "LAOTIE_SECRET_KEY": SECRET,
               "LAOTIE_MEDIA_DIR": str(workdir / "media"), "LAOTIE_JOBS_ENABLED": "false",
               "LAOTIE_REDIS_URL": REDIS_URL, "LAOTIE_FLASH_PERSISTER": "external"}
        persister = start_persister(env, workdir)
        async with _load.Server(env, workdir) as server:
            base = f"ws://{server.host}:{server.port}/ws/live/{session_id}"
            per = [tokens[i::args.client_procs] for i in range(args.client_procs)]
            offsets = [sum(len(p) for p in per[:i]) for i in range(len(per))]
            started = time.monotonic()
            workers = [Worker({"url": base, "tokens": p, "spread": args.spread, "offset": o})
                       for p, o in zip(per, offsets, strict=True)]
            ready = [await w.line(within=600) for w in workers]
            connected = sum(r["ready"] for r in ready)
            ui.print(f"{connected:,} viewers connected in {time.monotonic() - started:.1f} s")
            status, body = await _load.request_once(server.host, server.port, _load.build_request(
                "POST", f"/api/v1/live/sessions/{session_id}/flash", server.host,
                {"Authorization": f"Bearer {host_token}", "Content-Type": "application/json"},
                json.dumps({"sku_id": sku_id, "live_price": 2990, "live_stock": args.units, "per_buyer_cap": 1,
                            "countdown_seconds": COUNTDOWN_SECONDS}).encode()))
            assert status == 201, body
            flash = json.loads(body)
            from datetime import datetime

            opens_at = datetime.fromisoformat(flash["opens_at"]).timestamp()
            cpu0 = server.cpu_seconds() or 0.0
            for w in workers:
                w.say(f"GO {flash['id']} {opens_at}")
            ui.print(f"flash #{flash['id']} opens in {opens_at - time.time():.1f} s; tapping …")
            results = [await w.line(within=ANSWER_WITHIN * 3 + 60) for w in workers]
            server_cpu = (server.cpu_seconds() or 0.0) - cpu0
            status, metrics = await _load.request_once(server.host, server.port,
                                                       _load.build_request("GET", "/metrics", server.host))
            problems = server.log_problems()
        accepted = [r for res in results for r in res["accepted"]]
        deadline = time.monotonic() + 120
        while True:  # the persister writes what was accepted
            placed, orders, units = written(workdir / "laotie.db", accepted)
            if placed == len(accepted) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        return figures(args, results, accepted, placed, orders, units, metrics.decode(), server_cpu, connected,
                       problems)
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.proc.kill()
        if persister is not None and persister.poll() is None:
            os.killpg(persister.pid, signal.SIGTERM)
            persister.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)


def metric(text: str, name: str) -> int | None:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.rsplit(" ", 1)[1]))
    return None


def figures(args: argparse.Namespace, results: list[dict[str, Any]], accepted: list[str], placed: int, orders: int,
            units: int, metrics: str, server_cpu: float, connected: int, problems: list[str]) -> dict[str, Any]:
    latencies = sorted(x for r in results for x in r["latencies"])
    sent = sum(r["sent"] for r in results)
    expected = 2 * args.viewers

    def pct(p: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None

    sold_at = min((r["sold_out_at_ms"] for r in results if r["sold_out_at_ms"]), default=None)
    seen = [t for r in results for t in r["seen_at"]]
    unseen = sum(t is None for t in seen)
    delays = sorted(t * 1000 - sold_at for t in seen if t) if sold_at else []
    spread_ms = round(delays[-1], 1) if delays else None
    seen_p50 = round(delays[len(delays) // 2], 1) if delays else None
    answers: dict[str, int] = {}
    for r in results:
        for k, v in r["answers"].items():
            answers[k] = answers.get(k, 0) + v
    return {
        "viewers": args.viewers, "connected": connected, "units": args.units, "taps_expected": expected,
        "taps_sent": sent, "taps_answered": len(latencies),
        "answered_share": round(len(latencies) / expected, 4) if expected else 0.0, "answers": answers,
        "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": pct(1.0),
        "sold_out_seen_by_all_ms": spread_ms if unseen == 0 else None, "sold_out_seen_p50_ms": seen_p50,
        "viewers_not_seeing_sold_out": unseen,
        "late_taps_at_gate": metric(metrics, "laotie_flash_late_taps_total"),
        "taps_answered_from_memory": metric(metrics, 'laotie_flash_taps_total{answered="memory"}'),
        "taps_at_gate": metric(metrics, 'laotie_flash_taps_total{answered="gate"}'),
        "accepted": len(accepted), "orders": orders, "oversold": max(0, units - args.units, len(accepted) - args.units),
        "lost": len(accepted) - placed, "server_cpu_s": round(server_cpu, 2),
        "client_cpu_s": round(sum(r["cpu_s"] for r in results), 2), "server_log_problems": problems[:5],
    }


def met(f: dict[str, Any]) -> dict[str, bool]:
    return {
        "every_tap_answered": f["answered_share"] >= TARGETS["answered_share"],
        "p99_le_1s": f["p99_ms"] is not None and f["p99_ms"] <= TARGETS["p99_ms"],
        "sold_out_seen_by_all_le_500ms": f["sold_out_seen_by_all_ms"] is not None
        and f["sold_out_seen_by_all_ms"] <= TARGETS["sold_out_seen_by_all_ms"],
        "no_late_taps_at_gate": f["late_taps_at_gate"] == 0,
        "none_oversold": f["oversold"] == 0,
        "none_lost": f["lost"] == 0,
    }


def render(f: dict[str, Any]) -> None:
    table = Table(title=f"flash burst: {f['viewers']:,} viewers on one room, {f['units']} units, one server process")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [("viewers connected", f"{f['connected']:,}"),
            ("taps answered / expected", f"{f['taps_answered']:,} / {f['taps_expected']:,}"),
            ("answers", ", ".join(f"{k} {v:,}" for k, v in sorted(f["answers"].items()))),
            ("tap → answer p50 / p99 / max ms", f"{f['p50_ms']} / {f['p99_ms']} / {f['max_ms']}"),
            ("last unit sold → half / all saw sold-out ms",
             f"{f['sold_out_seen_p50_ms']} / {f['sold_out_seen_by_all_ms']}"),
            ("viewers who never saw sold-out", f"{f['viewers_not_seeing_sold_out']}"),
            ("taps answered from memory / at the gate", f"{f['taps_answered_from_memory']} / {f['taps_at_gate']}"),
            ("late taps at the gate (after sold-out)", f"{f['late_taps_at_gate']}"),
            ("accepted / orders written", f"{f['accepted']} / {f['orders']}"),
            ("oversold / lost", f"{f['oversold']} / {f['lost']}"),
            ("server CPU s / client CPU s (burst)", f"{f['server_cpu_s']} / {f['client_cpu_s']}")]
    for label, value in rows:
        table.add_row(label, value)
    out.print(table)
    for line in f["server_log_problems"]:
        out.print(f"[yellow]server log:[/] {line}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--spread", type=float, default=1.0, help="first taps fall within this many seconds")
    parser.add_argument("--client-procs", type=int, default=2, help="viewer client processes")
    return parser.parse_args()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        _load.raise_fd_limit()
        import uvloop

        uvloop.run(worker_main(json.loads(sys.stdin.readline())))
        return
    args = parse_args()
    _load.raise_fd_limit()  # inherited by the server and the client workers
    for name in [n for n in os.environ if n.startswith("LAOTIE_") and n != "LAOTIE_BENCH_BURST_REDIS_URL"]:
        del os.environ[name]
    started = time.monotonic()
    import uvloop

    f = uvloop.run(run(args))
    render(f)
    doc = {"bench": "flash_burst", **f, "targets": TARGETS, "met": met(f)}
    doc["all_met"] = all(doc["met"].values())
    doc["runtime_s"] = round(time.monotonic() - started, 1)
    sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
