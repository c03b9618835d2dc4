"""Checkout throughput against a real server, next to what the database itself can do.

For each database (SQLite with WAL + synchronous=FULL, and PostgreSQL) this:

1. builds the schema with the Alembic migrations and seeds one operator, one category, one
   merchant whose shop sells one published product with one hot SKU (stock that never runs
   out, no purchase limit) and one buyer with an API token per concurrent client;
2. starts `uvicorn laotie.app:create_app --factory` (one process) in a subprocess;
3. drives it with N keep-alive clients (a raw-socket HTTP/1.1 client): first the no-op
   `GET /healthz`, then `POST /api/v1/checkout` of one unit of the hot SKU, each client with
   its own buyer, and reports requests/s and orders/s (201s; anything else is an error);
4. counts SQL statements per single-item checkout from `GET /metrics`, with fresh buyers and
   no other load, including what the checkout's outbox event costs after commit;
5. stops the server, checks the hot SKU lost exactly as many units as orders were placed and
   that the ledger checks out;
6. measures the raw primitive on the same database, without the web layer: one conditional
   stock UPDATE plus one INSERT per transaction (sqlite3 with one writer; asyncpg pools).

Run:  .venv/bin/python bench/checkout.py [--db sqlite|postgres|both] [--seconds N]
                                          [--concurrency 64]
PostgreSQL comes from LAOTIE_BENCH_POSTGRES_URL (default: database `laotie_bench` on
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
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

try:
    from bench import _load
except ImportError:  # run as a script: bench/ itself is on sys.path
    import _load  # type: ignore[no-redef]

from laotie.config import Settings
from laotie.kit.db import Database
from laotie.kit.migrate import upgrade_async

PG_URL = os.environ.get("LAOTIE_BENCH_POSTGRES_URL",
                        f"postgresql+asyncpg://{getpass.getuser()}@127.0.0.1:5432/laotie_bench")
TARGET_RATIO = 0.4
TARGET_STATEMENTS = 15
# Server CPU per no-op request ÷ per checkout: a checkout may cost at most 4 no-op requests.
TARGET_CPU_RATIO = 0.25
HOT_STOCK = 10_000_000
PRICE = 9900
FRESH_BUYERS = 3  # one per statement-count sample
SECRET = "bench-secret-not-for-production"
ADDRESS = {"recipient": "Li Lei", "phone": "13800000000", "address": "1 Bench Road"}

ui = Console(stderr=True)  # progress and notes; stdout keeps the table and the JSON line
out = Console()


@dataclass
class Seeded:
    sku_id: int
    tokens: list[str]
    fresh_tokens: list[str]


async def seed(settings: Settings, buyers: int) -> Seeded:
    """Everything the run needs, written through the service layer in one transaction."""
    from sqlalchemy import select

    from laotie.catalog import service as catalog
    from laotie.identity import service as identity
    from laotie.models import Sku

    password_hash = identity.hasher(settings).hash("bench-password")
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:

            async def user(name: str, roles: set[str]) -> Any:
                return await identity.register_user(
                    s, settings, username=name, password="", roles=roles,
                    self_serve="operator" not in roles, password_hash=password_hash)

            operator = await user("bench-operator", {"operator"})
            category = await catalog.create_category(s, operator, name="Bench", commission_bps=500)
            merchant = await user("bench-merchant", {"merchant"})
            await catalog.open_shop(s, merchant, name="Bench shop")
            product = await catalog.create_product(s, merchant, catalog.ProductDraft(
                title="Linyi apples 5kg", category_id=category.id,
                skus=[catalog.SkuDraft(price=PRICE, stock=HOT_STOCK, attributes={"size": "M"})]))
            await catalog.publish_product(s, merchant, product.id)
            sku_id = (await s.execute(
                select(Sku.id).where(Sku.product_id == product.id))).scalar_one()
            tokens = []
            for i in range(buyers + FRESH_BUYERS):
                buyer = await user(f"bench-buyer-{i}", {"consumer"})
                tokens.append(await identity.issue_api_token(s, buyer))
    finally:
        await db.dispose()
    return Seeded(int(sku_id), tokens[:buyers], tokens[buyers:])


async def verify(settings: Settings, sku_id: int) -> dict[str, Any]:
    """What the database says after the server stopped: stock, orders, outbox, ledger."""
    from sqlalchemy import func, select

    from laotie.ledger import service as ledger
    from laotie.models import Order, OrderLine, OutboxEvent, Sku

    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            stock = (await s.execute(select(Sku.stock).where(Sku.id == sku_id))).scalar_one()
            orders = (await s.execute(select(func.count()).select_from(Order))).scalar_one()
            units = (await s.execute(select(func.coalesce(func.sum(OrderLine.quantity), 0))
                                     .where(OrderLine.sku_id == sku_id))).scalar_one()
            backlog = (await s.execute(select(func.count()).select_from(OutboxEvent)
                                       .where(OutboxEvent.dispatched_at.is_(None)))).scalar_one()
            report = await ledger.check(s)
    finally:
        await db.dispose()
    return {"stock_taken": HOT_STOCK - int(stock), "orders_in_db": int(orders),
            "units_in_db": int(units), "outbox_backlog": int(backlog), "ledger_ok": report.ok}


async def sql_statements(server: _load.Server) -> int:
    status, body = await _load.request_once(
        server.host, server.port, _load.build_request("GET", "/metrics", server.host))
    if status != 200:
        raise RuntimeError(f"/metrics answered {status}")
    for line in body.decode().splitlines():
        if line.startswith("laotie_sql_statements_total "):
            return int(line.split()[1])
    raise RuntimeError("/metrics has no laotie_sql_statements_total")


async def settled_statements(server: _load.Server) -> int:
    """The counter once it stops moving (after-commit outbox work included)."""
    last = await sql_statements(server)
    while True:
        await asyncio.sleep(0.3)
        now = await sql_statements(server)
        if now == last:
            return now
        last = now


def checkout_request(host: str, token: str, sku_id: int) -> bytes:
    body = json.dumps({"items": [{"sku_id": sku_id, "quantity": 1}], "address": ADDRESS})
    return _load.build_request("POST", "/api/v1/checkout", host, {
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"}, body.encode())


async def count_one_checkout(server: _load.Server, token: str, sku_id: int) -> tuple[int, int, int]:
    """(status, statements seen right after the reply, statements once everything settled)."""
    before = await settled_statements(server)
    status, body = await _load.request_once(
        server.host, server.port, checkout_request(server.host, token, sku_id))
    if status != 201:
        ui.print(f"[red]single checkout answered {status}: {body[:300]!r}")
    at_reply = await sql_statements(server)
    return status, at_reply - before, await settled_statements(server) - before


class Ui:
    """One progress bar per phase; `tick` feeds it live figures from the load driver."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    async def load(self, label: str, server: _load.Server, requests: list[bytes], *, expect: int,
                   warmup: float, seconds: float) -> _load.LoadResult:
        task = self.progress.add_task(label, total=warmup + seconds)

        def tick(elapsed: float, r: _load.LoadResult) -> None:
            rate = r.measured_ok / max(elapsed - warmup, 1e-9) if elapsed > warmup else 0.0
            note = "warming up" if elapsed <= warmup else f"{rate:,.0f}/s"
            errors = f", [red]{r.total_errors} errors[/]" if r.total_errors else ""
            self.progress.update(task, completed=elapsed, description=f"{label}: {note}{errors}")

        cpu_before = server.cpu_seconds()
        result = await _load.run_load(server.host, server.port, requests, expect=expect,
                                      warmup=warmup, seconds=seconds, tick=tick)
        cpu_after, replies = server.cpu_seconds(), result.total_ok + result.total_errors
        if cpu_before is not None and cpu_after is not None and replies:
            result.server_cpu_ms = round((cpu_after - cpu_before) * 1000 / replies, 3)
        self.progress.update(task, completed=warmup + seconds,
                             description=f"{label}: {result.rate:,.0f}/s")
        return result

    async def timed(self, label: str, seconds: float, work: Any) -> Any:
        """Await `work` while a bar fills over `seconds` (for phases without live counts)."""
        task = self.progress.add_task(label, total=seconds)
        started = time.monotonic()
        job = asyncio.ensure_future(work)
        while not job.done():
            self.progress.update(task, completed=min(time.monotonic() - started, seconds))
            await asyncio.wait([job], timeout=0.5)
        self.progress.update(task, completed=seconds)
        return job.result()


async def bench_database(kind: str, args: argparse.Namespace, view: Ui) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"laotie-bench-{kind}-"))
    try:
        if kind == "sqlite":
            db_path = workdir / "laotie.db"
            url = f"sqlite+aiosqlite:///{db_path}"
        else:
            url = PG_URL
            await _load.reset_postgres(url)
        await view.timed(f"{kind}: migrate", 3, upgrade_async(url))
        settings = Settings(database_url=url, data_dir=workdir, media_dir=workdir / "media",
                            secret_key=SECRET, argon2_time_cost=1, argon2_memory_kib=64,
                            jobs_enabled=False)
        seeded = await view.timed(f"{kind}: seed", 2, seed(settings, args.concurrency))

        env = {"LAOTIE_DATABASE_URL": url, "LAOTIE_DATA_DIR": str(workdir),
               "LAOTIE_MEDIA_DIR": str(workdir / "media"), "LAOTIE_SECRET_KEY": SECRET,
               "LAOTIE_JOBS_ENABLED": "false"}
        async with _load.Server(env, workdir) as server:
            healthz = await view.load(
                f"{kind}: GET /healthz", server,
                [_load.build_request("GET", "/healthz", server.host)] * args.concurrency,
                expect=200, warmup=1.5, seconds=args.seconds)
            checkout = await view.load(
                f"{kind}: POST /checkout", server,
                [checkout_request(server.host, t, seeded.sku_id) for t in seeded.tokens],
                expect=201, warmup=2.0, seconds=args.seconds)
            singles = [await count_one_checkout(server, t, seeded.sku_id)
                       for t in seeded.fresh_tokens]
            problems = server.log_problems()
            server.stop()
        checked = await verify(settings, seeded.sku_id)

        if kind == "sqlite":
            raw_runs = {"1 writer": await view.timed(
                f"{kind}: raw UPDATE+INSERT", args.raw_seconds + 1,
                asyncio.to_thread(_load.raw_sqlite, db_path, seeded.sku_id, args.raw_seconds))}
        else:
            raw_runs = await view.timed(
                f"{kind}: raw UPDATE+INSERT", 2 * (args.raw_seconds + 1),
                _load.raw_postgres(url, seeded.sku_id, args.raw_seconds, (4, 16)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    ok_total = checkout.total_ok + sum(1 for status, _, _ in singles if status == 201)
    raw_best = max(raw_runs.values())
    settled = [total for _, _, total in singles]
    at_reply = [seen for _, seen, _ in singles]
    return {
        "healthz_rps": round(healthz.rate, 1),
        "orders_per_s": round(checkout.rate, 1),
        "raw_per_s": round(raw_best, 1),
        "raw_runs": {k: round(v, 1) for k, v in raw_runs.items()},
        "ratio_to_raw": round(checkout.rate / raw_best, 3) if raw_best else 0.0,
        "ratio_to_healthz": round(checkout.rate / healthz.rate, 3) if healthz.rate else 0.0,
        "server_cpu_ms": {"healthz": healthz.server_cpu_ms, "checkout": checkout.server_cpu_ms},
        "cpu_ratio": (round(healthz.server_cpu_ms / checkout.server_cpu_ms, 3)
                      if healthz.server_cpu_ms and checkout.server_cpu_ms else 0.0),
        "statements_per_checkout": statistics.median(settled),
        "statements_at_reply": statistics.median(at_reply),
        "statement_samples": settled,
        "errors_measured": checkout.measured_errors + healthz.measured_errors,
        "errors": checkout.total_errors + healthz.total_errors,
        "error_samples": checkout.samples + healthz.samples,
        "orders_ok": ok_total,
        "oversold": max(0, checked["units_in_db"] - checked["stock_taken"]),
        "stock_matches_orders": checked["stock_taken"] == ok_total == checked["units_in_db"],
        **{k: checked[k] for k in ("stock_taken", "orders_in_db", "outbox_backlog", "ledger_ok")},
        "server_log_problems": len(problems),
        "server_log_samples": problems[:5],
    }


def render(results: dict[str, dict[str, Any]]) -> None:
    table = Table(title="laotie checkout bench")
    table.add_column("figure")
    for kind in results:
        table.add_column(kind, justify="right")

    def row(label: str, fmt: Any) -> None:
        table.add_row(label, *("-" if "error" in r else fmt(r) for r in results.values()))

    def mark(ok: bool) -> str:
        return "[green]ok[/]" if ok else "[red]missed[/]"

    def holds(ok: bool) -> str:
        return "[green]yes[/]" if ok else "[red]NO[/]"

    row("GET /healthz req/s", lambda r: f"{r['healthz_rps']:,.0f}")
    row("checkout orders/s", lambda r: f"{r['orders_per_s']:,.0f}")
    row("raw UPDATE+INSERT txn/s", lambda r: f"{r['raw_per_s']:,.0f}")
    row("  raw runs", lambda r: ", ".join(f"{k} {v:,.0f}" for k, v in r["raw_runs"].items()))
    row(f"checkout / raw (≥ {TARGET_RATIO})",
        lambda r: f"{r['ratio_to_raw']:.2f} {mark(r['ratio_to_raw'] >= TARGET_RATIO)}")
    row("checkout / healthz", lambda r: f"{r['ratio_to_healthz']:.2f}")
    row("server CPU ms / healthz", lambda r: f"{r['server_cpu_ms']['healthz'] or 0:.2f}")
    row("server CPU ms / checkout", lambda r: f"{r['server_cpu_ms']['checkout'] or 0:.2f}")
    row(f"CPU no-op / checkout (≥ {TARGET_CPU_RATIO})",
        lambda r: f"{r['cpu_ratio']:.2f} {mark(r['cpu_ratio'] >= TARGET_CPU_RATIO)}")
    row(f"SQL per checkout (≤ {TARGET_STATEMENTS})",
        lambda r: f"{r['statements_per_checkout']:g} "
                  f"{mark(r['statements_per_checkout'] <= TARGET_STATEMENTS)}")
    row("  done by the reply", lambda r: f"{r['statements_at_reply']:g}")
    row("errors (window / all)", lambda r: f"{r['errors_measured']} / {r['errors']}")
    row("orders placed (all)", lambda r: f"{r['orders_ok']:,}")
    row("stock taken = orders", lambda r: holds(r["stock_matches_orders"]))
    row("oversold", lambda r: str(r["oversold"]))
    row("outbox backlog", lambda r: str(r["outbox_backlog"]))
    row("ledger check ok", lambda r: holds(r["ledger_ok"]))
    row("server log problems", lambda r: str(r["server_log_problems"]))
    out.print(table)
    for kind, r in results.items():
        if "error" in r:
            out.print(f"[red]{kind} failed:[/] {r['error']}")
        for sample in r.get("error_samples", []):
            out.print(f"[yellow]{kind} error reply:[/] {sample}")
        for line in r.get("server_log_samples", []):
            out.print(f"[yellow]{kind} server log:[/] {line}")


def summary(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    keys = ("healthz_rps", "orders_per_s", "raw_per_s", "raw_runs", "ratio_to_raw",
            "ratio_to_healthz", "server_cpu_ms", "cpu_ratio", "statements_per_checkout", "statements_at_reply",
            "errors", "oversold", "stock_matches_orders", "outbox_backlog", "ledger_ok")
    doc: dict[str, Any] = {"bench": "checkout"}
    met: dict[str, bool] = {}
    for kind, r in results.items():
        if "error" in r:
            doc[kind] = {"error": r["error"]}
            met[f"{kind}_ratio"] = met[f"{kind}_cpu_ratio"] = False
            continue
        doc[kind] = {k: r[k] for k in keys}
        met[f"{kind}_ratio"] = r["ratio_to_raw"] >= TARGET_RATIO
        met[f"{kind}_cpu_ratio"] = r["cpu_ratio"] >= TARGET_CPU_RATIO
    met["statements"] = bool(results) and all(
        "error" not in r and r["statements_per_checkout"] <= TARGET_STATEMENTS
        for r in results.values())
    doc.update(target_ratio=TARGET_RATIO, target_cpu_ratio=TARGET_CPU_RATIO,
               target_statements=TARGET_STATEMENTS, met=met,
               all_met=all(met.values()) and all(
                   "error" not in r and r["oversold"] == 0 and r["errors"] == 0
                   for r in results.values()))
    return doc


async def main(args: argparse.Namespace) -> dict[str, Any]:
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: dict[str, dict[str, Any]] = {}
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=ui, refresh_per_second=2) as progress:
        view = Ui(progress)
        for kind in kinds:
            try:
                results[kind] = await bench_database(kind, args, view)
            except Exception as exc:  # report it and go on to the next database
                ui.print_exception()
                results[kind] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=10.0, help="per load measurement")
    parser.add_argument("--concurrency", type=int, default=64, help="clients (one buyer each)")
    args = parser.parse_args()
    args.raw_seconds = min(max(args.seconds, 5.0), 10.0)
    return args


def run() -> None:
    args = parse_args()
    # The server runs on laotie's defaults plus what this bench sets (e.g. SQLite FULL sync).
    for name in [n for n in os.environ if n.startswith("LAOTIE_")]:
        if name != "LAOTIE_BENCH_POSTGRES_URL":
            del os.environ[name]
    started = time.monotonic()
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        results = runner.run(main(args))
    render(results)
    doc = summary(results)
    doc["runtime_s"] = round(time.monotonic() - started, 1)
    out.print(f"total runtime {doc['runtime_s']} s")
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()
    if any("error" in r for r in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    run()
