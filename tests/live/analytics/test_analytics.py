"""Live analytics: exact per-minute series and summary, idempotent under redelivery, host/operator only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from laotie.app import create_app
from laotie.config import Settings
from laotie.identity import service as identity
from laotie.kit.jobs import scheduler
from laotie.live.analytics import service as analytics
from laotie.live.analytics.meter import LiveMeter, meter_of, minute_of
from laotie.live.chat import service as chat
from laotie.live.errors import CommentBlocked
from laotie.models import LiveMinute, LiveSession, Order, OutboxEvent, utcnow
from laotie.orders.service.checkout import Address, LineRequest, checkout
from tests.live.conftest import LiveRoom, go_live
from tests.support import ADDRESS, ENGLISH, Api

MIN = timedelta(minutes=1)


@pytest.fixture
async def quiet_api(settings: Settings) -> AsyncIterator[Api]:
    """No lifespan, so no dispatcher of its own: the test decides when events land, and lands them again."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://laotie.test", headers=ENGLISH) as client:
        yield Api(client, app)
    await app.state.db.dispose()


async def live_order(api: Api, room: LiveRoom, buyer: str, quantity: int, placed_at: datetime) -> int:
    """A checkout from the live room (source live:<id>), as if placed at `placed_at`; returns the payment id."""
    async with api.db.transaction() as s:
        user = await identity.user_for_token(s, buyer)
        assert user is not None
        result = await checkout(s, api.db.settings, user, [LineRequest(room.sku_id, quantity)], Address(**ADDRESS),
                                source=f"live:{room.session_id}")
        await s.execute(update(Order).where(Order.id.in_(result.order_ids)).values(created_at=placed_at))
    return result.payment_id


async def rows(api: Api, session_id: int) -> list[tuple[Any, ...]]:
    async with api.db.transaction() as s:
        found = (await s.execute(select(LiveMinute).where(LiveMinute.session_id == session_id)
                                 .order_by(LiveMinute.minute))).scalars().all()
        return [(m.minute, m.viewers, m.entries, m.comments, m.likes, m.orders, m.gmv) for m in found]


async def test_series_and_summary_are_exact_and_survive_redelivery(quiet_api: Api) -> None:
    api = quiet_api
    room = await go_live(api, stock=50)
    t0 = minute_of(utcnow()) - 10 * MIN
    m0, m1, m2 = t0, t0 + MIN, t0 + 2 * MIN

    # This process's counts, flushed twice: the second flush adds to the first.
    meter = meter_of(api.db)
    for _ in range(3):
        meter.count_entry(room.session_id, at=m0 + timedelta(seconds=20))
    meter.sample_viewers(room.session_id, 2, at=m0 + timedelta(seconds=20))
    meter.sample_viewers(room.session_id, 3, at=m0 + timedelta(seconds=40))
    meter.count_comments(room.session_id, 2, at=m0 + timedelta(seconds=50))
    meter.count_likes(room.session_id, 10, at=m0 + timedelta(seconds=50))
    assert await scheduler.run(api.db, "live.flush_meters") == 1
    meter.count_entry(room.session_id, at=m0 + timedelta(seconds=55))
    meter.count_entry(room.session_id, at=m1 + timedelta(seconds=5))
    meter.sample_viewers(room.session_id, 5, at=m1 + timedelta(seconds=5))
    meter.count_comments(room.session_id, 3, at=m1 + timedelta(seconds=30))
    meter.sample_viewers(room.session_id, 4, at=m2 + timedelta(seconds=1))
    meter.count_comments(room.session_id, 1, at=m2 + timedelta(seconds=2))
    meter.count_likes(room.session_id, 7, at=m2 + timedelta(seconds=3))
    assert await scheduler.run(api.db, "live.flush_meters") == 3
    assert await scheduler.run(api.db, "live.flush_meters") == 0  # nothing new: nothing added
    # Another process saw the same room: its own entry adds, its lower viewer total does not lower the max.
    other = LiveMeter()
    other.count_entry(room.session_id, at=m1 + timedelta(seconds=9))
    other.sample_viewers(room.session_id, 4, at=m1 + timedelta(seconds=9))
    other.count_entry(999_999, at=m1)  # a room that does not exist is skipped, not a failed flush
    async with api.db.transaction() as s:
        assert await analytics.flush_meter(s, other.take()) == 1

    # Orders from the room: A pays 1 × ¥99 (m0), B pays 2 × ¥99 (m1), C orders in m1 and never pays.
    buyers = [await api.user() for _ in range(3)]
    pay_a = await live_order(api, room, buyers[0], 1, m0 + timedelta(seconds=30))
    pay_b = await live_order(api, room, buyers[1], 2, m1 + timedelta(seconds=10))
    await live_order(api, room, buyers[2], 1, m1 + timedelta(seconds=50))
    await api.buy(buyers[0], room.sku_id)  # a direct order: not the room's
    await api.pay(buyers[0], pay_a)
    await api.pay(buyers[1], pay_b)
    await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/end", room.host, expect=200)
    async with api.db.transaction() as s:
        await s.execute(update(LiveSession).where(LiveSession.id == room.session_id)
                        .values(started_at=m0 + timedelta(seconds=15), ended_at=m2 + timedelta(seconds=45)))
    await api.settle()

    expected_rows = [(m0, 3, 4, 2, 10, 1, 9900), (m1, 5, 2, 3, 0, 2, 19800), (m2, 4, 0, 1, 7, 0, 0)]
    expected_summary = {
        "duration_seconds": 150, "peak_viewers": 5, "entries": 6, "comments": 6, "likes": 17, "orders": 3,
        "gmv": 29700, "conversion": 0.5,
        "top_products": [{"product_id": room.product_id, "title": "Linyi apples 5kg", "quantity": 3, "gmv": 29700}],
    }
    assert await rows(api, room.session_id) == expected_rows
    async with api.db.transaction() as s:
        assert (await s.get(LiveSession, room.session_id)).summary == expected_summary  # type: ignore[union-attr]

    # Every event delivered again (a crash before the outbox was marked): nothing counts twice.
    async with api.db.transaction() as s:
        await s.execute(update(OutboxEvent).values(dispatched_at=None))
    await api.settle()
    assert await scheduler.run(api.db, "live.settle_summaries") == 1
    assert await scheduler.run(api.db, "live.settle_summaries") == 1
    assert await rows(api, room.session_id) == expected_rows

    r = await api.call("GET", f"/api/v1/live/sessions/{room.session_id}/analytics", room.host, expect=200)
    body = r.json()
    assert body["status"] == "ended" and body["summary"] == expected_summary
    assert [(p["viewers"], p["entries"], p["comments"], p["likes"], p["orders"], p["gmv"], p["conversion"])
            for p in body["series"]] == [(3, 4, 2, 10, 1, 9900, 0.25), (5, 2, 3, 0, 2, 19800, 1.0),
                                         (4, 0, 1, 7, 0, 0, None)]
    assert [datetime.fromisoformat(p["minute"]) for p in body["series"]] == [m0, m1, m2]
    assert body["totals"] == {"viewers_now": 0, "peak_viewers": 5, "entries": 6, "comments": 6, "likes": 17,
                              "orders": 3, "gmv": 29700, "conversion": 0.5}


async def test_series_fills_quiet_minutes_while_live(quiet_api: Api) -> None:
    api = quiet_api
    room = await go_live(api)
    start = minute_of(utcnow()) - 3 * MIN
    async with api.db.transaction() as s:
        await s.execute(update(LiveSession).where(LiveSession.id == room.session_id).values(started_at=start))
    meter_of(api.db).count_entry(room.session_id, at=start + MIN)
    await scheduler.run(api.db, "live.flush_meters")
    body = (await api.call("GET", f"/api/v1/live/sessions/{room.session_id}/analytics", room.host,
                           expect=200)).json()
    assert body["summary"] is None and body["status"] == "live"
    entries = [p["entries"] for p in body["series"]]
    # start, start+1 (the entry), start+2, and the current minute (one more if the clock just turned)
    assert entries[:4] == [0, 1, 0, 0] and len(entries) in (4, 5)


async def test_comments_and_likes_count_once_committed(quiet_api: Api) -> None:
    api = quiet_api
    room = await go_live(api)
    viewer = await api.user()
    async with api.db.transaction() as s:
        user = await identity.user_for_token(s, viewer)
        assert user is not None
        await chat.post_comment(s, api.db.settings, user, room.session_id, "hello 老铁")
        # before commit: not counted yet
        assert sum(c.comments for c in meter_of(api.db).minutes.values()) == 0
    with pytest.raises(CommentBlocked):
        async with api.db.transaction() as s:
            await chat.post_comment(s, api.db.settings, user, room.session_id, "加微信 cheaper")
    chat.like(api.db, room.session_id, 3)
    taken = meter_of(api.db).take()
    assert [(c.comments, c.likes) for c in taken.values()] == [(1, 3)]


async def test_analytics_api_is_for_the_host_and_operators(quiet_api: Api) -> None:
    api = quiet_api
    room = await go_live(api)
    url = f"/api/v1/live/sessions/{room.session_id}/analytics"
    stranger = await api.user("creator")
    r = await api.call("GET", url, stranger, expect=403)
    assert r.json()["code"] == "not_your_room"
    await api.call("GET", url, expect=401)
    await api.call("GET", url, await api.operator(), expect=200)
    await api.call("GET", url, room.host, expect=200)
    r = await api.call("GET", "/api/v1/live/sessions/999999/analytics", room.host, expect=404)
    assert r.json()["code"] == "live_session_not_found"
