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
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import dialect_insert
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
    """Drains the outbox after each commit that recorded events, and on a timer."""

    def __init__(self, db: Database, bus: EventBus, *, batch: int = 200) -> None:
        self.db = db
        self.bus = bus
        db.bus = bus  # record_events asks it which events have handlers
        self.batch = batch
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        db.after_commit.append(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        if session.info.get("events"):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self, idle_seconds: float = 5.0) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=idle_seconds)
            self._wake.clear()
            try:
                await self.drain()
            except Exception:  # keep the loop alive; the events stay in the outbox
                log.exception("outbox drain failed")

    async def drain(self) -> int:
        """Dispatch every pending event; returns how many were fully dispatched."""
        done = 0
        async with self._lock:
            while True:
                async with self.db.transaction() as s:
                    rows = (
                        await s.execute(
                            select(OutboxEvent.id, OutboxEvent.name, OutboxEvent.payload)
                            .where(OutboxEvent.dispatched_at.is_(None))
                            .where(OutboxEvent.attempts < MAX_ATTEMPTS)
                            .order_by(OutboxEvent.id)
                            .limit(self.batch)
                        )
                    ).all()
                if not rows:
                    return done
                progressed = False
                for event_id, name, payload in rows:
                    if await self._dispatch_one(event_id, name, payload):
                        done += 1
                        progressed = True
                if not progressed or len(rows) < self.batch:
                    return done

    async def _dispatch_one(self, event_id: int, name: str, payload: dict[str, Any]) -> bool:
        error: str | None = None
        for handler_name, fn in self.bus.for_event(name, payload):
            try:
                async with self.db.transaction() as s:
                    claimed = await s.execute(
                        dialect_insert(s, EventDelivery)
                        .values(event_id=event_id, handler=handler_name, created_at=utcnow())
                        .on_conflict_do_nothing()
                        .returning(EventDelivery.event_id)
                    )
                    if claimed.first() is None:
                        continue  # handled before (a redelivery, or another worker)
                    await fn(s, payload)
            except Exception as exc:
                log.exception("handler %s failed on event %s #%s", handler_name, name, event_id)
                error = f"{handler_name}: {exc!r}"[:500]
        async with self.db.transaction() as s:
            values: dict[str, Any] = (
                {"dispatched_at": utcnow()}
                if error is None
                else {"attempts": OutboxEvent.attempts + 1, "last_error": error}
            )
            await s.execute(update(OutboxEvent).where(OutboxEvent.id == event_id).values(**values))
        return error is None


bus = EventBus()
