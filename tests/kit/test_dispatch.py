"""Outbox dispatch from several processes at once: batched, claimed without overlap, each handler once."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import event, func, select

from laotie.config import Settings
from laotie.kit.db import Database
from laotie.kit.events import Dispatcher, EventBus, outbox_lag, record_events
from laotie.models import EventDelivery, OutboxEvent
from tests.support import both_databases

EVENTS = 300


def _bus(ran: list[tuple[int, str, int]], who: dict[int, int]) -> EventBus:
    bus = EventBus()
    for handler in ("test.first", "test.second"):

        @bus.on("thing.happened", handler)
        async def record(s: Any, payload: dict[str, Any], handler: str = handler) -> None:
            await asyncio.sleep(0)  # let the other dispatcher interleave
            ran.append((payload["n"], handler, who[id(s.info["db"])]))

    return bus


@both_databases
async def test_two_dispatchers_share_the_outbox_and_run_each_handler_once(settings: Settings) -> None:
    # Two Database objects are two processes' pools: each dispatcher claims on its own connections.
    dbs = [Database.connect(settings), Database.connect(settings)]
    ran: list[tuple[int, str, int]] = []
    who = {id(db): i for i, db in enumerate(dbs)}
    bus = _bus(ran, who)
    dispatchers = [Dispatcher(db, bus, batch=25) for db in dbs]
    async with dbs[0].transaction() as s:
        await record_events(s, [("thing.happened", {"n": n}) for n in range(EVENTS)])
    async with dbs[0].transaction() as s:
        lag = await outbox_lag(s)
    assert lag.waiting == EVENTS and lag.oldest_seconds is not None and lag.given_up == 0

    async def drain_all(d: Dispatcher) -> int:
        total = 0
        while got := await d.drain():
            total += got
        return total

    done = await asyncio.gather(*(drain_all(d) for d in dispatchers))
    assert sum(done) == EVENTS
    handlers = ("test.first", "test.second")
    assert Counter((n, h) for n, h, _ in ran) == {(n, h): 1 for n in range(EVENTS) for h in handlers}
    # An event's handlers all ran in the dispatcher that claimed it.
    by_event: dict[int, set[int]] = {}
    for n, _, d in ran:
        by_event.setdefault(n, set()).add(d)
    assert all(len(ds) == 1 for ds in by_event.values())
    async with dbs[0].transaction() as s:
        assert (await s.execute(select(func.count()).select_from(EventDelivery))).scalar_one() == 2 * EVENTS
        lag = await outbox_lag(s)
    assert lag.waiting == 0 and lag.oldest_seconds is None
    for db in dbs:
        await db.dispose()


async def test_a_batch_of_events_is_dispatched_in_a_few_transactions(settings: Settings) -> None:
    db = Database.connect(settings)
    ran: list[tuple[int, str, int]] = []
    dispatcher = Dispatcher(db, _bus(ran, {id(db): 0}), batch=50, rounds_at_once=1)
    async with db.transaction() as s:
        await record_events(s, [("thing.happened", {"n": n}) for n in range(200)])
    commits: list[int] = []

    @event.listens_for(db.engine.sync_engine, "commit")
    def count(_conn: Any) -> None:
        commits.append(1)

    assert await dispatcher.drain() == 200
    assert len(ran) == 400
    assert len(commits) <= 5  # four full rounds and the empty one that ends the drain; was three per event
    async with db.transaction() as s:
        waiting = (await s.execute(select(func.count()).select_from(OutboxEvent)
                                   .where(OutboxEvent.dispatched_at.is_(None)))).scalar_one()
    assert waiting == 0
    await db.dispose()


async def test_a_failing_handler_rolls_back_alone(settings: Settings) -> None:
    db = Database.connect(settings)
    bus = EventBus()
    seen: list[int] = []

    @bus.on("thing.happened", "test.picky")
    async def picky(s: Any, payload: dict[str, Any]) -> None:
        await record_events(s, [("picky.saw", {"n": payload["n"]})])  # written, then rolled back on refusal
        if payload["n"] == 1:
            raise RuntimeError("refused")
        seen.append(payload["n"])

    dispatcher = Dispatcher(db, bus)
    async with db.transaction() as s:
        await record_events(s, [("thing.happened", {"n": n}) for n in range(3)])
    assert await dispatcher.drain() == 2
    assert seen == [0, 2]
    async with db.transaction() as s:
        saw = (await s.execute(select(OutboxEvent.payload).where(OutboxEvent.name == "picky.saw")
                               .order_by(OutboxEvent.id))).scalars().all()
        failed = (await s.execute(select(OutboxEvent.attempts, OutboxEvent.last_error)
                                  .where(OutboxEvent.dispatched_at.is_(None),
                                         OutboxEvent.name == "thing.happened"))).all()
        delivered = (await s.execute(select(func.count()).select_from(EventDelivery))).scalar_one()
    assert [p["n"] for p in saw] == [0, 2]
    assert len(failed) == 1 and failed[0][0] == 1 and "refused" in failed[0][1]
    assert delivered == 2
    await db.dispose()
