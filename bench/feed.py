"""Discovery feed latency: full re-ranking against plain ranking, in one process, in one run.

This:

1. draws a synthetic population (laotie.traffic.ranking.simulate): 2,000 owners with Zipf merit and
   10,000 candidate items (30% live rooms, 10% of owners in cold start), 100,000 viewers with
   interests over 20 categories, and loads it twice: a `FeedIndex` with the default settings
   (fairness controller and cold start on) and one with both switched off ("plain");
2. gives every one of the 100,000 viewers a served history of one to five pages, so viewer
   memory is at full size, then warms both indexes with `--warmup` requests;
3. serves `--requests` pages of 20 from each index, interleaved request by request (same
   viewer, same time, the viewer's interests passed as affinity), in sessions of a few pages
   from viewers drawn over all 100,000; after each page the impression, click, watch and
   order events it causes are recorded (not timed), so estimates change as in production;
4. times each `rank(...)` call alone (time.perf_counter_ns) and reports p50/p99/mean of both,
   and the re-ranking overhead = full mean ÷ plain mean − 1 (also given for p50).

Targets: full p99 ≤ 30 ms, overhead ≤ 30%.

Run:  .venv/bin/python bench/feed.py [--requests 20000] [--warmup 3000] [--items 10000]
                                      [--viewers 100000] [--seed 0]
The last line on stdout is one JSON object with the figures, the targets and whether they were met.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from laotie.traffic.ranking import FeedIndex, FeedSettings
from laotie.traffic.ranking.simulate import DAY_START, Population, build_index, make_population

TARGET_P99_MS = 30.0
TARGET_OVERHEAD = 0.30
PAGE = 20

ui = Console(stderr=True)  # progress and notes; stdout keeps the table and the JSON line
out = Console()


def prefill_memory(index: FeedIndex, pop: Population, rng: np.random.Generator) -> None:
    """Every viewer has been served one to five pages of items already today."""
    pages = rng.integers(1, 6, pop.viewers)
    slots = rng.integers(0, pop.items, int(pages.sum()) * PAGE)
    at = 0
    for viewer, n in enumerate(pages.tolist()):
        index.memory.remember(viewer, slots[at:at + n * PAGE])
        at += n * PAGE


def feed_back(index: FeedIndex, pop: Population, rng: np.random.Generator, slots: np.ndarray) -> None:
    """The events a delivered page causes, drawn from the items' true parameters."""
    index.record_slots("impression", slots)
    clicked = slots[rng.random(slots.size) < pop.true_ctr[slots]]
    if clicked.size:
        index.record_slots("click", clicked)
        index.record_slots("watch", clicked, rng.exponential(pop.true_watch[clicked]))
        ordered = clicked[rng.random(clicked.size) < pop.true_cvr[clicked]]
        if ordered.size:
            index.record_slots("order", ordered, pop.true_order_value[ordered])


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=ui, refresh_per_second=4) as progress:
        task = progress.add_task("population and indexes", total=None)
        pop = make_population(owners=args.items // 5, items=args.items, viewers=args.viewers, seed=args.seed)
        full_settings = FeedSettings()
        plain_settings = replace(full_settings, fairness=False, cold_start=False)
        indexes = {"full": build_index(pop, full_settings, seed=args.seed, max_viewers=args.viewers * 2),
                   "plain": build_index(pop, plain_settings, seed=args.seed, max_viewers=args.viewers * 2)}
        # build_index adds items in population order, so slot i is item i in both indexes.
        assert all(ix.slot_of(pop.item_keys[-1]) == pop.items - 1 for ix in indexes.values())
        for ix in indexes.values():
            prefill_memory(ix, pop, np.random.default_rng(args.seed + 7))
        progress.update(task, total=1, completed=1)

        total = args.warmup + args.requests
        step = timedelta(seconds=14 * 3600 / total)  # the busy hours of one day
        sessions = np.random.default_rng(args.seed + 1)
        events = {name: np.random.default_rng(args.seed + 2) for name in indexes}
        times: dict[str, list[int]] = {name: [] for name in indexes}
        served = 0
        task = progress.add_task("requests (full + plain)", total=total)
        gc.collect()
        while served < total:
            viewer = int(sessions.integers(0, pop.viewers))
            affinity = pop.viewer_affinity[viewer] if pop.viewer_affinity is not None else None
            for _ in range(min(int(sessions.geometric(1 / 3)), total - served)):
                now = DAY_START + timedelta(hours=8) + step * served
                for name, ix in indexes.items():
                    t0 = time.perf_counter_ns()
                    page = ix.rank(viewer, PAGE, now, affinity=affinity)
                    elapsed = time.perf_counter_ns() - t0
                    if served >= args.warmup:
                        times[name].append(elapsed)
                    slots = np.fromiter((ix.slot_of(e.key) for e in page.entries), dtype=np.intp,
                                        count=len(page.entries))
                    feed_back(ix, pop, events[name], slots)
                served += 1
                progress.advance(task)

    figures: dict[str, dict[str, float]] = {}
    for name, samples in times.items():
        ms = np.asarray(samples, dtype=np.float64) / 1e6
        figures[name] = {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
                         "mean_ms": float(ms.mean()), "max_ms": float(ms.max())}
    full, plain = indexes["full"], indexes["plain"]
    return {
        "figures": figures, "runtime_s": time.monotonic() - started, "items": pop.items,
        "owners": len(pop.owner_ids), "viewers": pop.viewers, "requests": args.requests,
        "remembered_viewers": len(full.memory), "memory_mb": full.memory.nbytes() / 2**20,
        "gini": {"full": full.exposure_gini(), "plain": plain.exposure_gini()},
        "cold_start_share": {name: ix.totals.young / ix.totals.organic for name, ix in indexes.items()},
        "fairness_k": full.fairness_gain_k,
    }


def render(r: dict[str, Any]) -> None:
    f = r["figures"]
    table = Table(title=f"laotie discovery feed: {r['items']:,} items, {r['owners']:,} owners, "
                        f"{r['viewers']:,} viewers, {r['requests']:,} timed requests each")
    table.add_column("figure")
    table.add_column("full (fairness + cold start)", justify="right")
    table.add_column("plain", justify="right")
    for key in ("p50_ms", "p99_ms", "mean_ms", "max_ms"):
        table.add_row(key.replace("_ms", " ms"), f"{f['full'][key]:.3f}", f"{f['plain'][key]:.3f}")
    table.add_row("exposure Gini today", f"{r['gini']['full']:.3f}", f"{r['gini']['plain']:.3f}")
    table.add_row("cold-start share", f"{r['cold_start_share']['full']:.3f}", f"{r['cold_start_share']['plain']:.3f}")
    out.print(table)
    ok = "[green]ok[/]"
    missed = "[red]missed[/]"
    out.print(f"full p99 {f['full']['p99_ms']:.3f} ms (target ≤ {TARGET_P99_MS:g}) "
              f"{ok if f['full']['p99_ms'] <= TARGET_P99_MS else missed}; re-ranking overhead "
              f"{r['overhead']:.1%} of plain mean time, {r['overhead_p50']:.1%} at p50 (target ≤ "
              f"{TARGET_OVERHEAD:.0%}) {ok if r['overhead'] <= TARGET_OVERHEAD else missed}")
    out.print(f"viewer memory: {r['remembered_viewers']:,} viewers, {r['memory_mb']:.0f} MB per index; "
              f"fairness gain K {r['fairness_k']:.3g}; total runtime {r['runtime_s']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="timed requests per index")
    parser.add_argument("--warmup", type=int, default=3_000, help="untimed requests per index first")
    parser.add_argument("--items", type=int, default=10_000, help="candidates (owners = items / 5)")
    parser.add_argument("--viewers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    r = run(args)
    f = r["figures"]
    r["overhead"] = f["full"]["mean_ms"] / f["plain"]["mean_ms"] - 1.0
    r["overhead_p50"] = f["full"]["p50_ms"] / f["plain"]["p50_ms"] - 1.0
    render(r)
    doc = {
        "bench": "feed", "items": r["items"], "viewers": r["viewers"], "requests": r["requests"],
        "p50_ms": round(f["full"]["p50_ms"], 3), "p99_ms": round(f["full"]["p99_ms"], 3),
        "mean_ms": round(f["full"]["mean_ms"], 3),
        "plain_p50_ms": round(f["plain"]["p50_ms"], 3), "plain_p99_ms": round(f["plain"]["p99_ms"], 3),
        "plain_mean_ms": round(f["plain"]["mean_ms"], 3),
        "rerank_overhead": round(r["overhead"], 3), "rerank_overhead_p50": round(r["overhead_p50"], 3),
        "gini": round(r["gini"]["full"], 3), "plain_gini": round(r["gini"]["plain"], 3),
        "target_p99_ms": TARGET_P99_MS, "target_overhead": TARGET_OVERHEAD,
        "met": f["full"]["p99_ms"] <= TARGET_P99_MS and r["overhead"] <= TARGET_OVERHEAD,
        "runtime_s": round(r["runtime_s"], 1),
    }
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
