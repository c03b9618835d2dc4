"""Event dispatch under checkout-and-pay load: does the outbox keep up?

On PostgreSQL this:

1. builds the schema with the Alembic migrations and seeds (as `bench/checkout.py` does) one
   hot SKU and one buyer per concurrent client;
2. starts `uvicorn laotie.app:create_app --factory --workers N` (default 2) in a subprocess,
   every worker with its own event dispatcher;
3. drives it with N keep-alive clients, each looping: `POST /api/v1/checkout` of one unit,
   then the gateway's signed payment notification for it on `POST
   /api/v1/payments/sandbox/callback` (the sandbox gateway's secret is derived from the
   server's secret key, which the bench sets);
4. samples the outbox every 100 ms during the load: events waiting and the age of the
   oldest (the lag);
5. stops the load, waits 5 s, and counts the events still waiting; then stops the server and
   checks the ledger.

Run:  .venv/bin/python bench/outbox.py [--workers 2] [--seconds 30] [--concurrency 32]
PostgreSQL comes from LAOTIE_BENCH_POSTGRES_URL (default: database `laotie_bench_outbox` on
127.0.0.1, created when missing; its `public` schema is dropped and rebuilt).
The last line on stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

try:
    from bench import _load, checkout
except ImportError:  # run as a script: bench/ itself is on sys.path
    import _load  # type: ignore[no-redef]
    import checkout  # type: ignore[no-redef]

import contextlib

from laotie.config import Settings
from laotie.kit.events import MAX_ATTEMPTS
from laotie.kit.migrate import upgrade_async
from laotie.orders.gateway import SIGNATURE_HEADER, gateway_for

PG_URL = os.environ.get("LAOTIE_BENCH_POSTGRES_URL",
                        f"postgresql+asyncpg://{getpass.getuser()}@127.0.0.1:5432/laotie_bench_outbox")
TARGET_LAG_P99_S = 2
TARGET_LEFT = 0
SETTLE_SECONDS = 5.0
SAMPLE_EVERY = 0.1
WARMUP = 2.0

ui = Console(stderr=True)
out = Console()


class Workers(_load.Server):
    """The bench server with `--workers N`: uvicorn's supervisor and N worker processes."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int) -> None:
        super().__init__(env, workdir)
        self.workers = workers

    def start(self) -> None:
        cmd = [sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory",
               "--host", self.host, "--port", str(self.port), "--log-level", "warning",
               "--no-access-log", "--workers", str(self.workers)]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, cwd=self.workdir, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)


@dataclass
class Load:
    orders: int = 0        # paid orders completed inside the measuring window
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def failed(self, what: str, status: int, body: bytes) -> None:
        self.errors += 1
        key = f"{what} {status}"
        self.statuses[key] = self.statuses.get(key, 0) + 1
        if len(self.samples) < 5:
            self.samples.append(f"{key}: {body[:300].decode(errors='replace')}")


async def buy_and_pay(server: _load.Server, settings: Settings, tokens: list[str], sku_id: int,
                      warmup: float, seconds: float) -> Load:
    """Closed loop per client: check out one unit, then deliver the gateway's payment notification."""
    loop = asyncio.get_running_loop()
    load = Load()
    start = loop.time()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    gateway = gateway_for(settings)

    async def client(token: str) -> None:
        conn = _load.HttpConn(server.host, server.port)
        buy = checkout.checkout_request(server.host, token, sku_id)
        try:
            while loop.time() < stop_at:
                status, body = await asyncio.wait_for(conn.send(buy), _load.REQUEST_TIMEOUT)
                if status != 201:
                    load.failed("checkout", status, body)
                    continue
                placed = json.loads(body)
                note, signature = gateway.notification(payment_id=placed["payment_id"], amount=placed["amount"],
                                                       currency="CNY", status="succeeded")
                pay = _load.build_request("POST", "/api/v1/payments/sandbox/callback", server.host,
                                          {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}, note)
                status, body = await asyncio.wait_for(conn.send(pay), _load.REQUEST_TIMEOUT)
                if status != 200:
                    load.failed("callback", status, body)
                    continue
                load.orders += measure_from <= loop.time() < stop_at
        finally:
            await conn.close()

    await asyncio.gather(*(client(t) for t in tokens))
    return load


_LAG = (f"SELECT count(*), EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)) FROM outbox_events "
        f"WHERE dispatched_at IS NULL AND attempts < {MAX_ATTEMPTS}")
# Events recorded without a handler are stored already dispatched, at their creation time.
_COUNTS = ("SELECT count(*) FILTER (WHERE created_at >= $1 AND created_at < $2 "
           "                        AND (dispatched_at IS NULL OR dispatched_at <> created_at)), "
           "       count(*) FILTER (WHERE dispatched_at >= $1 AND dispatched_at < $2 AND dispatched_at <> created_at), "
           "       count(*) FILTER (WHERE created_at >= $1 AND created_at < $2) "
           "FROM outbox_events")


async def sample_lag(conn: Any, stop: asyncio.Event, lags: list[float], waiting: list[int]) -> None:
    while not stop.is_set():
        count, oldest = await conn.fetchrow(_LAG)
        waiting.append(int(count))
        lags.append(float(oldest or 0.0))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_EVERY)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    import asyncpg

    workdir = Path(tempfile.mkdtemp(prefix="laotie-bench-outbox-"))
    try:
        await _load.reset_postgres(PG_URL)
        ui.print("migrating and seeding …")
        await upgrade_async(PG_URL)
        settings = Settings(database_url=PG_URL, data_dir=workdir, media_dir=workdir / "media",
                            secret_key=checkout.SECRET, argon2_time_cost=1, argon2_memory_kib=64,
                            jobs_enabled=False)
        seeded = await checkout.seed(settings, args.concurrency)
        env = {"LAOTIE_DATABASE_URL": PG_URL, "LAOTIE_DATA_DIR": str(workdir),
               "LAOTIE_MEDIA_DIR": str(workdir / "media"), "LAOTIE_SECRET_KEY": checkout.SECRET,
               "LAOTIE_JOBS_ENABLED": "false"}
        probe = await asyncpg.connect(_load.pg_dsn(PG_URL))
        try:
            async with Workers(env, workdir, args.workers) as server:
                ui.print(f"load: {args.concurrency} clients buying and paying for {args.seconds:g} s "
                         f"(+{WARMUP:g} s warm-up) on {args.workers} workers …")
                lags: list[float] = []
                waiting: list[int] = []
                stop = asyncio.Event()
                load_task = asyncio.create_task(buy_and_pay(server, settings, seeded.tokens, seeded.sku_id,
                                                            WARMUP, args.seconds))
                await asyncio.sleep(WARMUP)
                window_from = datetime.now(UTC)
                sampler = asyncio.create_task(sample_lag(probe, stop, lags, waiting))
                await asyncio.sleep(args.seconds)
                window_to = datetime.now(UTC)
                stop.set()
                await sampler
                load = await load_task
                load_ended = time.monotonic()
                ui.print(f"load stopped; waiting {SETTLE_SECONDS:g} s for the outbox to drain …")
                await asyncio.sleep(max(0.0, SETTLE_SECONDS - (time.monotonic() - load_ended)))
                left, _ = await probe.fetchrow(_LAG)
                problems = server.log_problems()
            recorded, dispatched, all_events = await probe.fetchrow(
                _COUNTS, window_from, window_to + timedelta(microseconds=1))
        finally:
            await probe.close()
        checked = await checkout.verify(settings, seeded.sku_id)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    seconds = args.seconds
    return {
        "orders_per_s": round(load.orders / seconds, 1),
        "events_recorded_per_s": round(recorded / seconds, 1),
        "events_dispatched_per_s": round(dispatched / seconds, 1),
        "events_all_recorded_per_s": round(all_events / seconds, 1),
        "lag_p50_s": round(percentile(lags, 50), 3),
        "lag_p99_s": round(percentile(lags, 99), 3),
        "lag_max_s": round(max(lags, default=0.0), 3),
        "waiting_max": max(waiting, default=0),
        "waiting_median": statistics.median(waiting) if waiting else 0,
        "samples": len(lags),
        "left_after_5s": int(left),
        "errors": load.errors,
        "error_statuses": load.statuses,
        "error_samples": load.samples,
        "ledger_ok": checked["ledger_ok"],
        "server_log_problems": len(problems),
        "server_log_samples": problems[:5],
    }


def render(r: dict[str, Any]) -> None:
    table = Table(title="laotie outbox bench (PostgreSQL, checkout and pay)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("paid orders/s", f"{r['orders_per_s']:,.1f}")
    table.add_row("events recorded/s (with a handler)", f"{r['events_recorded_per_s']:,.1f}")
    table.add_row("events dispatched/s", f"{r['events_dispatched_per_s']:,.1f}")
    table.add_row("events recorded/s (all)", f"{r['events_all_recorded_per_s']:,.1f}")
    table.add_row("lag p50 / p99 / max", f"{r['lag_p50_s']:.3f} / {r['lag_p99_s']:.3f} / {r['lag_max_s']:.3f} s")
    table.add_row(f"lag p99 ≤ {TARGET_LAG_P99_S} s", "met" if r["lag_p99_s"] <= TARGET_LAG_P99_S else "missed")
    table.add_row("events waiting, median / max", f"{r['waiting_median']:g} / {r['waiting_max']}")
    table.add_row(f"left {SETTLE_SECONDS:g} s after the load", str(r["left_after_5s"]))
    table.add_row("errors", str(r["errors"]))
    table.add_row("ledger check ok", "yes" if r["ledger_ok"] else "NO")
    table.add_row("server log problems", str(r["server_log_problems"]))
    out.print(table)
    for line in r["error_samples"]:
        out.print(f"[yellow]error reply:[/] {line}")
    for line in r["server_log_samples"]:
        out.print(f"[yellow]server log:[/] {line}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured load")
    parser.add_argument("--concurrency", type=int, default=32, help="clients (one buyer each)")
    return parser.parse_args()


def run() -> None:
    args = parse_args()
    for name in [n for n in os.environ if n.startswith("LAOTIE_")]:
        if name != "LAOTIE_BENCH_POSTGRES_URL":
            del os.environ[name]
    started = time.monotonic()
    r = asyncio.run(bench(args))
    render(r)
    met = {"lag_p99": r["lag_p99_s"] <= TARGET_LAG_P99_S, "left": r["left_after_5s"] <= TARGET_LEFT}
    doc = {"bench": "outbox", "workers": args.workers, "seconds": args.seconds,
           **{k: r[k] for k in ("orders_per_s", "events_recorded_per_s", "events_dispatched_per_s",
                                "lag_p50_s", "lag_p99_s", "lag_max_s", "left_after_5s", "errors",
                                "ledger_ok")},
           "target_lag_p99_s": TARGET_LAG_P99_S, "target_left": TARGET_LEFT, "met": met,
           "runtime_s": round(time.monotonic() - started, 1)}
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    run()
