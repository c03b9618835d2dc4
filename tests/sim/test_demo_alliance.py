"""The demo's alliance: listings at believable rates, a leader's and an MCN's creators, attributed orders
in several states, a refund, settlement and a paid payout; the progress bar counts every step."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from laotie.kit.db import Database
from laotie.ledger import service as ledger
from laotie.models import AllianceListing, AlliancePayout, CommissionLine
from laotie.sim.demo.world import DemoSize, progress_total, seed_demo
from tests.conftest import make_settings


async def test_demo_seeds_a_working_alliance_and_counts_its_steps(tmp_path: Path, migrated_sqlite: Path) -> None:
    path = tmp_path / "demo.db"
    shutil.copy(migrated_sqlite, path)
    db = Database.connect(make_settings(tmp_path, f"sqlite+aiosqlite:///{path}"))
    size = DemoSize(merchants=3, products_per_merchant=4, creators=2, consumers=12, orders=40, videos=0,
                    coin_buyers=1, feed_viewers=2, message_threads=4)
    steps: list[int] = []
    try:
        world = await seed_demo(db, seed=5, size=size, progress=lambda _label, n: steps.append(n))
        async with db.transaction() as s:
            rates = (await s.execute(select(AllianceListing.rate_bps))).scalars().all()
            lines = dict((await s.execute(select(CommissionLine.status, func.count())
                                          .group_by(CommissionLine.status))).all())
            with_leader = (await s.execute(select(func.count()).where(CommissionLine.leader_id.is_not(None)))
                           ).scalar_one()
            with_mcn = (await s.execute(select(func.count()).where(CommissionLine.mcn_id.is_not(None)))).scalar_one()
            reversed_ = (await s.execute(select(func.count()).where(CommissionLine.refunded > 0))).scalar_one()
            payouts = (await s.execute(select(AlliancePayout.status))).scalars().all()
            assert (await ledger.check(s)).ok
    finally:
        await db.dispose()
    assert sum(steps) == progress_total(size)
    assert len(rates) >= 2 and all(500 <= r <= 3_000 for r in rates)
    assert world.counts["alliance_listings"] == len(rates) and world.logins["MCN"] == "mcn1"
    assert lines.get("settled", 0) >= 3 and lines.get("estimated", 0) >= 2
    assert with_leader >= 1 and with_mcn >= 1 and reversed_ == 1
    assert payouts == ["paid"]
