"""Domain events through an outbox: recorded with the change, dispatched after commit.

A handler runs in its own transaction together with the row that says it ran
(`event_deliveries`), so a redelivered event is skipped by the handlers that
already committed, and a rolled-back transaction leaves no event to send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import dialect_insert, in_retried_transaction, retrying
from laotie.models import EventDelivery, OutboxEvent, utcnow
from laotie.models.base import table_of

if TYPE_CHECKING:
    from laotie.kit.db import Database

log = logging.getLogger("laotie.events")

Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
# Which events of a name a handler is for (e.g. only orders placed in a live room).
Interest = Callable[[dict[str, Any]], bool]
_INSERT_EVENT = insert(table_of(OutboxEvent))
MAX_ATTEMPTS = 20


async def record_event(session: AsyncSession, name: str, payload: dict[str, Any]) -> None:
    await record_events(session, [(name, payload)])


async def record_events(session: AsyncSession, events: list[tuple[str, dict[str, Any]]]) -> None:
    """Write past-tense events (`order.paid`) in the caller's transaction."""
    if not events:
        return
    now = utcnow()
    db = session.info.get("db")
    # Only a process whose dispatcher knows every handler may decide an event has none;
    # anywhere else (CLI seeding, scripts) events wait for a dispatcher, as always.
    bus_ = db.bus if db is not None and db.bus is not None else None
    rows = []
    for name, payload in events:
        # An event nobody handles is kept as the record of what happened, already
        # dispatched: it costs no wake-up and no second transaction.
        handled = bus_ is None or bus_.wants(name, payload)
        rows.append({"name": name, "payload": payload, "created_at": now, "attempts": 0,
                     "dispatched_at": None if handled else now})
        if handled:
            session.info["events"] = True
    conn = await session.connection()
    await conn.execute(_INSERT_EVENT, rows)


@dataclass
class EventBus:
    """Who handles which event; domains register their handlers at start-up."""

    handlers: dict[str, list[tuple[str, Handler]]] = field(default_factory=dict)
    interests: dict[str, Interest] = field(default_factory=dict)  # by handler name

    def on(self, event: str, name: str, when: Interest | None = None) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers.setdefault(event, []).append((name, fn))
            if when is not None:
                self.interests[name] = when
            return fn

        return register

    def for_event(self, event: str, payload: dict[str, Any]) -> list[tuple[str, Handler]]:
        """The handlers that want this event."""
        return [(name, fn) for name, fn in self.handlers.get(event, ())
                if name not in self.interests or self.interests[name](payload)]

    def wants(self, event: str, payload: dict[str, Any]) -> bool:
        return bool(self.for_event(event, payload))


class Dispatcher:
    """Drains the outbox: woken by each commit in its own process that recorded events, and on a timer.

    Every process runs one, all at once: a round claims a batch of the oldest waiting events
    with `FOR NO KEY UPDATE SKIP LOCKED` on PostgreSQL (SQLite has a single process and a
    single writer), so two dispatchers never take the same event, and runs their handlers in
    that one transaction, each in a savepoint, with their delivery rows written in one
    statement. A handler's work and the row saying it ran commit together or not at all, as
    before, while a round costs one commit instead of two or three per event. NO KEY UPDATE
    leaves free the KEY SHARE lock that a delivery row's foreign key takes on its event.
    """

    def __init__(self, db: Database, bus: EventBus, *, batch: int = 25, rounds_at_once: int | None = None) -> None:
        self.db = db
        self.bus = bus
        db.bus = bus  # record_events asks it which events have handlers
        # A round holds its hot rows (a product's sales count) until it commits and other
        # rounds wait for them: big enough to lock them once for many events, small enough
        # not to hold them (or SQLite's one connection) long.
        self.batch = batch
        # One round at a time per process by default: rounds in one process racing each other
        # retried a failing handler twice in one drain and let a room's announcements commit out
        # of order. Every process dispatches (SKIP LOCKED keeps their batches apart); more rounds
        # per process can be asked for where order does not matter.
        self.rounds_at_once = rounds_at_once or 1
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        db.after_commit.append(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        if session.info.get("events"):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self, idle_seconds: float = 1.0) -> None:
        # The timer only matters for events another process recorded and left behind.
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=idle_seconds)
            self._wake.clear()
            try:
                await self.drain()
            except Exception:  # keep the loop alive; the events stay in the outbox
                log.exception("outbox drain failed")

    async def drain(self) -> int:
        """Dispatch every waiting event this dispatcher can claim; returns how many were fully dispatched."""
        async with self._lock:
            failed: set[int] = set()  # tried once in this drain: the next drain retries them
            return sum(await asyncio.gather(*(self._rounds(failed) for _ in range(self.rounds_at_once))))

    async def _rounds(self, failed: set[int]) -> int:
        done = 0
        while True:
            try:
                claimed, dispatched = await retrying(partial(self._round, failed), what="outbox round")
            except Exception:
                log.exception("outbox round failed; dispatching one handler at a time")
                claimed, dispatched = await self._one_by_one(failed)
            done += dispatched
            if not dispatched or claimed < self.batch:
                return done

    def _claim(self, s: AsyncSession, failed: set[int]) -> Any:
        q = (select(OutboxEvent.id, OutboxEvent.name, OutboxEvent.payload)
             .where(OutboxEvent.dispatched_at.is_(None))
             .where(OutboxEvent.attempts < MAX_ATTEMPTS)
             .order_by(OutboxEvent.id)
             .limit(self.batch))
        if failed:
            q = q.where(OutboxEvent.id.not_in(sorted(failed)))
        if s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True, key_share=True)
        return q

    async def _round(self, failed: set[int]) -> tuple[int, int]:
        """Claim a batch, run its handlers and mark it, all in one transaction.

        One transaction, not one per event: a hot row that handlers update (a product's sales
        count) is then locked once per batch, and the other rounds, here and in other
        processes, wait for it once per batch rather than once per event.
        """
        async with self.db.transaction() as s:
            rows = (await s.execute(self._claim(s, failed))).all()
            errors = await self._handle(rows, s)
            ok = [event_id for event_id, _, _ in rows if event_id not in errors]
            await _mark(s, ok, errors)
        failed.update(errors)
        return len(rows), len(ok)

    async def _handle(self, rows: Any, s: AsyncSession) -> dict[int, str]:
        """Run the events' handlers in `s`, each in a savepoint with its delivery row; the errors by event.

        A handler that fails rolls back alone (its delivery row with it) and leaves its event
        waiting, so no other handler runs twice.
        """
        runs = [(event_id, name, handler_name, fn, payload) for event_id, name, payload in rows
                for handler_name, fn in self.bus.for_event(name, payload)]
        fresh = await _claim_deliveries(s, [(event_id, handler) for event_id, _, handler, _, _ in runs])
        errors: dict[int, str] = {}
        for event_id, name, handler_name, fn, payload in runs:
            if (event_id, handler_name) not in fresh:
                continue  # handled before (a redelivery)
            try:
                async with s.begin_nested():
                    await fn(s, payload)
            except Exception as exc:
                log.exception("handler %s failed on event %s #%s", handler_name, name, event_id)
                errors[event_id] = f"{handler_name}: {exc!r}"[:500]
                await s.execute(delete(EventDelivery).where(EventDelivery.event_id == event_id,
                                                            EventDelivery.handler == handler_name))
        return errors

    async def _one_by_one(self, failed: set[int]) -> tuple[int, int]:
        """The slow path when a whole round cannot commit: each handler in a transaction of its own."""
        async with self.db.transaction() as s:  # no claim held: delivery rows keep handlers to once each
            rows = (await s.execute(self._claim(s, failed))).all()
        dispatched = 0
        for event_id, name, payload in rows:
            error: str | None = None
            for handler_name, fn in self.bus.for_event(name, payload):
                try:
                    await in_retried_transaction(self.db, partial(_deliver, event_id, handler_name, fn, payload),
                                                 what=f"handler {handler_name}")
                except Exception as exc:
                    log.exception("handler %s failed on event %s #%s", handler_name, name, event_id)
                    error = f"{handler_name}: {exc!r}"[:500]
            async with self.db.transaction() as s:
                await _mark(s, [] if error else [event_id], {event_id: error} if error else {})
            dispatched += error is None
            if error:
                failed.add(event_id)
        return len(rows), dispatched


async def _claim_deliveries(s: AsyncSession, runs: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """Write the rows that say each handler ran for its event; those already there (a redelivery) are left out."""
    if not runs:
        return set()
    claimed = await s.execute(
        dialect_insert(s, EventDelivery)
        .values([{"event_id": event_id, "handler": handler, "created_at": utcnow()} for event_id, handler in runs])
        .on_conflict_do_nothing()
        .returning(EventDelivery.event_id, EventDelivery.handler)
    )
    return {(int(event_id), str(handler)) for event_id, handler in claimed.all()}


async def _deliver(event_id: int, handler: str, fn: Handler, payload: dict[str, Any], s: AsyncSession) -> None:
    if await _claim_deliveries(s, [(event_id, handler)]):
        await fn(s, payload)


async def _mark(s: AsyncSession, dispatched: list[int], errors: dict[int, str]) -> None:
    if dispatched:
        await s.execute(update(OutboxEvent).where(OutboxEvent.id.in_(dispatched)).values(dispatched_at=utcnow()))
    for event_id, error in errors.items():
        await s.execute(update(OutboxEvent).where(OutboxEvent.id == event_id)
                        .values(attempts=OutboxEvent.attempts + 1, last_error=error))


@dataclass(frozen=True)
class OutboxLag:
    """How far dispatch is behind: events waiting, and the age of the oldest (None when none wait)."""

    waiting: int
    oldest_seconds: float | None
    given_up: int  # failed MAX_ATTEMPTS times: an operator must look


async def outbox_lag(s: AsyncSession) -> OutboxLag:
    waiting_q = (select(func.count(), func.min(OutboxEvent.created_at))
                 .where(OutboxEvent.dispatched_at.is_(None), OutboxEvent.attempts < MAX_ATTEMPTS))
    count, oldest = (await s.execute(waiting_q)).one()
    given_up = (await s.execute(select(func.count()).where(OutboxEvent.dispatched_at.is_(None),
                                                           OutboxEvent.attempts >= MAX_ATTEMPTS))).scalar_one()
    age = None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
    return OutboxLag(int(count), age, int(given_up))


bus = EventBus()
