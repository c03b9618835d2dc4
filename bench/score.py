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
   hidden quality and the total (a score that measured nothing would sit near 0).

Run:  .venv/bin/python bench/score.py [--shops 10000] [--orders 1000000] [--categories 30]
                                       [--seed 7] [--repeat 3] [--rows 100000]
The last line on stdout is one JSON object with the figures, the target and whether it was met.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from scipy.stats import spearmanr

from laotie.trust.score import (
    BAND_CODES,
    FACT_COLUMNS,
    Band,
    OrderFacts,
    ScoreSettings,
    compute_scores,
    diagnose,
)

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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--categories", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="timed recomputes; the median is reported")
    parser.add_argument("--rows", type=int, default=100_000, help="orders timed through from_rows (0: skip)")
    args = parser.parse_args()
    if min(args.shops, args.orders, args.categories, args.repeat) < 1 or args.rows < 0:
        parser.error("shops, orders, categories and repeat must be ≥ 1; rows ≥ 0")
    if args.orders < args.shops:
        parser.error("every shop gets at least one order: need orders ≥ shops")
    return args


def run() -> None:
    args = parse_args()
    started = time.monotonic()
    doc = run_bench(args)
    render(doc)
    doc["runtime_s"] = round(time.monotonic() - started, 1)
    out.print(f"total runtime {doc['runtime_s']} s")
    sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    run()
