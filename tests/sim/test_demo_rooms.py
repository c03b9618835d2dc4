"""The demo's live rooms without the media plane: which shops host them, what they offer, how they close.

The browser test (test_demo_live.py) watches them on air with nginx and ffmpeg; this one holds
the rooms' own rules on a small seeded world, with the stream key standing in for nginx's
on_publish call (the same service function the callback runs).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from laotie.config import Settings
from laotie.kit.db import Database
from laotie.live.errors import UnknownStreamKey
from laotie.live.sale.service import lucky_bags
from laotie.live.service import sessions
from laotie.models import Category, ChatMessage, FlashListing, LiveCartItem, LiveCoupon, LiveSession, Product, Sku
from laotie.sim.demo import live
from laotie.sim.demo.world import DemoSize, seed_demo
from tests.conftest import make_settings

SIZE = DemoSize(merchants=4, products_per_merchant=4, creators=2, consumers=12, orders=10, videos=0,
                coin_buyers=1, feed_viewers=2, message_threads=4)


@pytest.fixture
async def world(tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[Database]:
    path = tmp_path / "demo.db"
    shutil.copy(migrated_sqlite, path)
    db = Database.connect(make_settings(tmp_path, f"sqlite+aiosqlite:///{path}"))
    await seed_demo(db, seed=5, size=SIZE)
    yield db
    await db.dispose()


async def _session(db: Database, session_id: int) -> LiveSession:
    async with db.transaction() as s:
        session = await s.get(LiveSession, session_id)
        assert session is not None
        return session


async def test_each_room_is_hosted_by_a_shop_that_fits_it(world: Database) -> None:
    rooms = await live.open_rooms(world)
    assert [r.theme.slug for r in rooms] == ["fruit", "clothes"]
    assert len({r.host_id for r in rooms}) == 2
    async with world.transaction() as s:
        for room in rooms:
            session = await s.get(LiveSession, room.session_id)
            assert session is not None
            assert (session.status, session.title, session.host_id) == ("scheduled", room.theme.title, room.host_id)
            cart = (await s.execute(select(Category.name).join(Product, Product.category_id == Category.id)
                                    .join(LiveCartItem, LiveCartItem.product_id == Product.id)
                                    .where(LiveCartItem.session_id == session.id)
                                    .order_by(LiveCartItem.position))).scalars().all()
            assert 1 <= len(cart) <= live.CART_SIZE
            assert any(word in cart[0] for word in room.theme.category_words), cart
            first = (await s.execute(select(LiveCartItem.product_id).where(LiveCartItem.session_id == session.id)
                                     .order_by(LiveCartItem.position).limit(1))).scalar_one()
            assert session.pinned_product_id == first
            # The room goes on air when its key publishes, as nginx's on_publish has it.
            assert (await sessions.authorize_publish(s, room.key)).id == session.id


async def test_a_live_room_sells_and_chats_and_closes_with_the_demo(world: Database, tmp_path: Path) -> None:
    rooms = await live.open_rooms(world)
    async with world.transaction() as s:
        for room in rooms:
            await sessions.authorize_publish(s, room.key)
    stage = live.LiveStage(world.settings, rooms, "http://127.0.0.1:8000", Console(file=None), owns_plane=False)
    fruit = rooms[0]
    async with world.transaction() as s:
        stock_before = {k.id: k.stock for k in (await s.execute(select(Sku))).scalars()}

    flash_id, seconds = await stage.schedule_flash(world, fruit, live.FIRST_COUNTDOWN, 0)
    assert seconds == live.FIRST_COUNTDOWN + live.FLASH_SECONDS + 2
    async with world.transaction() as s:
        sale = await s.get(FlashListing, flash_id)
        assert sale is not None and sale.status == "scheduled" and sale.live_stock > 0
        sku = await s.get(Sku, sale.sku_id)
        assert sku is not None and sale.live_price < sku.price
        assert sku.stock == stock_before[sku.id] - sale.live_stock  # the live stock left the SKU
    await stage.push_coupon(world, fruit)
    assert await stage.open_lucky_bag(world, fruit)
    assert await stage.open_lucky_bag(world, fruit)  # one open at a time: the second call finds it
    viewers = await _viewers(world, fruit)
    assert len(viewers) == live.VIEWERS_PER_ROOM
    await live.comment(world, fruit, viewers[0], fruit.theme.question)
    await live.comment(world, fruit, viewers[1], live.LUCKY_BAG_KEYWORD)

    async with world.transaction() as s:
        session = await s.get(LiveSession, fruit.session_id)
        assert session is not None and session.pinned_product_id == sku.product_id
        coupon = (await s.execute(select(LiveCoupon).where(LiveCoupon.session_id == fruit.session_id))).scalar_one()
        assert coupon.status == "pushed"
        bags = await lucky_bags.session_bags(s, fruit.session_id)
        assert [(b.status, b.keyword) for b in bags] == [("open", live.LUCKY_BAG_KEYWORD)]
        said = (await s.execute(select(ChatMessage.kind, ChatMessage.body).where(
            ChatMessage.session_id == fruit.session_id, ChatMessage.kind != "system").order_by(ChatMessage.id))).all()
    # The purchase question is answered with the product card, as for any viewer.
    assert [k for k, _ in said] == ["comment", "reply", "comment"]
    assert said[0][1] == fruit.theme.question and said[2][1] == live.LUCKY_BAG_KEYWORD

    # The demo stops: the flash sale gives its stock back, every room is off air, the old keys are dead.
    await stage.close(world)
    async with world.transaction() as s:
        sale = await s.get(FlashListing, flash_id)
        assert sale is not None and sale.status == "closed" and sale.returned == sale.live_stock
        sku = await s.get(Sku, sale.sku_id)
        held = sum(b.prizes for b in bags if b.sku_id == sale.sku_id)  # the lucky bag keeps its prizes to draw
        assert sku is not None and sku.stock == stock_before[sku.id] - held
        statuses = (await s.execute(select(LiveSession.status))).scalars().all()
        assert set(statuses) == {"ended"}

    # A demo killed outright leaves its rooms on air; the next start ends them and opens new ones.
    again = await live.open_rooms(world)
    async with world.transaction() as s:
        for room in again:
            await sessions.authorize_publish(s, room.key)
    crashed = await live.open_rooms(world)
    async with world.transaction() as s:
        for old in again:
            assert (await s.get(LiveSession, old.session_id)).status == "ended"  # type: ignore[union-attr]
            with pytest.raises(UnknownStreamKey):
                await sessions.authorize_publish(s, old.key)
        assert {(await s.get(LiveSession, r.session_id)).status for r in crashed} == {"scheduled"}  # type: ignore[union-attr]


async def _viewers(db: Database, room: live.Room) -> list[int]:
    async with db.transaction() as s:
        return await live._viewer_ids(s, room)


def test_without_nginx_or_ffmpeg_the_demo_names_what_is_missing(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")  # the terminal's language: English here
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(ffmpeg_binary=str(tmp_path / "no-ffmpeg"), nginx_binary=str(tmp_path / "no-nginx"))
    assert live.missing_tools(settings) == ["nginx with the RTMP module", "ffmpeg"]
