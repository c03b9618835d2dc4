"""The outbox: events leave only after commit, at least once, and handlers run once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from laotie.config import Settings
from laotie.kit.db import Database
from laotie.kit.events import Dispatcher, EventBus, record_event
from laotie.models import EventDelivery, OutboxEvent
from tests.support import Api


async def test_rollback_dispatches_nothing_and_redelivery_is_skipped(settings: Settings) -> None:
    # No app here: only this dispatcher may take these events.
    db = Database.connect(settings)
    bus = EventBus()
    seen: list[int] = []
    flaky = {"fail": True}

    @bus.on("thing.happened", "test.record")
    async def record(_s: Any, payload: dict[str, Any]) -> None:
        seen.append(payload["n"])

    @bus.on("thing.happened", "test.flaky")
    async def sometimes(_s: Any, payload: dict[str, Any]) -> None:
        if flaky["fail"]:
            raise RuntimeError("downstream is down")

    dispatcher = Dispatcher(db, bus)
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            await record_event(s, "thing.happened", {"n": 1})
            raise RuntimeError("the change failed")
    async with db.transaction() as s:
        await record_event(s, "thing.happened", {"n": 2})
    async with db.transaction() as s:
        before = (await s.execute(select(func.count()).select_from(OutboxEvent)
                                  .where(OutboxEvent.name == "thing.happened"))).scalar_one()
    assert before == 1  # the rolled-back event was never written

    assert await dispatcher.drain() == 0  # the flaky handler failed: not yet dispatched
    assert seen == [2]
    flaky["fail"] = False
    assert await dispatcher.drain() == 1
    assert seen == [2]  # redelivered, but the handler that already ran was skipped
    async with db.transaction() as s:
        event = (await s.execute(select(OutboxEvent).where(OutboxEvent.name == "thing.happened"))).scalar_one()
        assert event.dispatched_at is not None and event.attempts == 1 and "downstream" in event.last_error
        handlers = sorted((await s.execute(select(EventDelivery.handler)
                                           .where(EventDelivery.event_id == event.id))).scalars())
    assert handlers == ["test.flaky", "test.record"]
    assert await dispatcher.drain() == 0
    await db.dispose()


async def test_domain_events_are_recorded_with_the_change(api: Api) -> None:
    op = await api.operator()
    _, _, sku = await api.merchant_with_product(await api.category(op))
    buyer = await api.user()
    c = (await api.buy(buyer, sku)).json()
    await api.buy(buyer, 10**9, expect=409)  # refused: must leave no event behind
    await api.pay(buyer, c["payment_id"])
    async with api.db.transaction() as s:
        names = (await s.execute(select(OutboxEvent.name).order_by(OutboxEvent.id))).scalars().all()
        pending = (await s.execute(select(func.count()).select_from(OutboxEvent)
                                   .where(OutboxEvent.dispatched_at.is_(None)))).scalar_one()
    assert names.count("order.placed") == 1
    assert names[-2:] == ["sandbox.charge_decided", "order.paid"]
    assert pending == 0
    detail = (await api.call("GET", "/api/v1/products/1")).json()
    assert detail["sold_count"] == 1  # catalog counted the sale from order.paid


async def test_an_event_no_handler_wants_is_stored_already_dispatched(settings: Settings) -> None:
    db = Database.connect(settings)
    bus = EventBus()
    seen: list[str] = []

    @bus.on("thing.placed", "test.live_only", when=lambda p: p["source"].startswith("live:"))
    async def live_only(_s: Any, payload: dict[str, Any]) -> None:
        seen.append(payload["source"])

    dispatcher = Dispatcher(db, bus)
    async with db.transaction() as s:
        await record_event(s, "thing.placed", {"source": "direct"})
        await record_event(s, "thing.placed", {"source": "live:7"})
    async with db.transaction() as s:
        rows = dict((await s.execute(select(OutboxEvent.id, OutboxEvent.dispatched_at)
                                     .where(OutboxEvent.name == "thing.placed"))).all())
    direct_id, live_id = sorted(rows)
    assert rows[direct_id] is not None and rows[live_id] is None  # only the live one waits for dispatch
    assert await dispatcher.drain() == 1
    assert seen == ["live:7"]
    await db.dispose()
