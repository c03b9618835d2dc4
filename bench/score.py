"""Shop experience score recompute: 10,000 shops over 1,000,000 orders, in one process.

This:

1. generates a seeded synthetic window (not timed with the score): shops spread over
   categories, order counts per shop from a log-normal (so some shops stay under
   `min_orders` and are new), a hidden quality per shop that moves every indicator's
   odds, and facts that are missing the way real ones are (no review, not yet shipped,
   no buyer message, no refund);
2. times the recompute as the daily job runs it, `--repeat` times (median reported):
   validating the columns into `OrderFacts`, `compute_scores` for every shop, and turning
   every row into a `ShopScore`; each step's share is shown;
3. times, once each: `diagnose` for every scored shop, and `OrderFacts.from_rows` on the
   first `--rows` orders as Python tuples (the shape a SQL cursor returns);
4. checks what the score says: the band shares, and the rank correlation between the
   hidden quality and the total (a score that measured nothing would sit near 0);
5. in the same run, the database path on a smaller world (default 1,000 shops × 100,000
   orders, `--db-shops`, `--db-orders`): a migrated SQLite database is seeded with Core bulk
   inserts (shops, products, orders and lines, reviews, after-sales, counterfeit claims,
   buyer–merchant messages, a few orders excluded as fake; not timed), then the daily job's
   `recompute` (SQL facts, scoring, the upsert of one row per shop) is timed `--db-repeat`
   times, median reported, with its SQL-and-numpy facts step and scoring step timed apart.
   `--no-db` skips it. At the full size (`--db-shops 10000 --db-orders 1000000`) it took
   11.9 s on this project's 2-core machine (facts 8.9 s, scoring 0.3 s), but seeding the
   3 million rows takes about 3 minutes, so the default run stays at a tenth of that.

Run:  .venv/bin/python bench/score.py [--shops 10000] [--orders 1000000] [--categories 30]
                                       [--seed 7] [--repeat 3] [--rows 100000]
                                       [--db-shops 1000] [--db-orders 100000] [--db-repeat 3] [--no-db]
The last line on stdout is one JSON object with the figures, the target and whether it was met
(the target is the pure recompute's; the database figures are reported beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from scipy.stats import spearmanr
from sqlalchemy import create_engine, insert

from laotie.config import Settings
from laotie.kit.db import Database
from laotie.kit.migrate import upgrade
from laotie.models import (
    Aftersale,
    Category,
    CounterfeitClaim,
    ExcludedOrder,
    Order,
    OrderLine,
    OrderMessage,
    Payment,
    Product,
    Review,
    Shop,
    Sku,
    User,
)
from laotie.models.base import Base, table_of
from laotie.trust.score import repository as score_facts
from laotie.trust.score.core import BAND_CODES, FACT_COLUMNS, Band, OrderFacts, ScoreSettings, compute_scores, diagnose
from laotie.trust.score.service import scores as score_service

TARGET_SECONDS = 60.0

ui = Console(stderr=True)  # progress and notes; stdout keeps the table and the JSON line
out = Console()
T = TypeVar("T")


@dataclass
class World:
    columns: dict[str, npt.NDArray[Any]]
    quality: npt.NDArray[np.float64]  # hidden quality per shop id (index = shop id)


def generate(shops: int, orders: int, categories: int, seed: int, window_days: int) -> World:
    """A seeded window of orders; every draw is vectorised, so this takes seconds."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(0.0, 1.0, shops)
    shop_category = rng.integers(0, categories, shops)
    size = rng.lognormal(0.0, 1.1, shops)  # long tail: a few big shops, many small ones
    per_shop = 1 + rng.multinomial(orders - shops, size / size.sum())  # every shop has an order
    shop = np.repeat(np.arange(shops), per_shop)[rng.permutation(orders)]  # rows arrive in no order
    q = quality[shop]
    age = rng.integers(0, window_days, orders)

    def chance(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return (rng.random(orders) < np.clip(p, 0.0, 1.0)).astype(np.float64)

    def only_where(mask: npt.NDArray[np.bool_], values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.where(mask, values, np.nan)

    def sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)

    reviewed = rng.random(orders) < 0.35
    due = (age >= 2) | (rng.random(orders) < 0.5)  # recent unshipped orders are not yet late
    delivered = (age >= 3) | (rng.random(orders) < 0.3)
    messaged = rng.random(orders) < 0.3
    refunded = rng.random(orders) < 0.08
    columns: dict[str, npt.NDArray[Any]] = {
        "shop_id": shop.astype(np.int64) + 100_000,  # ids that are not row numbers
        "category_id": shop_category[shop].astype(np.int64) + 1,
        "day_age": age.astype(np.int64),
        "quality_return": chance(0.03 * np.exp(-0.5 * q)),
        "product_negative_review": only_where(reviewed, chance(0.06 * np.exp(-0.6 * q))),
        "counterfeit_upheld": chance(0.0008 * np.exp(-1.0 * q)),
        "shipped_within_48h": only_where(due, chance(sigmoid(2.2 + q))),
        "delivery_hours": only_where(delivered, rng.gamma(6.0, 9.0 * np.exp(-0.2 * q))),
        "logistics_negative_review": only_where(reviewed, chance(0.04 * np.exp(-0.5 * q))),
        "first_reply_within_3min": only_where(messaged, chance(sigmoid(1.5 + q))),
        "refund_handling_hours": only_where(refunded, rng.gamma(2.0, 12.0 * np.exp(-0.3 * q))),
        "dispute_lost": chance(0.003 * np.exp(-0.8 * q)),
        "service_negative_review": only_where(reviewed, chance(0.03 * np.exp(-0.5 * q))),
    }
    assert tuple(columns) == FACT_COLUMNS
    return World(columns, quality)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    settings = ScoreSettings()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=ui, refresh_per_second=4) as progress:
        task = progress.add_task(f"generating {args.orders:,} orders over {args.shops:,} shops")
        world, generate_s = timed(lambda: generate(args.shops, args.orders, args.categories, args.seed,
                                                   settings.window_days))
        progress.update(task, description=f"generated in {generate_s:.2f} s")
        progress.stop_task(task)

        runs: list[dict[str, float]] = []
        table = None
        for r in range(args.repeat):
            task = progress.add_task(f"recompute {r + 1}/{args.repeat}")
            t0 = time.perf_counter()
            facts = OrderFacts(**world.columns)
            t1 = time.perf_counter()
            table = compute_scores(facts, settings)
            t2 = time.perf_counter()
            shop_scores = list(table.shops())
            t3 = time.perf_counter()
            runs.append({"facts": t1 - t0, "compute": t2 - t1, "objects": t3 - t2, "total": t3 - t0})
            progress.update(task, description=f"recompute {r + 1}/{args.repeat}: {runs[-1]['total']:.2f} s")
            progress.stop_task(task)
        assert table is not None

        task = progress.add_task("diagnosing every scored shop")
        scored = [s for s in shop_scores if s.total is not None]
        diagnoses, diagnose_s = timed(lambda: [diagnose(s, settings) for s in scored])
        progress.update(task, description=f"diagnosed {len(diagnoses):,} shops in {diagnose_s:.2f} s")
        progress.stop_task(task)

        from_rows_s = None
        rows_n = min(args.rows, args.orders)
        if rows_n:
            task = progress.add_task(f"OrderFacts.from_rows on {rows_n:,} tuples")
            stacked = np.column_stack([world.columns[c][:rows_n].astype(np.float64) for c in FACT_COLUMNS])
            rows = [tuple(None if v != v else v for v in row) for row in stacked.tolist()]  # NULL as None
            del stacked
            _, from_rows_s = timed(lambda: OrderFacts.from_rows(rows))
            del rows
            progress.update(task, description=f"from_rows on {rows_n:,} tuples: {from_rows_s:.2f} s")
            progress.stop_task(task)

    median = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
    bands = [BAND_CODES[c] for c in table.band_code.tolist()]
    counts = {b.value: bands.count(b) for b in (Band.EXCELLENT, Band.GOOD, Band.POOR, Band.NEW)}
    with_score = table.scored
    hidden = world.quality[table.shop_id[with_score] - 100_000]
    rho = float(spearmanr(hidden, table.total[with_score]).statistic)
    return {
        "bench": "score", "shops": len(table), "orders": args.orders, "categories": args.categories,
        "seed": args.seed, "repeat": args.repeat,
        "seconds": round(median["total"], 3),
        "target_seconds": TARGET_SECONDS, "met": median["total"] <= TARGET_SECONDS,
        "facts_seconds": round(median["facts"], 3), "compute_seconds": round(median["compute"], 3),
        "shop_objects_seconds": round(median["objects"], 3),
        "runs_seconds": [round(run["total"], 3) for run in runs],
        "generate_seconds": round(generate_s, 3), "diagnose_all_seconds": round(diagnose_s, 3),
        "from_rows_orders": rows_n, "from_rows_seconds": None if from_rows_s is None else round(from_rows_s, 3),
        "bands": counts, "scored_shops": int(with_score.sum()),
        "spearman_quality_vs_total": round(rho, 3),
        "cpu": f"{os.cpu_count()} cores, shared",
    }


# ---- the database path -------------------------------------------------------------------------

CHUNK = 20_000
QUALITY = ("quality", "not_as_described", "damaged", "wrong_item")


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _times(epochs: npt.NDArray[np.float64]) -> list[datetime | None]:
    """Unix seconds (NaN: none) as aware datetimes, rounded to the microsecond SQLite keeps."""
    return [None if e != e else datetime.fromtimestamp(round(e, 6), UTC) for e in epochs.tolist()]


def seed_database(url: str, shops: int, orders: int, categories: int, seed: int, cutoff: datetime,
                  window_days: int) -> dict[str, int]:
    """Write a window of orders with everything the score reads, as the platform would hold them.

    A hidden quality per shop moves every odds (late shipping, slow delivery, quality refunds,
    negative reviews, slow replies), like the pure generator. Every timestamp is before
    `cutoff` (the end of the score day), so the whole window is judged as of that moment.
    Returns the rows written per table.
    """
    rng = np.random.default_rng(seed)
    end, start = cutoff.timestamp(), (cutoff - timedelta(days=window_days)).timestamp()
    quality = rng.normal(0.0, 1.0, shops)
    size = rng.lognormal(0.0, 1.1, shops)
    per_shop = 1 + rng.multinomial(orders - shops, size / size.sum())
    shop = rng.permutation(np.repeat(np.arange(shops), per_shop))
    q = quality[shop]
    buyers = max(orders // 20, 1)
    buyer = rng.integers(0, buyers, orders)
    hour = 3600.0

    def sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)

    def before_end(t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.where(t < end, t, np.nan)

    paid = start + rng.random(orders) * (end - start - 60.0)
    never_ships = rng.random(orders) < 0.02
    shipped = before_end(np.where(never_ships, np.nan, paid + rng.gamma(2.0, 14.0 * np.exp(-0.4 * q)) * hour))
    cancelled = before_end(np.where(never_ships & (rng.random(orders) < 0.5), paid + rng.uniform(1, 96, orders) * hour,
                                    np.nan))
    delivered = before_end(shipped + rng.gamma(6.0, 9.0 * np.exp(-0.2 * q)) * hour)
    reviewed = ~np.isnan(delivered) & (rng.random(orders) < 0.35)
    review_at = before_end(np.where(reviewed, delivered + rng.uniform(1, 72, orders) * hour, np.nan))

    def stars(p_negative: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        negative = rng.random(orders) < p_negative
        return np.where(negative, rng.integers(1, 3, orders), rng.integers(3, 6, orders))

    product_stars, logistics_stars = stars(0.06 * np.exp(-0.6 * q)), stars(0.04 * np.exp(-0.5 * q))
    service_stars = stars(0.03 * np.exp(-0.5 * q))
    asked = rng.random(orders) < 0.08
    asked_at = before_end(np.where(asked, paid + rng.uniform(1, 120, orders) * hour, np.nan))
    decided_at = before_end(asked_at + rng.gamma(2.0, 12.0 * np.exp(-0.3 * q)) * hour)
    quality_reason = rng.random(orders) < 0.4 * np.exp(-0.5 * q)
    refunded = ~np.isnan(decided_at) & (rng.random(orders) < 0.9)
    lost = refunded & (rng.random(orders) < 0.03 * np.exp(-0.8 * q))
    claimed = before_end(np.where(rng.random(orders) < 0.001 * np.exp(-q), paid + 200 * hour, np.nan))
    messaged = before_end(np.where(rng.random(orders) < 0.3, paid + rng.uniform(0, 30, orders) * hour, np.nan))
    fast = rng.random(orders) < sigmoid(1.5 + q)
    delay = np.where(fast, rng.uniform(5, 170, orders), rng.uniform(200, 7200, orders))
    reply_at = before_end(np.where(rng.random(orders) < 0.9, messaged + delay, np.nan))
    excluded = rng.random(orders) < 0.005

    epoch = datetime.fromtimestamp(start - 86400, UTC)
    buyer_base, owner_base = 1, buyers + 1
    rows: dict[type[Base], list[dict[str, Any]]] = {m: [] for m in (
        User, Category, Shop, Product, Sku, Payment, Order, OrderLine, Review, Aftersale, CounterfeitClaim,
        OrderMessage, ExcludedOrder)}
    for b in range(buyers):
        rows[User].append({"id": buyer_base + b, "username": f"b{b}", "display_name": f"b{b}", "password_hash": "-",
                           "roles": "consumer", "is_active": True, "created_at": epoch})
        rows[Payment].append({"id": buyer_base + b, "buyer_id": buyer_base + b, "amount": 1, "currency": "CNY",
                              "gateway": "sandbox", "purpose": "orders", "status": "succeeded", "created_at": epoch})
    for c in range(categories):
        rows[Category].append({"id": c + 1, "name": f"category {c}", "commission_bps": 500, "created_at": epoch})
    shop_category = rng.integers(0, categories, shops)
    for i in range(shops):
        owner = owner_base + i
        rows[User].append({"id": owner, "username": f"m{i}", "display_name": f"m{i}", "password_hash": "-",
                           "roles": "merchant", "is_active": True, "created_at": epoch})
        rows[Shop].append({"id": i + 1, "owner_id": owner, "name": f"shop {i}", "description": "", "status": "open",
                           "created_at": epoch})
        rows[Product].append({"id": i + 1, "shop_id": i + 1, "category_id": int(shop_category[i]) + 1,
                              "title": f"p{i}", "description": "", "status": "published", "min_price": 1000,
                              "sold_count": 0, "created_at": epoch})
        rows[Sku].append({"id": i + 1, "product_id": i + 1, "code": "", "attributes": {}, "price": 1000,
                          "stock": 1_000_000, "created_at": epoch})
    times = {name: _times(col) for name, col in (
        ("paid", paid), ("shipped", shipped), ("delivered", delivered), ("cancelled", cancelled),
        ("review", review_at), ("asked", asked_at), ("decided", decided_at), ("claimed", claimed),
        ("messaged", messaged), ("reply", reply_at))}
    for i in range(orders):
        oid, sid, paid_at = i + 1, int(shop[i]) + 1, times["paid"][i]
        assert paid_at is not None
        shipped_at, delivered_at, cancelled_at = times["shipped"][i], times["delivered"][i], times["cancelled"][i]
        status = ("delivered" if delivered_at else "shipped" if shipped_at else "cancelled" if cancelled_at
                  else "paid")
        rows[Order].append({
            "id": oid, "buyer_id": buyer_base + int(buyer[i]), "shop_id": sid, "payment_id": buyer_base + int(buyer[i]),
            "status": status, "total": 1000, "commission": 50, "discount": 0, "source": "direct", "refunded": 0,
            "recipient": "收件人", "phone": "13800000000", "address": "Bench Road",
            "pay_deadline": paid_at + timedelta(minutes=15), "created_at": paid_at - timedelta(minutes=1),
            "paid_at": paid_at, "shipped_at": shipped_at, "delivered_at": delivered_at, "cancelled_at": cancelled_at,
            "carrier": "SF" if shipped_at else None, "tracking_no": f"SF{oid}" if shipped_at else None})
        rows[OrderLine].append({"id": oid, "order_id": oid, "sku_id": sid, "product_id": sid, "title": "item",
                                "sku_attributes": {}, "unit_price": 1000, "quantity": 1, "commission_bps": 500,
                                "commission": 50, "discount": 0})
        if times["review"][i] is not None:
            rows[Review].append({
                "id": oid, "order_line_id": oid, "order_id": oid, "buyer_id": buyer_base + int(buyer[i]),
                "shop_id": sid, "product_id": sid, "product_stars": int(product_stars[i]),
                "logistics_stars": int(logistics_stars[i]), "service_stars": int(service_stars[i]), "body": "",
                "images": [], "hidden": False, "created_at": times["review"][i]})
        if times["asked"][i] is not None:
            decided = times["decided"][i]
            rows[Aftersale].append({
                "order_id": oid, "buyer_id": buyer_base + int(buyer[i]), "shop_id": sid, "kind": "refund_only",
                "reason": QUALITY[i % 4] if quality_reason[i] else "no_reason", "description": "", "amount": 1000,
                "status": "refunded" if refunded[i] else ("rejected" if decided else "requested"),
                "decided_at": decided, "closed_at": decided if refunded[i] else None,
                "dispute": "buyer_won" if lost[i] else None, "refunded": 1000 if refunded[i] else 0,
                "shipping_compensation": 0, "created_at": times["asked"][i]})
        if times["claimed"][i] is not None:
            rows[CounterfeitClaim].append({
                "order_id": oid, "buyer_id": buyer_base + int(buyer[i]), "shop_id": sid, "statement": "fake",
                "status": "upheld", "decided_at": times["claimed"][i], "refunded": 0, "compensation": 0,
                "created_at": times["claimed"][i]})
        if times["messaged"][i] is not None:
            rows[OrderMessage].append({"order_id": oid, "shop_id": sid, "sender_id": buyer_base + int(buyer[i]),
                                       "sender_role": "buyer", "body": "在吗", "created_at": times["messaged"][i]})
            if times["reply"][i] is not None:
                rows[OrderMessage].append({"order_id": oid, "shop_id": sid, "sender_id": owner_base + int(shop[i]),
                                           "sender_role": "merchant", "body": "在的", "created_at": times["reply"][i]})
        if excluded[i]:
            rows[ExcludedOrder].append({"order_id": oid, "reason": "fraud_ring:1", "excluded_at": epoch})
    engine = create_engine(url.replace("+aiosqlite", ""))
    with engine.begin() as conn:
        for model, model_rows in rows.items():
            for chunk in _chunks(model_rows):
                conn.execute(insert(table_of(model)), chunk)
    engine.dispose()
    return {table_of(m).name: len(r) for m, r in rows.items()}


async def _time_recomputes(settings: Settings, day: date, now: datetime, repeat: int,
                           score: ScoreSettings) -> dict[str, Any]:
    db = Database.connect(settings)
    try:
        runs = []
        result = None
        for _ in range(repeat):
            started = time.perf_counter()
            async with db.transaction() as s:
                result = await score_service.recompute(s, day, score, now=now)
            runs.append(time.perf_counter() - started)
        assert result is not None
        # The two steps apart (read-only, rolled back): SQL facts, then scoring.
        window = score_facts.window_for(day, score, now)
        async with db.transaction() as s:
            categories = await score_facts.shop_categories(s)
            t0 = time.perf_counter()
            facts, _ = await score_facts.gather_facts(s, window, categories)
            t1 = time.perf_counter()
            compute_scores(facts, score)
            t2 = time.perf_counter()
        return {"runs": runs, "gather": t1 - t0, "compute": t2 - t1, "result": result, "facts": len(facts)}
    finally:
        await db.dispose()


def run_db_bench(args: argparse.Namespace) -> dict[str, Any]:
    score = ScoreSettings()
    now = datetime.now(UTC)
    day = score_facts.score_day(now) - timedelta(days=1)  # the day that just ended, as the nightly job sees it
    cutoff = score_facts.window_for(day, score, now).cutoff
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with tempfile.TemporaryDirectory(prefix="laotie-score-bench-") as tmp, \
            Progress(*columns, console=ui, refresh_per_second=4) as progress:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'score.db'}"
        task = progress.add_task("migrating a fresh SQLite database")
        upgrade(url)
        progress.stop_task(task)
        task = progress.add_task(f"seeding {args.db_orders:,} orders over {args.db_shops:,} shops (Core inserts)")
        written, seed_s = timed(lambda: seed_database(url, args.db_shops, args.db_orders, args.categories,
                                                      args.seed, cutoff, score.window_days))
        progress.update(task, description=f"seeded {sum(written.values()):,} rows in {seed_s:.1f} s")
        progress.stop_task(task)
        task = progress.add_task(f"recompute through the database, {args.db_repeat}×")
        settings = Settings(database_url=url, data_dir=Path(tmp), media_dir=Path(tmp) / "media",
                            secret_key="bench", jobs_enabled=False)
        got = asyncio.run(_time_recomputes(settings, day, now, args.db_repeat, score))
        progress.update(task, description=f"recompute through the database: {statistics.median(got['runs']):.2f} s")
        progress.stop_task(task)
    result = got["result"]
    return {
        "shops": args.db_shops, "orders": args.db_orders, "rows_seeded": written, "seed_seconds": round(seed_s, 1),
        "recompute_seconds": round(statistics.median(got["runs"]), 3),
        "runs_seconds": [round(x, 3) for x in got["runs"]],
        "facts_sql_seconds": round(got["gather"], 3), "compute_seconds": round(got["compute"], 3),
        "orders_in_window": got["facts"], "score_rows": result.shops, "bands": result.bands,
    }


def render(doc: dict[str, Any]) -> None:
    table = Table(title=f"shop score recompute: {doc['shops']:,} shops, {doc['orders']:,} orders, "
                        f"{doc['categories']} categories (median of {doc['repeat']})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    mark = "[green]ok[/]" if doc["met"] else "[red]missed[/]"
    table.add_row(f"recompute, end to end (≤ {doc['target_seconds']:g} s)", f"{doc['seconds']:.2f} s {mark}")
    table.add_row("  OrderFacts from columns (validation)", f"{doc['facts_seconds']:.2f} s")
    table.add_row("  compute_scores (bulk columns)", f"{doc['compute_seconds']:.2f} s")
    table.add_row("  a ShopScore for every shop", f"{doc['shop_objects_seconds']:.2f} s")
    table.add_row("  each run", ", ".join(f"{s:.2f}" for s in doc["runs_seconds"]))
    table.add_row("diagnose every scored shop", f"{doc['diagnose_all_seconds']:.2f} s")
    if doc["from_rows_seconds"] is not None:
        table.add_row(f"from_rows, {doc['from_rows_orders']:,} tuples", f"{doc['from_rows_seconds']:.2f} s")
    table.add_row("generate the window (not timed above)", f"{doc['generate_seconds']:.2f} s")
    total = doc["shops"]
    for band, n in doc["bands"].items():
        table.add_row(f"band {band}", f"{n:,} ({n / total:.1%})")
    table.add_row("rank correlation, hidden quality vs total", f"{doc['spearman_quality_vs_total']:.3f}")
    out.print(table)
    db = doc.get("db")
    if db:
        dbt = Table(title=f"through SQLite: {db['shops']:,} shops, {db['orders']:,} orders "
                          f"(median of {len(db['runs_seconds'])})")
        dbt.add_column("figure")
        dbt.add_column("value", justify="right")
        dbt.add_row("recompute (SQL facts, scoring, one row per shop written)", f"{db['recompute_seconds']:.2f} s")
        dbt.add_row("  facts from SQL (one SELECT + messages), numpy", f"{db['facts_sql_seconds']:.2f} s")
        dbt.add_row("  compute_scores", f"{db['compute_seconds']:.2f} s")
        dbt.add_row("  each run", ", ".join(f"{s:.2f}" for s in db["runs_seconds"]))
        dbt.add_row("orders in the window (excluded ones left out)", f"{db['orders_in_window']:,}")
        dbt.add_row("seeding (Core inserts, not timed above)", f"{db['seed_seconds']:.1f} s, "
                    f"{sum(db['rows_seeded'].values()):,} rows")
        for band, n in db["bands"].items():
            dbt.add_row(f"band {band}", f"{n:,}")
        out.print(dbt)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--categories", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="timed recomputes; the median is reported")
    parser.add_argument("--rows", type=int, default=100_000, help="orders timed through from_rows (0: skip)")
    parser.add_argument("--db-shops", type=int, default=1_000, help="shops in the database run")
    parser.add_argument("--db-orders", type=int, default=100_000, help="orders in the database run")
    parser.add_argument("--db-repeat", type=int, default=3, help="timed database recomputes; the median is reported")
    parser.add_argument("--no-db", action="store_true", help="skip the database run")
    args = parser.parse_args()
    if not args.no_db and (min(args.db_shops, args.db_repeat) < 1 or args.db_orders < args.db_shops):
        parser.error("db-shops and db-repeat must be ≥ 1 and db-orders ≥ db-shops")
    if min(args.shops, args.orders, args.categories, args.repeat) < 1 or args.rows < 0:
        parser.error("shops, orders, categories and repeat must be ≥ 1; rows ≥ 0")
    if args.orders < args.shops:
        parser.error("every shop gets at least one order: need orders ≥ shops")
    return args


def run() -> None:
    args = parse_args()
    started = time.monotonic()
    doc = run_bench(args)
    if not args.no_db:
        doc["db"] = run_db_bench(args)
    render(doc)
    doc["runtime_s"] = round(time.monotonic() - started, 1)
    out.print(f"total runtime {doc['runtime_s']} s")
    sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    run()
