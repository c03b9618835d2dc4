"""The command line: migrations, the ledger check, and the demo world."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from laotie.cli import app
from laotie.kit.db import Database
from laotie.ledger import service as ledger
from laotie.models import (
    Aftersale,
    CoinWallet,
    CounterfeitClaim,
    DepositTopup,
    Follow,
    FraudRing,
    Impression,
    OfficialTag,
    Order,
    OrderMessage,
    Product,
    Review,
    Shop,
    ShopScore,
    User,
    Video,
    VideoProduct,
    ViolationCase,
)
from laotie.sim.demo.pictures import Painter
from laotie.sim.demo.world import DemoSize, seed_demo
from tests.conftest import make_settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("LAOTIE_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    monkeypatch.setenv("LAOTIE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LAOTIE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("LAOTIE_ARGON2_MEMORY_KIB", "64")
    monkeypatch.chdir(tmp_path)
    return db


def test_upgrade_then_ledger_check(env: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["db", "upgrade"])
    assert r.exit_code == 0, r.output
    assert env.is_file()
    r = runner.invoke(app, ["ledger", "check"])
    assert r.exit_code == 0 and "ledger check passed" in r.output
    r = runner.invoke(app, ["users", "create", "boss", "--password", "password123", "--role", "operator"])
    assert r.exit_code == 0 and "operator" in r.output
    r = runner.invoke(app, ["jobs", "run"])
    assert r.exit_code == 0 and "orders.expire_unpaid: 0" in r.output


def test_jobs_status_reports_the_outbox_lag(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    r = runner.invoke(app, ["users", "create", "boss", "--password", "password123", "--role", "operator"])
    assert r.exit_code == 0
    r = runner.invoke(app, ["jobs", "status"])
    assert r.exit_code == 0 and "event outbox: 1 waiting, oldest " in r.output, r.output  # user.registered
    assert runner.invoke(app, ["jobs", "run"]).exit_code == 0
    r = runner.invoke(app, ["jobs", "status"])
    assert r.exit_code == 0 and "event outbox: 0 waiting, oldest -, 0 given up" in r.output, r.output


async def test_demo_world_is_deterministic_and_balanced(tmp_path: Path, migrated_sqlite: Path) -> None:
    import shutil

    ffmpeg = shutil.which("ffmpeg") is not None
    emoji = Painter.found().has_emoji
    counts = []
    for run in ("a", "b"):
        path = tmp_path / f"{run}.db"
        shutil.copy(migrated_sqlite, path)
        db = Database.connect(make_settings(tmp_path, f"sqlite+aiosqlite:///{path}"))
        world = await seed_demo(db, seed=3, size=DemoSize(merchants=3, products_per_merchant=4, creators=2,
                                                          consumers=12, orders=60, videos=2, coin_buyers=2,
                                                          feed_viewers=3, message_threads=6))
        async with db.transaction() as s:
            statuses = dict((await s.execute(select(Order.status, func.count()).group_by(Order.status))).all())
            products = (await s.execute(select(func.count()).select_from(Product))).scalar_one()
            follows = (await s.execute(select(func.count()).select_from(Follow))).scalar_one()
            aftersales = dict((await s.execute(select(Aftersale.status, func.count())
                                               .group_by(Aftersale.status))).all())
            shipping_paid = (await s.execute(select(func.sum(Aftersale.shipping_compensation)))).scalar_one()
            claims = (await s.execute(select(CounterfeitClaim.status))).scalars().all()
            cases = (await s.execute(select(ViolationCase.violation_code, ViolationCase.status))).all()
            topups = (await s.execute(select(DepositTopup.status, func.count())
                                      .group_by(DepositTopup.status))).all()
            coins = (await s.execute(select(func.sum(CoinWallet.coins)))).scalar_one()
            videos = (await s.execute(select(func.count()).select_from(Video))).scalar_one()
            carts = (await s.execute(select(func.count()).select_from(VideoProduct))).scalar_one()
            impressions = (await s.execute(select(func.count()).select_from(Impression))).scalar_one()
            stars = dict((await s.execute(select(Review.product_stars, func.count())
                                          .group_by(Review.product_stars))).all())
            replied = (await s.execute(select(func.count()).where(Review.reply.is_not(None)))).scalar_one()
            said = dict((await s.execute(select(OrderMessage.sender_role, func.count())
                                         .group_by(OrderMessage.sender_role))).all())
            shops = (await s.execute(select(func.count()).select_from(Shop))).scalar_one()
            scored = dict((await s.execute(select(User.username, ShopScore.band)
                                           .join(Shop, Shop.id == ShopScore.shop_id)
                                           .join(User, User.id == Shop.owner_id))).all())
            # The evidence's words carry timings (how soon receipt was confirmed): compare its signals.
            rings = [(status, buyers, sorted(e["signal"] for e in evidence)) for status, buyers, evidence in
                     (await s.execute(select(FraudRing.status, FraudRing.buyer_ids, FraudRing.evidence))).all()]
            ring_buyers = (await s.execute(select(User.username).where(User.id.in_(
                [b for _, buyers, _ in rings for b in buyers])))).scalars().all()
            tags = (await s.execute(select(OfficialTag.item_kind, User.username, OfficialTag.label)
                                    .join(User, User.id == OfficialTag.item_id))).all()
            assert (await ledger.check(s)).ok
        await db.dispose()
        counts.append((world.counts, statuses, products, follows, aftersales, claims, cases, topups, coins,
                       videos, carts, stars, replied, said, scored, rings, ring_buyers, tags))
        # Without the colour emoji font the pictures are plain, and the demo says so.
        notes = [note for note in world.notes if emoji or "emoji font" not in note]
        assert emoji or len(notes) < len(world.notes)
        assert notes == [] if ffmpeg else any("ffmpeg" in note for note in notes)
    assert counts[0] == counts[1]
    (_, statuses, _, follows, aftersales, claims, cases, topups, coins, videos, carts, stars, replied, said, scored,
     rings, ring_buyers, tags) = counts[0]
    assert set(statuses) == {"pending_payment", "paid", "shipped", "delivered", "completed", "cancelled"}
    assert follows > 12  # consumer1 alone follows creator1 and merchant1
    assert aftersales == {"refunded": 2, "awaiting_return": 1, "disputed": 1}
    assert shipping_paid == 1_000  # the refunded return's 退货补运费
    assert claims == ["filed"]
    assert cases == [("late_shipping", "notified")]
    assert topups == [("credited", 3)]
    assert coins == 60 + 300
    if ffmpeg:  # videos (and the feed that serves them) need ffmpeg; without it the demo says so
        assert videos == 2 and carts >= 2 and impressions > 0
    else:
        assert videos == 0 and impressions == 0
    # Reviews: mostly 4–5 stars with a tail of 1–2, some answered by the shop.
    assert sum(stars.values()) > 20 and stars.get(5, 0) > sum(n for k, n in stars.items() if k <= 3)
    assert stars.get(1, 0) + stars.get(2, 0) > 0 and replied > 0
    # Conversations with answers, and one of merchant1's still waiting.
    assert said["buyer"] > said["merchant"] > 0
    # Every shop has a stored score; merchant1 has enough orders in the window to be scored.
    assert len(scored) == shops == 3 and scored["merchant1"] != "new"
    # The planted ring, and nothing else, waits for the operator with its evidence.
    assert [status for status, _, _ in rings] == ["suspected"]
    assert len(ring_buyers) == 5 and not any(name.startswith("consumer") for name in ring_buyers)
    assert set(rings[0][2]) >= {"density", "new_accounts", "shared_fingerprints", "tiny_instant", "short_five_star"}
    assert tags == [("host", "creator1", "官方补贴")]
