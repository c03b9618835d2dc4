"""Flash-sale throughput: accepted '3-2-1 上车' orders per second, Redis mode vs database mode.

For each mode this seeds (through the services) a merchant who is live with one hot SKU in
the live cart and an open flash listing with ample live stock, and one buyer per client;
starts a real `uvicorn laotie.app:create_app` (one process; LAOTIE_REDIS_URL set for Redis
mode), and drives it with 64 keep-alive clients: first the no-op `GET /healthz`, then
`POST /api/v1/live/flash/<id>/buy` (202 = accepted in Redis mode, 201 = order placed in
database mode; the lean path of laotie.live.sale.fastpath), and in Redis mode the same taps
over the room's WebSocket (`{"type": "flash.buy", ...}`, one socket per client, each waiting
for its answer). Redis mode then waits until the persister has written every accepted
purchase and checks orders = accepted, sold ≤ live stock.

Then the crash test (Redis mode): a small flash, load running, the server is killed with
SIGKILL mid-sale and started again; every purchase the clients saw accepted must end up as
exactly one order, and nothing may be sold beyond the live stock.

Baseline in the same run: the raw Redis gate (the same Lua script) from one Python client.

Run:  .venv/bin/python bench/flash_sale.py [--seconds N] [--concurrency 64] [--mode redis|db|both]
Redis from LAOTIE_BENCH_REDIS_URL (default redis://127.0.0.1:6379/13, flushed).
The last line on stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import _load
from laotie.config import Settings
from laotie.kit.db import Database
from laotie.kit.migrate import upgrade

REDIS_URL = os.environ.get("LAOTIE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
ADDRESS = {"recipient": "Li Lei", "phone": "13800000000", "address": "1 Bench Road"}
ui = Console(stderr=True)
out = Console()


async def seed(settings: Settings, buyers: int, live_stock: int) -> tuple[int, int, list[str]]:
    """A live host with an open flash; returns the flash id, the live session id and one token per buyer."""
    from laotie.catalog import service as catalog
    from laotie.identity import service as identity
    from laotie.live.sale.service import cart, flash
    from laotie.live.service import sessions

    password_hash = identity.hasher(settings).hash("bench-password")
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            async def user(name: str, roles: set[str]) -> Any:
                return await identity.register_user(s, settings, username=name, password="", roles=roles,
                                                    self_serve=False, password_hash=password_hash)

            operator = await user("op", {"operator"})
            category = await catalog.create_category(s, operator, name="Fruit", commission_bps=200)
            host = await user("host", {"merchant"})
            await catalog.open_shop(s, host, name="Live orchard")
            product = await catalog.create_product(s, host, catalog.ProductDraft(
                title="Gannan navel oranges", category_id=category.id,
                skus=[catalog.SkuDraft(price=5990, stock=live_stock)]))
            await catalog.publish_product(s, host, product.id)
            sku = (await catalog.product_view(s, product.id)).skus[0]
            key = await sessions.rotate_stream_key(s, host)
            session = await sessions.authorize_publish(s, key)
            await cart.add_to_live_cart(s, host, session.id, product.id)
            listing = await flash.schedule_flash(s, settings, host, session.id, flash.FlashTerms(
                sku_id=sku.id, live_price=2990, live_stock=live_stock, per_buyer_cap=live_stock,
                countdown_seconds=0))
            tokens = [await identity.issue_api_token(s, await user(f"buyer{i}", {"consumer"}))
                      for i in range(buyers)]
            return listing.id, session.id, tokens
    finally:
        await db.dispose()


async def counts(settings: Settings, flash_id: int) -> dict[str, int]:
    """Read in WAL mode without taking the write lock: a busy persister never starves this reader."""
    import sqlite3

    from sqlalchemy.engine import make_url

    conn = sqlite3.connect(str(make_url(settings.database_url).database))  # SELECTs only: no write lock
    try:
        sold, live_stock = conn.execute("SELECT sold, live_stock FROM flash_listings WHERE id = ?",
                                        (flash_id,)).fetchone()
        units, orders = conn.execute("SELECT COALESCE(SUM(quantity), 0), COUNT(*) FROM order_lines "
                                     "WHERE flash_id = ?", (flash_id,)).fetchone()
    finally:
        conn.close()
    return {"sold": int(sold), "live_stock": int(live_stock), "units": int(units), "orders": int(orders)}


async def flush_redis() -> None:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()


def buy_request(host: str, token: str, flash_id: int) -> bytes:
    body = json.dumps({"quantity": 1, "address": ADDRESS}).encode()
    return _load.build_request("POST", f"/api/v1/live/flash/{flash_id}/buy", host,
                               {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, body)


async def wait_orders(settings: Settings, flash_id: int, expected: int, limit: float = 120) -> dict[str, int]:
    """Until `expected` orders exist, or none has been written for `limit` seconds: a persister still
    writing is slow, not losing anything (tens of thousands accepted take minutes to write on SQLite)."""
    deadline = time.monotonic() + limit
    seen = -1
    while True:
        got = await counts(settings, flash_id)
        if got["orders"] > seen:
            seen, deadline = got["orders"], time.monotonic() + limit
        if got["orders"] >= expected or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.25)


def make_env(tmp: Path, settings: Settings, redis: bool) -> dict[str, str]:
    env = {"LAOTIE_DATABASE_URL": settings.database_url, "LAOTIE_DATA_DIR": str(tmp),
           "LAOTIE_MEDIA_DIR": str(tmp / "media"), "LAOTIE_SECRET_KEY": "bench", "LAOTIE_JOBS_ENABLED": "false"}
    if redis:
        # Accepting purchases (the web process) and writing orders (`laotie live persist`) run
        # as separate processes, the way a flash sale is served.
        env["LAOTIE_REDIS_URL"] = REDIS_URL
        env["LAOTIE_FLASH_PERSISTER"] = "external"
    return env


class Persister:
    """`laotie live persist` in its own process."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = {**os.environ, **env}
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.workdir / "persister.log").open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "laotie.cli", "live", "persist"], env=self.env,
                                     cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


async def bench_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    redis = mode == "redis"
    if redis:
        await flush_redis()
    tmp = Path(tempfile.mkdtemp(prefix=f"laotie-flash-{mode}-"))
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/flash.db", data_dir=tmp, secret_key="bench",
                        argon2_time_cost=1, argon2_memory_kib=64)
    await asyncio.to_thread(upgrade, settings.database_url)
    flash_id, session_id, tokens = await seed(settings, args.concurrency, live_stock=10_000_000)
    persister = Persister(make_env(tmp, settings, redis), tmp)
    if redis:
        persister.start()
    async with _load.Server(make_env(tmp, settings, redis), tmp) as server:
        ui.print(f"[bold]{mode}[/]: GET /healthz …")
        healthz = await _load.run_load(server.host, server.port,
                                       [_load.build_request("GET", "/healthz", server.host)] * args.concurrency,
                                       expect=200, warmup=1.0, seconds=args.seconds)
        ui.print(f"[bold]{mode}[/]: flash buys …")
        expect = 202 if redis else 201
        buys = await _load.run_load(server.host, server.port,
                                    [buy_request(server.host, t, flash_id) for t in tokens],
                                    expect=expect, warmup=1.0, seconds=args.seconds)
        accepted = buys.total_ok
        socket: SocketLoad | None = None
        if redis:
            ui.print(f"[bold]{mode}[/]: flash taps over the room's socket …")
            socket = await socket_taps(server.host, server.port, session_id, flash_id, tokens, warmup=1.0,
                                       seconds=args.seconds)
            accepted += socket.accepted_total
        started = time.monotonic()
        got = await wait_orders(settings, flash_id, accepted)
        drain_s = time.monotonic() - started
        problems = server.log_problems()
    persister.stop()
    sockets = {} if socket is None else {
        "socket_accepted_per_s": round(socket.rate, 1),
        "socket_ratio_to_healthz": round(socket.rate / healthz.rate, 3) if healthz.rate else 0.0,
        "socket_refused": socket.refused}
    return {"healthz_rps": round(healthz.rate, 1), "accepted_per_s": round(buys.rate, 1),
            "ratio_to_healthz": round(buys.rate / healthz.rate, 3) if healthz.rate else 0.0, **sockets,
            "accepted_total": accepted, "orders": got["orders"], "sold": got["sold"],
            "lost": accepted - got["orders"], "oversold": max(0, got["units"] - got["live_stock"]),
            "orders_written_after_load_s": round(drain_s, 1),
            "errors": buys.total_errors, "error_samples": buys.samples[:3], "log_problems": len(problems)}


@dataclass
class SocketLoad:
    measured: int = 0
    accepted_total: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.measured / self.seconds if self.seconds else 0.0


async def socket_taps(host: str, port: int, session_id: int, flash_id: int, tokens: list[str], *, warmup: float,
                      seconds: float) -> SocketLoad:
    """Closed loop over the room's WebSocket: each buyer taps, waits for the answer (by request id), taps again."""
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    result = SocketLoad(seconds=seconds)
    start = loop.time()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    tap = {"type": "flash.buy", "flash_id": flash_id, "quantity": 1, "address": ADDRESS}

    async def client(n: int, token: str) -> None:
        async with connect(f"ws://{host}:{port}/ws/live/{session_id}?token={token}", compression=None,
                           ping_interval=None, max_queue=None) as ws:
            sent = 0
            while loop.time() < stop_at:
                sent += 1
                rid = f"b{n}-{sent}"
                await ws.send(json.dumps({**tap, "request_id": rid}))
                marker = f'"request_id":"{rid}"'
                while True:
                    text = await ws.recv()
                    if marker in text:
                        break
                answer = next(m for m in json.loads(text) if m.get("request_id") == rid)
                if answer.get("status") == "accepted":
                    result.accepted_total += 1
                    result.measured += measure_from <= loop.time() < stop_at
                else:
                    result.refused[answer.get("code", "?")] = result.refused.get(answer.get("code", "?"), 0) + 1

    await asyncio.gather(*(client(n, t) for n, t in enumerate(tokens)))
    return result


async def crash_test(args: argparse.Namespace) -> dict[str, Any]:
    """Kill the server with SIGKILL mid-sale, start it again: no accepted purchase may be lost."""
    await flush_redis()
    tmp = Path(tempfile.mkdtemp(prefix="laotie-flash-crash-"))
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/flash.db", data_dir=tmp, secret_key="bench",
                        argon2_time_cost=1, argon2_memory_kib=64)
    await asyncio.to_thread(upgrade, settings.database_url)
    live_stock = 3000
    flash_id, _, tokens = await seed(settings, args.concurrency, live_stock=live_stock)
    server = _load.Server(make_env(tmp, settings, True), tmp)
    persister = Persister(make_env(tmp, settings, True), tmp)
    persister.start()
    await server.__aenter__()
    load = asyncio.create_task(_load.run_load(
        server.host, server.port, [buy_request(server.host, t, flash_id) for t in tokens],
        expect=202, warmup=0.0, seconds=6.0))
    await asyncio.sleep(2.0)
    assert server.proc is not None
    os.killpg(server.proc.pid, signal.SIGKILL)  # no shutdown, no flush: a crash
    server.proc.wait()
    server.proc = None
    persister.kill()  # the order writer dies too, mid-batch
    await asyncio.sleep(0.5)
    server.start()  # same port: the clients reconnect and keep buying
    persister.start()
    await server._wait_healthy()
    result = await load
    got = await wait_orders(settings, flash_id, min(result.total_ok, live_stock), limit=30)
    await asyncio.sleep(2.0)
    got = await counts(settings, flash_id)
    server.stop()
    persister.stop()
    return {"accepted_seen_by_clients": result.total_ok, "orders": got["orders"], "units": got["units"],
            "live_stock": live_stock, "lost": max(0, result.total_ok - got["orders"]),
            "oversold": max(0, got["units"] - live_stock), "lost_replies": result.statuses.get(-1, 0)}


async def raw_gate(seconds: float) -> float:
    """The Lua gate alone, from one client, sequentially: what Redis itself allows."""
    import redis.asyncio as redis

    from laotie.live.sale.redis_gate import GATE

    await flush_redis()
    client = redis.from_url(REDIS_URL, decode_responses=True)
    script = client.register_script(GATE)
    await client.hset("laotie:flash:1", mapping={"left": 10**9, "cap": 10**9, "opens_ms": 0, "closes_ms": "",
                                                 "closed": "0", "session": 1, "sku": 1})
    keys = ["laotie:flash:1", "laotie:flash:1:buyers", "laotie:flash:1:requests", "laotie:bench-stream"]
    done, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        await script(keys=keys, args=[1, 1, 1, f"r{done}", "", "{}"])  # one tap per call
        done += 1
    await client.aclose()
    return done / (time.monotonic() - start)


def render(results: dict[str, Any]) -> None:
    table = Table(title="laotie flash-sale bench")
    table.add_column("figure")
    for mode in ("redis", "db"):
        if mode in results:
            table.add_column(mode, justify="right")
    rows = [("GET /healthz req/s", "healthz_rps"), ("accepted buys/s", "accepted_per_s"),
            ("buys / healthz", "ratio_to_healthz"), ("accepted in total", "accepted_total"),
            ("orders written", "orders"), ("lost", "lost"), ("oversold", "oversold"), ("errors", "errors")]
    rows[3:3] = [("accepted taps/s over the socket", "socket_accepted_per_s"),
                 ("socket taps / healthz", "socket_ratio_to_healthz")]
    for label, key in rows:
        table.add_row(label, *[str(results[m].get(key, "-")) for m in ("redis", "db") if m in results])
    out.print(table)
    if "crash" in results:
        out.print(f"crash test (SIGKILL mid-sale, restart): {results['crash']}")
    if "raw_gate_per_s" in results:
        out.print(f"raw Redis gate, one client: {results['raw_gate_per_s']:,.0f}/s")


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for mode in (["redis", "db"] if args.mode == "both" else [args.mode]):
        results[mode] = await bench_mode(mode, args)
    if args.mode in ("redis", "both"):
        results["crash"] = await crash_test(args)
        results["raw_gate_per_s"] = round(await raw_gate(3.0), 1)
    return results


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["redis", "db", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    for name in [n for n in os.environ if n.startswith("LAOTIE_") and n != "LAOTIE_BENCH_REDIS_URL"]:
        del os.environ[name]
    started = time.monotonic()
    results = asyncio.run(main(args))
    render(results)
    redis = results.get("redis", {})
    crash = results.get("crash", {})
    met = {
        "redis_ratio": bool(redis) and redis["ratio_to_healthz"] >= 0.5,
        "zero_oversell": all(r.get("oversold", 0) == 0 for r in (redis, results.get("db", {}), crash)),
        "zero_lost_after_kill": bool(crash) and crash["lost"] == 0,
    }
    summary = {"bench": "flash_sale", **{k: v for k, v in results.items()}, "target_ratio_to_healthz": 0.5,
               "met": met, "all_met": all(met.values()), "runtime_s": round(time.monotonic() - started, 1)}
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    run()
