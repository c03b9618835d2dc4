"""The alliance's costs: attributing a promoted checkout, settling commissions, searching the library.

Three measurements, each on a freshly migrated database (SQLite, PostgreSQL or both):

1. **Checkout, promoted against unpromoted**, in the same run and process: one-unit checkouts
   through the real `checkout` service, alternating rounds of "direct" (no promoter) and
   "profile:<creator>" (a creator's showcase, a library product they promote), each round
   `--seconds` long. Prints orders/s of each, their ratio (target ≥ 0.9) and SQL statements per
   checkout (target: the promoted one costs at most 2 more).
2. **Settlement** of `--lines` due commission lines (default 200,000; `--lines 1000000` for the
   full figure) by the settlement job's function in batches, timed from the first claim to the
   last. Target: 1,000,000 lines in ≤ 60 s.
3. **Library search** over `--listings` listings (default 100,000): `--queries` searches with
   random filters and sort orders, as creators use it. Target: p99 ≤ 50 ms.

Run:  .venv/bin/python bench/alliance.py [--db sqlite|postgres|both] [--seconds N] [--lines N]
PostgreSQL comes from LAOTIE_BENCH_POSTGRES_URL (default: database `laotie_bench` on 127.0.0.1;
its `public` schema is dropped and rebuilt). The last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _load
from laotie.alliance import repository as alliance_repo
from laotie.alliance.service import commissions, listings, promotions
from laotie.app import _register_domains
from laotie.catalog import service as catalog
from laotie.config import Settings
from laotie.identity import service as identity
from laotie.kit.db import Database
from laotie.kit.migrate import upgrade
from laotie.models import (
    AllianceListing,
    Category,
    CommissionLine,
    Order,
    OrderLine,
    Payment,
    Product,
    Shop,
    Sku,
    User,
    utcnow,
)
from laotie.models.base import table_of
from laotie.orders.service.checkout import Address, LineRequest, checkout

ui = Console(stderr=True)
ADDRESS = Address("Li Lei", "13800000000", "1 Bench Road, Linyi")
CHUNK = 20_000


def settings_for(url: str, tmp: Path) -> Settings:
    return Settings(database_url=url, data_dir=tmp, media_dir=tmp / "media", secret_key="bench", jobs_enabled=False,
                    argon2_time_cost=1, argon2_memory_kib=64)


async def _register(db: Database, name: str, roles: set[str]) -> User:
    async with db.transaction() as s:
        return await identity.register_user(s, db.settings, username=name, password="password123", roles=roles,
                                            self_serve=False)


async def seed_checkout(db: Database, buyers: int) -> dict[str, Any]:
    """A merchant's product in the library, a creator promoting it, and buyers."""
    op = await _register(db, "bench_op", {"operator"})
    merchant = await _register(db, "bench_merchant", {"merchant"})
    creator = await _register(db, "bench_creator", {"creator"})
    async with db.transaction() as s:
        category = await catalog.create_category(s, op, name="bench", commission_bps=500)
        await catalog.open_shop(s, merchant, name="bench shop")
        product = await catalog.create_product(s, merchant, catalog.ProductDraft(
            title="Linyi apples 5kg", category_id=category.id,
            skus=[catalog.SkuDraft(price=9_900, stock=10**9, attributes={"size": "M"})]))
        await catalog.publish_product(s, merchant, product.id)
        sku_id = (await s.execute(select(Sku.id).where(Sku.product_id == product.id))).scalar_one()
    async with db.transaction() as s:
        listing = await listings.list_product(s, db.settings, merchant, product.id,
                                              listings.ListingTerms(rate_bps=1_000))
        await promotions.take_product(s, creator, listing.id)
    people = [await _register(db, f"bench_buyer{i}", {"consumer"}) for i in range(buyers)]
    return {"sku": int(sku_id), "creator": creator.id, "buyers": people}


async def time_checkouts(db: Database, world: dict[str, Any], source: str, seconds: float) -> tuple[float, int]:
    buyers, sku = world["buyers"], world["sku"]
    done, i = 0, 0
    end = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        buyer = buyers[i % len(buyers)]
        i += 1
        async with db.transaction() as s:
            await checkout(s, db.settings, buyer, [LineRequest(sku, 1)], ADDRESS, source=source)
        done += 1
    rate = done / (time.perf_counter() - start)
    before = db.stats.statements
    async with db.transaction() as s:
        await checkout(s, db.settings, buyers[0], [LineRequest(sku, 1)], ADDRESS, source=source)
    return rate, db.stats.statements - before


async def bench_checkout(db: Database, seconds: float, rounds: int) -> dict[str, Any]:
    world = await seed_checkout(db, buyers=32)
    promoted_source = f"profile:{world['creator']}"
    await time_checkouts(db, world, "direct", 1.0)  # warm caches and prepared statements
    await time_checkouts(db, world, promoted_source, 1.0)
    plain, promoted = [], []
    for _ in range(rounds):
        rate, plain_sql = await time_checkouts(db, world, "direct", seconds)
        plain.append(rate)
        rate, promoted_sql = await time_checkouts(db, world, promoted_source, seconds)
        promoted.append(rate)
    async with db.transaction() as s:  # promoted lines carry their attribution from checkout on
        attributed = len((await s.execute(select(OrderLine.id).where(OrderLine.attribution.is_not(None)))).all())
    p, q = statistics.median(plain), statistics.median(promoted)
    return {"unpromoted_orders_per_s": round(p, 1), "promoted_orders_per_s": round(q, 1),
            "ratio": round(q / p, 3), "unpromoted_sql": plain_sql, "promoted_sql": promoted_sql,
            "extra_sql": promoted_sql - plain_sql, "attributed_lines": attributed}


async def _bulk(db: Database, model: type, rows: list[dict[str, Any]], progress: Progress, task: Any) -> None:
    table = table_of(model)
    for start in range(0, len(rows), CHUNK):
        async with db.transaction() as s:
            await (await s.connection()).execute(insert(table), rows[start:start + CHUNK])
        progress.advance(task, min(CHUNK, len(rows) - start))


async def seed_shops(db: Database, shops: int, prefix: str, progress: Progress) -> tuple[list[int], int]:
    task = progress.add_task(f"{prefix}: {shops:,} shops", total=shops * 2)
    await _bulk(db, User, [{"username": f"{prefix}m{i}", "display_name": f"m{i}", "password_hash": "x",
                            "roles": "merchant"} for i in range(shops)], progress, task)
    async with db.transaction() as s:
        owners = [int(x) for x in (await s.execute(select(User.id).where(User.username.like(f"{prefix}m%"))
                                                   .order_by(User.id))).scalars()]
    await _bulk(db, Shop, [{"owner_id": o, "name": f"{prefix}shop{o}"} for o in owners], progress, task)
    async with db.transaction() as s:
        shop_ids = [int(x) for x in (await s.execute(select(Shop.id).where(Shop.owner_id.in_(owners))
                                                     .order_by(Shop.id))).scalars()]
        op = User(username=f"{prefix}op", display_name="op", password_hash="x", roles="operator")
        s.add(op)
        await s.flush()
        category = Category(name=f"{prefix}cat", commission_bps=500)
        s.add(category)
        await s.flush()
        return shop_ids, category.id


async def bench_settlement(db: Database, lines: int, progress: Progress) -> dict[str, Any]:
    rng = random.Random(7)
    shop_ids, category_id = await seed_shops(db, 1, "st", progress)
    creators = 1_000
    task = progress.add_task(f"settlement: {lines:,} due commission lines", total=lines * 2 + creators)
    await _bulk(db, User, [{"username": f"stc{i}", "display_name": f"c{i}", "password_hash": "x",
                            "roles": "creator"} for i in range(creators)], progress, task)
    async with db.transaction() as s:
        creator_ids = [int(x) for x in (await s.execute(select(User.id).where(User.username.like("stc%"))
                                                        .order_by(User.id))).scalars()]
        product = Product(shop_id=shop_ids[0], category_id=category_id, title="bench", status="published",
                          min_price=10_000)
        s.add(product)
        await s.flush()
        sku = Sku(product_id=product.id, price=10_000, stock=0, attributes={})
        s.add(sku)
        listing = AllianceListing(product_id=product.id, shop_id=shop_ids[0], category_id=category_id,
                                  rate_bps=1_000, status="active")
        s.add(listing)
        pay = Payment(buyer_id=creator_ids[0], amount=0, currency="CNY", gateway="sandbox", status="succeeded")
        s.add(pay)
        await s.flush()
        per_order = 1_000
        orders = []
        for _ in range((lines + per_order - 1) // per_order):
            order = Order(buyer_id=creator_ids[0], shop_id=shop_ids[0], payment_id=pay.id, status="completed",
                          total=0, commission=0, recipient="x", phone="13800000000", address="x",
                          pay_deadline=utcnow())
            s.add(order)
            orders.append(order)
        await s.flush()
        order_ids = [o.id for o in orders]
        product_id, sku_id, listing_id = product.id, sku.id, listing.id
    first = await _max_id(db, OrderLine)
    await _bulk(db, OrderLine, [{"order_id": order_ids[i // per_order], "sku_id": sku_id, "product_id": product_id,
                                 "title": "bench", "sku_attributes": {}, "unit_price": 10_000, "quantity": 1,
                                 "commission_bps": 500, "commission": 500} for i in range(lines)], progress, task)
    due = utcnow() - timedelta(hours=1)
    rows = []
    for i in range(lines):
        creator = creator_ids[rng.randrange(creators)]
        rows.append({"order_line_id": first + 1 + i, "order_id": order_ids[i // per_order], "listing_id": listing_id,
                     "shop_id": shop_ids[0], "promoter_id": creator, "source": "showcase", "source_id": creator,
                     "rate_bps": 1_000, "fee_bps": 1_000, "base": 10_000, "status": "estimated",
                     "est_creator": 900, "est_platform": 100, "cur_creator": 900, "cur_platform": 100,
                     "settle_after": due})
    await _bulk(db, CommissionLine, rows, progress, task)
    progress.remove_task(task)
    task = progress.add_task(f"settling {lines:,} lines", total=lines)
    now = utcnow()
    start = time.perf_counter()
    settled = 0
    while True:
        async with db.transaction() as s:
            n = await commissions.settle_due(s, now)
        if n == 0:
            break
        settled += n
        progress.advance(task, n)
    took = time.perf_counter() - start
    progress.remove_task(task)
    from laotie.ledger import service as ledger

    async with db.transaction() as s:
        report = await ledger.check(s)
    return {"lines": lines, "settled": settled, "seconds": round(took, 2),
            "lines_per_s": round(settled / took), "projected_1m_seconds": round(took * 1_000_000 / lines, 1),
            "ledger_ok": report.ok}


async def _max_id(db: Database, model: Any) -> int:
    from sqlalchemy import func

    async with db.transaction() as s:
        return int((await s.execute(select(func.coalesce(func.max(model.id), 0)))).scalar_one())


async def bench_library(db: Database, listings_n: int, queries: int, progress: Progress) -> dict[str, Any]:
    rng = random.Random(11)
    shops = max(listings_n // 100, 1)
    shop_ids, category_id = await seed_shops(db, shops, "lib", progress)
    async with db.transaction() as s:
        extra = [Category(name=f"libcat{i}", commission_bps=500) for i in range(19)]
        s.add_all(extra)
        await s.flush()
        categories = [category_id, *[c.id for c in extra]]
    task = progress.add_task(f"library: {listings_n:,} listings", total=listings_n * 2)
    first = await _max_id(db, Product)
    words = ["apples", "pears", "tea", "honey", "jacket", "scarf", "socks", "rice", "noodles", "dates"]
    cats = [categories[rng.randrange(len(categories))] for _ in range(listings_n)]
    prices = [rng.randrange(500, 100_000) for _ in range(listings_n)]
    rates = [rng.randrange(100, 5_000) for _ in range(listings_n)]
    await _bulk(db, Product, [{"shop_id": shop_ids[i % shops], "category_id": cats[i],
                               "title": f"{rng.choice(words)} {i}", "status": "published",
                               "min_price": prices[i], "sold_count": rng.randrange(0, 5_000)}
                              for i in range(listings_n)], progress, task)
    bands = ["优", "良", "良", "new", "差"]
    shop_band = [rng.choice(bands) for _ in range(shops)]  # a shop's band, independent of what it sells
    await _bulk(db, AllianceListing, [{"product_id": first + 1 + i, "shop_id": shop_ids[i % shops],
                                       "category_id": cats[i], "rate_bps": rates[i], "price": prices[i],
                                       "sort_earnings": prices[i] * rates[i], "sales_30d": rng.randrange(0, 500),
                                       "band": shop_band[i % shops], "reliable": rng.random() < 0.2,
                                       "status": "active" if rng.random() < 0.95 else "paused"}
                                      for i in range(listings_n)], progress, task)
    progress.remove_task(task)
    sorts = ["earnings", "rate", "sales", "price_low", "newest"]
    took: list[float] = []
    task = progress.add_task(f"{queries} library searches", total=queries)
    for i in range(queries + 20):
        q = alliance_repo.LibraryQuery(
            text=rng.choice([None, None, None, rng.choice(words)]),
            category_id=rng.choice([None, None, rng.choice(categories)]),
            min_rate_bps=rng.choice([None, None, 1_000, 2_000]),
            max_price=rng.choice([None, None, 20_000]),
            min_sales=rng.choice([None, None, 100]),
            bands=rng.choice([(), (), ("优", "良")]), reliable=rng.random() < 0.2,
            sort=sorts[i % len(sorts)],  # type: ignore[arg-type]
            limit=20, offset=rng.choice([0, 0, 0, 20, 40]))
        start = time.perf_counter()
        async with db.transaction() as s:
            await alliance_repo.library(s, q)
        if i >= 20:  # the first few warm the caches
            took.append((time.perf_counter() - start) * 1_000)
            progress.advance(task)
    progress.remove_task(task)
    took.sort()
    return {"listings": listings_n, "queries": queries, "p50_ms": round(took[len(took) // 2], 2),
            "p99_ms": round(took[int(len(took) * 0.99) - 1], 2), "max_ms": round(took[-1], 2)}


async def bench_database(kind: str, args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="laotie-alliance-bench-") as tmp_name:
        tmp = Path(tmp_name)
        out: dict[str, Any] = {}
        for part in ("checkout", "settlement", "library"):
            if kind == "sqlite":
                url = f"sqlite+aiosqlite:///{tmp / (part + '.db')}"
            else:
                url = os.environ.get("LAOTIE_BENCH_POSTGRES_URL",
                                     f"postgresql+asyncpg://{getpass.getuser()}@127.0.0.1:5432/laotie_bench")
                await _load.reset_postgres(url)
            task = progress.add_task(f"{kind}: migrating for {part}")
            await asyncio.to_thread(upgrade, url)
            progress.remove_task(task)
            db = Database.connect(settings_for(url, tmp))
            try:
                if part == "checkout":
                    task = progress.add_task(f"{kind}: checkouts, {args.rounds}×{args.seconds:g} s each way")
                    out[part] = await bench_checkout(db, args.seconds, args.rounds)
                    progress.remove_task(task)
                elif part == "settlement":
                    out[part] = await bench_settlement(db, args.lines, progress)
                else:
                    out[part] = await bench_library(db, args.listings, args.queries, progress)
            finally:
                await db.dispose()
        return out


def render(results: dict[str, dict[str, Any]]) -> None:
    table = Table(title="bench/alliance.py")
    table.add_column("figure")
    for kind in results:
        table.add_column(kind, justify="right")
    table.add_column("target")
    rows = [
        ("checkout orders/s, unpromoted", lambda r: f"{r['checkout']['unpromoted_orders_per_s']:,}", ""),
        ("checkout orders/s, promoted", lambda r: f"{r['checkout']['promoted_orders_per_s']:,}", ""),
        ("promoted ÷ unpromoted", lambda r: f"{r['checkout']['ratio']:.2f}", "≥ 0.90"),
        ("SQL per checkout (unpromoted → promoted)",
         lambda r: f"{r['checkout']['unpromoted_sql']} → {r['checkout']['promoted_sql']}", "≤ +2"),
        ("settlement: lines, seconds", lambda r: f"{r['settlement']['lines']:,} in {r['settlement']['seconds']} s",
         ""),
        ("settlement: projected for 1,000,000", lambda r: f"{r['settlement']['projected_1m_seconds']} s", "≤ 60 s"),
        ("library search p50 / p99 (ms)",
         lambda r: f"{r['library']['p50_ms']} / {r['library']['p99_ms']}", "p99 ≤ 50"),
    ]
    for name, fn, target in rows:
        table.add_row(name, *[fn(r) for r in results.values()], target)
    ui.print(table)


def summary(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {"bench": "alliance", "target_ratio": 0.9, "target_extra_sql": 2,
                           "target_settle_1m_seconds": 60, "target_library_p99_ms": 50}
    met = []
    for kind, r in results.items():
        doc[kind] = r
        ok = {"ratio": r["checkout"]["ratio"] >= 0.9, "extra_sql": r["checkout"]["extra_sql"] <= 2,
              "settlement": r["settlement"]["projected_1m_seconds"] <= 60 and r["settlement"]["ledger_ok"],
              "library_p99": r["library"]["p99_ms"] <= 50}
        doc[f"{kind}_met"] = ok
        met.extend(ok.values())
    doc["met"] = all(met)
    return doc


async def main(args: argparse.Namespace) -> dict[str, Any]:
    _register_domains()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = {}
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
               TimeElapsedColumn())
    with Progress(*columns, console=ui, refresh_per_second=4) as progress:
        for kind in kinds:
            results[kind] = await bench_database(kind, args, progress)
    render(results)
    return summary(results)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each checkout round")
    p.add_argument("--rounds", type=int, default=3, help="checkout rounds each way")
    p.add_argument("--lines", type=int, default=200_000, help="due commission lines to settle")
    p.add_argument("--listings", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=300)
    return p.parse_args()


def run() -> None:
    doc = asyncio.run(main(parse_args()))
    print(json.dumps(doc))


if __name__ == "__main__":
    run()
