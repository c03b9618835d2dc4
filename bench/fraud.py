"""Fake-order (刷单) ring detection over a million generated orders: time, precision, recall.

This:

1. generates `--orders` orders (default 1,000,000) with `laotie.trust.fraud.generator`, seeded
   (`--seed`), with planted rings that camouflage at popular shops, and hard negatives (loyal
   customers of small shops, families sharing addresses, flash sales, honest new accounts);
2. runs `detect_rings` on the batch, timed on its own (generation is timed apart and is not
   part of the target): per-order signals, the weighted graph, FRAUDAR blocks, evidence;
3. scores the flagged buyers against the planted ring members: precision and recall at
   ring-member level, and how many honest look-alikes were accused.

Run:  .venv/bin/python bench/fraud.py [--orders 1000000] [--seed 1] [--rings N]
The last line on stdout is one JSON object with the figures, the targets and whether they were met.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from laotie.trust.fraud import Detection, detect_rings
from laotie.trust.fraud.generator import SyntheticOrders, generate_orders, member_precision_recall

TARGET_SECONDS = 60.0
TARGET_PRECISION = 0.9
TARGET_RECALL = 0.9

ui = Console(stderr=True)
out = Console()


def measure(args: argparse.Namespace) -> tuple[SyntheticOrders, Detection, dict[str, float]]:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    seconds: dict[str, float] = {}
    with Progress(*columns, console=ui, refresh_per_second=4) as progress:
        task = progress.add_task(f"generating {args.orders:,} orders (seed {args.seed})", total=None)
        started, cpu = time.perf_counter(), time.process_time()
        data = generate_orders(args.orders, seed=args.seed, n_rings=args.rings)
        seconds["generate"] = time.perf_counter() - started
        progress.update(task, description=f"generated {args.orders:,} orders in {seconds['generate']:.1f} s")
        progress.stop_task(task)
        task = progress.add_task("detecting rings", total=None)
        started, cpu = time.perf_counter(), time.process_time()
        found = detect_rings(data.batch)
        seconds["detect"] = time.perf_counter() - started
        seconds["detect_cpu"] = time.process_time() - cpu
        progress.update(task, description=f"detected {len(found.rings)} rings in {seconds['detect']:.1f} s")
        progress.stop_task(task)
    return data, found, seconds


def figures(data: SyntheticOrders, found: Detection, seconds: dict[str, float]) -> dict[str, Any]:
    flagged = found.flagged_buyers
    precision, recall = member_precision_recall(flagged, data.ring_buyers)
    reported_shops = [shop for ring in found.rings for shop in ring.shops]
    rings_hit = sum(1 for ring in data.rings if set(ring.buyers) & flagged)
    return {
        "orders": len(data.batch), "buyers": found.buyers, "columns": found.columns,
        "planted_rings": len(data.rings), "planted_members": len(data.ring_buyers),
        "generate_s": seconds["generate"], "detect_s": seconds["detect"], "detect_cpu_s": seconds["detect_cpu"],
        "stages_s": found.seconds, "rings": len(found.rings), "dismissed": len(found.dismissed),
        "flagged": len(flagged), "precision": precision, "recall": recall,
        "planted_rings_found": rings_hit,
        "false_positives": len(flagged - data.ring_buyers),
        "loyal_accused": len(flagged & data.loyal_buyers), "loyal": len(data.loyal_buyers),
        "family_accused": len(flagged & data.family_buyers), "family": len(data.family_buyers),
        "shops_reported": len(reported_shops),
        "shops_reported_colluding": sum(shop in data.ring_shops for shop in reported_shops),
        "background_density": found.background_density,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def render(f: dict[str, Any], found: Detection) -> None:
    def mark(ok: bool) -> str:
        return "[green]met[/]" if ok else "[red]not met[/]"

    table = Table(title=f"fake-order ring detection: {f['orders']:,} generated orders, one process")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("buyers / shops + creators", f"{f['buyers']:,} / {f['columns']:,}")
    table.add_row("planted rings / members", f"{f['planted_rings']} / {f['planted_members']:,}")
    table.add_row("generation s (not timed against the target)", f"{f['generate_s']:.1f}")
    table.add_row(f"detection s (≤ {TARGET_SECONDS:g})",
                  f"{f['detect_s']:.1f} {mark(f['detect_s'] <= TARGET_SECONDS)}")
    for stage, spent in f["stages_s"].items():
        table.add_row(f"  {stage}", f"{spent:.2f}")
    table.add_row("detection CPU s", f"{f['detect_cpu_s']:.1f}")
    table.add_row("suspected rings / dense blocks dismissed", f"{f['rings']} / {f['dismissed']}")
    table.add_row("planted rings with a member flagged", f"{f['planted_rings_found']} / {f['planted_rings']}")
    table.add_row("buyers flagged", f"{f['flagged']:,}")
    table.add_row(f"precision, ring members (≥ {TARGET_PRECISION})",
                  f"{f['precision']:.3f} {mark(f['precision'] >= TARGET_PRECISION)}")
    table.add_row(f"recall, ring members (≥ {TARGET_RECALL})",
                  f"{f['recall']:.3f} {mark(f['recall'] >= TARGET_RECALL)}")
    table.add_row("honest accounts flagged", f"{f['false_positives']:,}")
    table.add_row("  of them loyal customers of small shops", f"{f['loyal_accused']} of {f['loyal']:,}")
    table.add_row("  of them in families sharing an address", f"{f['family_accused']} of {f['family']:,}")
    table.add_row("reported shops that colluded", f"{f['shops_reported_colluding']} of {f['shops_reported']}")
    table.add_row("peak memory MB", f"{f['peak_rss_mb']:,.0f}")
    out.print(table)
    if found.rings:
        top = found.rings[0]
        out.print(f"[bold]top ring[/]: {len(top.buyers)} accounts, shops {list(top.shops)}, "
                  f"creators {list(top.creators)}, {len(top.order_ids)} orders, score {top.score:.2f}")
        for item in top.evidence:
            out.print(f"  {item.signal:>20}  {item.value:6.2f}  {item.explanation}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rings", type=int, default=None, help="planted rings (default: one per 12,500 orders)")
    return parser.parse_args()


def run() -> None:
    args = parse_args()
    data, found, seconds = measure(args)
    f = figures(data, found, seconds)
    render(f, found)
    met = (f["detect_s"] <= TARGET_SECONDS and f["precision"] >= TARGET_PRECISION
           and f["recall"] >= TARGET_RECALL)
    doc = {
        "bench": "fraud", "orders": f["orders"], "seconds": round(f["detect_s"], 1),
        "generate_seconds": round(f["generate_s"], 1), "precision": round(f["precision"], 4),
        "recall": round(f["recall"], 4), "rings": f["rings"], "planted_rings": f["planted_rings"],
        "flagged": f["flagged"], "seed": args.seed,
        "target_seconds": TARGET_SECONDS, "target_precision": TARGET_PRECISION, "target_recall": TARGET_RECALL,
        "met": met,
    }
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    run()
