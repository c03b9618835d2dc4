"""Fake-order (刷单) ring detection over a million generated orders: time, precision, recall.

This:

1. generates `--orders` orders (default 1,000,000) with `laotie.trust.fraud.core.generator`, seeded
   (`--seed`), with planted rings that camouflage at popular shops, and hard negatives (loyal
   customers of small shops, families sharing addresses, flash sales, honest new accounts);
2. runs `detect_rings` on the batch, timed on its own (generation is timed apart and is not
   part of the target): per-order signals, the weighted graph, FRAUDAR blocks, evidence;
3. scores the flagged buyers against the planted ring members: precision and recall at
   ring-member level, and how many honest look-alikes were accused;
4. then the same through the database, smaller (`--db-orders`, default 100,000; 0 skips it):
   generated orders bulk-inserted with Core into a migrated temporary SQLite database as
   accounts, shops, products, live sessions, videos, payments, orders, lines and reviews, then
   `load_batch` (the real SELECT) and `detect_rings` timed apart, precision and recall again,
   and whether the rings found are the ones found on the same orders in memory.

Run:  .venv/bin/python bench/fraud.py [--orders 1000000] [--seed 1] [--rings N] [--db-orders 100000]
The last line on stdout is one JSON object with the figures, the targets and whether they were met.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import create_engine, insert

from laotie.config import Settings
from laotie.kit.db import Database
from laotie.kit.migrate import upgrade
from laotie.models import (
    Category,
    LiveSession,
    Order,
    OrderLine,
    Payment,
    Product,
    Review,
    Shop,
    Sku,
    User,
    Video,
)
from laotie.models.base import table_of
from laotie.trust.fraud.core import Detection, detect_rings
from laotie.trust.fraud.core.generator import (
    EPOCH_START,
    WINDOW_DAYS,
    SyntheticOrders,
    generate_orders,
    member_precision_recall,
)
from laotie.trust.fraud.service import load_batch

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


# ---- the database path -----------------------------------------------------------------------

CHUNK = 20_000


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def insert_orders(url: str, data: SyntheticOrders) -> int:
    """Write the generated orders into a migrated database as the platform would hold them.

    Ids are kept (buyer id = user id, so the generator's truth still names the ring members);
    shop owners and creators get user ids above the buyers'. A creator sells through a live
    session, a video or its profile (by order id), so every source kind is resolved by the
    loader. Devices and addresses become text the loader hashes again; equal stays equal.
    Returns the rows written.
    """
    b = data.batch
    first_buyer = {int(buyer): i for i, buyer in reversed(list(enumerate(b.buyer_id.tolist())))}
    owner_base = int(b.buyer_id.max()) + 1
    creator_base = owner_base + int(b.shop_id.max()) + 1
    epoch = _at(EPOCH_START)
    rows: dict[Any, list[dict[str, Any]]] = {m: [] for m in (
        User, Category, Shop, Product, Sku, LiveSession, Video, Payment, Order, OrderLine, Review)}
    for buyer, i in first_buyer.items():
        rows[User].append({"id": buyer, "username": f"b{buyer}", "display_name": f"b{buyer}", "password_hash": "-",
                           "roles": "consumer", "is_active": True, "created_at": _at(float(b.buyer_created_at[i]))})
    rows[Category].append({"id": 1, "name": "bench", "commission_bps": 500, "created_at": epoch})
    for shop in np.unique(b.shop_id).tolist():
        rows[User].append({"id": owner_base + shop, "username": f"m{shop}", "display_name": f"m{shop}",
                           "password_hash": "-", "roles": "merchant", "is_active": True, "created_at": epoch})
        rows[Shop].append({"id": shop, "owner_id": owner_base + shop, "name": f"shop {shop}", "description": "",
                           "status": "open", "created_at": epoch})
    creators = np.unique(b.creator_id[b.creator_id > 0]).tolist()
    for creator in creators:
        user = creator_base + creator
        rows[User].append({"id": user, "username": f"c{creator}", "display_name": f"c{creator}",
                           "password_hash": "-", "roles": "creator", "is_active": True, "created_at": epoch})
        rows[LiveSession].append({"id": creator, "host_id": user, "title": "live", "status": "ended",
                                  "playback_name": f"bench-{creator}", "peak_viewers": 0, "created_at": epoch})
        rows[Video].append({"id": creator, "owner_id": user, "caption": "", "file_name": f"{creator}.mp4",
                            "size_bytes": 1, "status": "published", "plays": 0, "likes": 0, "comments": 0,
                            "created_at": epoch})
    products, first_product = np.unique(b.product_id, return_index=True)
    for product, i in zip(products.tolist(), first_product.tolist(), strict=True):
        rows[Product].append({"id": product, "shop_id": int(b.shop_id[i]), "category_id": 1, "title": f"p{product}",
                              "description": "", "status": "published", "min_price": int(b.amount[i]),
                              "sold_count": 0, "created_at": epoch})
        rows[Sku].append({"id": product, "product_id": product, "code": "", "attributes": {},
                          "price": int(b.amount[i]), "stock": 1_000_000})
    for oid, buyer, shop, creator, product, amount, created, delay, address, device, stars, chars in zip(
            *(getattr(b, name).tolist() for name in (
                "order_id", "buyer_id", "shop_id", "creator_id", "product_id", "amount", "created_at",
                "confirm_delay", "address_fp", "device_fp", "review_stars", "review_chars")), strict=True):
        at = _at(created)
        kind = ("live", "video", "profile")[oid % 3]
        source = "direct" if creator <= 0 else (
            f"profile:{creator_base + creator}" if kind == "profile" else f"{kind}:{creator}")
        confirmed = delay == delay  # not NaN
        rows[Payment].append({"id": oid, "buyer_id": buyer, "amount": amount, "currency": "CNY",
                              "gateway": "sandbox", "purpose": "orders", "status": "succeeded", "created_at": at,
                              "succeeded_at": at})
        rows[Order].append({
            "id": oid, "buyer_id": buyer, "shop_id": shop, "payment_id": oid,
            "status": "completed" if confirmed else "paid", "total": amount, "commission": 0, "discount": 0,
            "source": source, "refunded": 0, "device_fp": f"{device & 0xFFFFFFFFFFFFFFFF:016x}" if device else None,
            "recipient": "收件人", "phone": "13800000000", "address": f"{address & 0xFFFFFFFFFFFFFFFF:x} Bench Road",
            "pay_deadline": at + timedelta(minutes=15), "created_at": at, "paid_at": at,
            "completed_at": at + timedelta(seconds=delay) if confirmed else None})
        rows[OrderLine].append({"id": oid, "order_id": oid, "sku_id": product, "product_id": product, "title": "item",
                                "sku_attributes": {}, "unit_price": amount, "quantity": 1, "commission_bps": 0,
                                "commission": 0, "discount": 0})
        if stars:
            rows[Review].append({"id": oid, "order_line_id": oid, "order_id": oid, "buyer_id": buyer,
                                 "shop_id": shop, "product_id": product, "product_stars": stars,
                                 "logistics_stars": 5, "service_stars": 5, "body": "好" * chars, "hidden": False,
                                 "created_at": at + timedelta(days=1)})
    engine = create_engine(url.replace("+aiosqlite", ""))
    with engine.begin() as conn:
        for model, model_rows in rows.items():
            for chunk in _chunks(model_rows):
                conn.execute(insert(table_of(model)), chunk)
    engine.dispose()
    return sum(len(r) for r in rows.values())


async def _load(settings: Settings, since: datetime, until: datetime) -> tuple[Any, float]:
    db = Database.connect(settings)
    try:
        started = time.perf_counter()
        async with db.transaction() as s:
            batch = await load_batch(s, since, until)
        return batch, time.perf_counter() - started
    finally:
        await db.dispose()


def measure_db(args: argparse.Namespace) -> dict[str, Any]:
    """Generated orders through a migrated SQLite database: insert, `load_batch`, `detect_rings`."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="laotie-fraud-bench-") as tmp, \
            Progress(*columns, console=ui, refresh_per_second=4) as progress:
        path = Path(tmp) / "fraud.db"
        url = f"sqlite+aiosqlite:///{path}"
        task = progress.add_task(f"database path: generating {args.db_orders:,} orders, migrating", total=None)
        data = generate_orders(args.db_orders, seed=args.seed)
        upgrade(url)
        progress.update(task, description="database path: bulk-inserting")
        started = time.perf_counter()
        written = insert_orders(url, data)
        seconds["insert"] = time.perf_counter() - started
        progress.update(task, description="database path: load_batch")
        settings = Settings(database_url=url, data_dir=Path(tmp), secret_key="bench",
                            jobs_enabled=False)
        since = _at(EPOCH_START - 86_400)
        until = since + timedelta(days=WINDOW_DAYS + 2)
        batch, seconds["load"] = asyncio.run(_load(settings, since, until))
        progress.update(task, description="database path: detect_rings")
        started = time.perf_counter()
        found = detect_rings(batch)
        seconds["detect"] = time.perf_counter() - started
        in_memory = detect_rings(data.batch)
        progress.stop_task(task)
    precision, recall = member_precision_recall(found.flagged_buyers, data.ring_buyers)
    same = ([(r.buyers, r.shops, r.order_ids) for r in found.rings]
            == [(r.buyers, r.shops, r.order_ids) for r in in_memory.rings])
    return {"orders": len(batch), "rows_written": written, "insert_s": seconds["insert"], "load_s": seconds["load"],
            "detect_s": seconds["detect"], "total_s": seconds["load"] + seconds["detect"],
            "rings": len(found.rings), "planted_rings": len(data.rings), "precision": precision, "recall": recall,
            "same_as_in_memory": same}


def render_db(f: dict[str, Any]) -> None:
    table = Table(title=f"the same through the database: {f['orders']:,} orders in SQLite")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("rows bulk-inserted (Core) / s", f"{f['rows_written']:,} / {f['insert_s']:.1f}")
    table.add_row("load_batch s (one SELECT)", f"{f['load_s']:.2f}")
    table.add_row("detect_rings s", f"{f['detect_s']:.2f}")
    table.add_row("load + detect s", f"{f['total_s']:.2f}")
    table.add_row("suspected rings / planted", f"{f['rings']} / {f['planted_rings']}")
    table.add_row("precision, ring members", f"{f['precision']:.3f}")
    table.add_row("recall, ring members", f"{f['recall']:.3f}")
    table.add_row("same rings as in memory", "yes" if f["same_as_in_memory"] else "[red]no[/]")
    out.print(table)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rings", type=int, default=None, help="planted rings (default: one per 12,500 orders)")
    parser.add_argument("--db-orders", type=int, default=100_000,
                        help="orders for the database path (SQLite; 0 skips it)")
    return parser.parse_args()


def run() -> None:
    args = parse_args()
    data, found, seconds = measure(args)
    f = figures(data, found, seconds)
    render(f, found)
    del data, found  # the database path runs in the memory the million orders held
    db = measure_db(args) if args.db_orders else None
    if db is not None:
        render_db(db)
    met = (f["detect_s"] <= TARGET_SECONDS and f["precision"] >= TARGET_PRECISION
           and f["recall"] >= TARGET_RECALL)
    doc = {
        "bench": "fraud", "orders": f["orders"], "seconds": round(f["detect_s"], 1),
        "generate_seconds": round(f["generate_s"], 1), "precision": round(f["precision"], 4),
        "recall": round(f["recall"], 4), "rings": f["rings"], "planted_rings": f["planted_rings"],
        "flagged": f["flagged"], "seed": args.seed,
        "target_seconds": TARGET_SECONDS, "target_precision": TARGET_PRECISION, "target_recall": TARGET_RECALL,
        "met": met,
        "db": None if db is None else {
            "backend": "sqlite", "orders": db["orders"], "load_seconds": round(db["load_s"], 2),
            "detect_seconds": round(db["detect_s"], 2), "seconds": round(db["total_s"], 2),
            "insert_seconds": round(db["insert_s"], 1), "precision": round(db["precision"], 4),
            "recall": round(db["recall"], 4), "rings": db["rings"], "planted_rings": db["planted_rings"],
            "same_as_in_memory": db["same_as_in_memory"]},
    }
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    run()
