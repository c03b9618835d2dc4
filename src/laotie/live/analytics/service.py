"""Live analytics (直播数据): a session's per-minute series in `live_minutes`, and its summary when it ends.

Where each figure comes from, and why it is safe to record twice or from many processes:

* viewers, entries, comments, likes: this process's meter (live/meter.py), added to the
  minute rows by `flush_meter` (counts add up, viewers merge with max);
* orders and GMV: the `order.placed` / `order.paid` events of orders whose source is
  `live:<session id>`. A handler runs once per delivery row, in the same transaction as
  the row, so adding 1 (or the total) is exact under at-least-once delivery. Both are
  booked in the minute the order was *placed*, so a payment that lands later fills in
  the minute that sold, and the chart lines sales up with what was on screen;
* conversion (orders ÷ entries) is computed on read, never stored per minute.

The summary is recomputed from those rows (plus the best sellers from the orders) when
the session ends, and again for a while afterwards as late payments come in
(`settle_summaries`): recomputing is a plain overwrite, so it can run any number of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import dialect_insert
from laotie.live import repository
from laotie.live.analytics.meter import Taken, minute_of
from laotie.live.errors import NotYourRoom
from laotie.live.service.sessions import get_session
from laotie.models import LiveMinute, LiveSession, User, utcnow
from laotie.orders.service import queries as orders

MINUTE = timedelta(minutes=1)
TOP_PRODUCTS = 5
# Minutes filled in with zeros between the rows; past this a series is shown as stored.
MAX_FILLED_MINUTES = 24 * 60


def live_source(source: str | None) -> int | None:
    """The session id of an order source "live:<id>", else None."""
    if not source or not source.startswith("live:"):
        return None
    tail = source[5:]
    return int(tail) if tail.isdigit() and len(tail) <= 18 else None


def conversion(orders: int, entries: int) -> float | None:
    """Orders per entry (下单转化率); None when nobody entered."""
    return round(orders / entries, 4) if entries else None


# ---- writing -----------------------------------------------------------------------------------

async def _add(s: AsyncSession, session_id: int, minute: datetime, *, viewers: int = 0, entries: int = 0,
               comments: int = 0, likes: int = 0, orders: int = 0, gmv: int = 0) -> None:
    """Add to one minute row, creating it if needed (one statement; concurrent writers add, never overwrite)."""
    stmt = dialect_insert(s, LiveMinute).values(session_id=session_id, minute=minute, viewers=viewers,
                                                entries=entries, comments=comments, likes=likes, orders=orders,
                                                gmv=gmv)
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[LiveMinute.session_id, LiveMinute.minute],
        set_={"viewers": case((new.viewers > LiveMinute.viewers, new.viewers), else_=LiveMinute.viewers),
              "entries": LiveMinute.entries + new.entries, "comments": LiveMinute.comments + new.comments,
              "likes": LiveMinute.likes + new.likes, "orders": LiveMinute.orders + new.orders,
              "gmv": LiveMinute.gmv + new.gmv},
    )
    await s.execute(stmt)


async def flush_meter(s: AsyncSession, taken: Taken) -> int:
    """Add a process's counted minutes to the rows; returns how many rows were touched."""
    known = await repository.existing_session_ids(s, sorted({sid for sid, _ in taken}))
    done = 0
    # Sorted: two processes flushing the same rooms lock the rows in the same order (PostgreSQL).
    for (session_id, minute), c in sorted(taken.items()):
        if session_id not in known:
            continue  # nothing to attach it to; a bad id must not block every later flush
        await _add(s, session_id, minute, viewers=c.viewers, entries=c.entries, comments=c.comments,
                   likes=c.likes)
        done += 1
    return done


async def _live_order(s: AsyncSession, order_id: int, source: str | None) -> tuple[int, Any] | None:
    if source is not None and live_source(source) is None:
        return None  # most orders: nothing to look up
    order = await orders.order_origin(s, order_id)
    session_id = live_source(order.source) if order is not None else None
    if order is None or session_id is None or await s.get(LiveSession, session_id) is None:
        return None  # "live:<id>" of a session that does not exist (a hand-made checkout link)
    return session_id, order


async def record_order_placed(s: AsyncSession, order_id: int, source: str | None) -> None:
    found = await _live_order(s, order_id, source)
    if found is not None:
        session_id, order = found
        await _add(s, session_id, minute_of(order.created_at), orders=1)


async def record_order_paid(s: AsyncSession, order_id: int) -> None:
    found = await _live_order(s, order_id, None)
    if found is not None:
        session_id, order = found
        await _add(s, session_id, minute_of(order.created_at), gmv=order.total)


async def summarise_session(s: AsyncSession, session_id: int) -> dict[str, Any]:
    """Compute and store the summary of an ended session (场次复盘); safe to repeat."""
    session = await get_session(s, session_id)
    t = (await s.execute(
        select(func.coalesce(func.sum(LiveMinute.entries), 0), func.coalesce(func.sum(LiveMinute.comments), 0),
               func.coalesce(func.sum(LiveMinute.likes), 0), func.coalesce(func.sum(LiveMinute.orders), 0),
               func.coalesce(func.sum(LiveMinute.gmv), 0), func.coalesce(func.max(LiveMinute.viewers), 0))
        .where(LiveMinute.session_id == session_id))).one()
    entries, comments, likes, placed, gmv, top_viewers = (int(x) for x in t)
    duration = (int((session.ended_at - session.started_at).total_seconds())
                if session.started_at and session.ended_at else 0)
    top = await orders.paid_sales_by_product(s, f"live:{session_id}", TOP_PRODUCTS)
    summary: dict[str, Any] = {
        "duration_seconds": max(0, duration),
        # The fan-out raises peak_viewers within a second; the minute rows may hold a later, higher figure.
        "peak_viewers": max(session.peak_viewers, top_viewers),
        "entries": entries, "comments": comments, "likes": likes, "orders": placed, "gmv": gmv,
        "conversion": conversion(placed, entries),
        "top_products": [{"product_id": p.product_id, "title": p.title, "quantity": p.quantity, "gmv": p.amount}
                         for p in top],
    }
    if session.summary != summary:  # unchanged: no write (settle_summaries repeats this every minute)
        session.summary = summary
    return summary


async def sessions_to_settle(s: AsyncSession, now: datetime, window: timedelta) -> list[int]:
    """Sessions whose summary may still move: ended within `window` (late payments, last flushes)."""
    return await repository.ended_since(s, now - window)


# ---- reading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MinutePoint:
    minute: datetime
    viewers: int
    entries: int
    comments: int
    likes: int
    orders: int
    gmv: int

    @property
    def conversion(self) -> float | None:
        return conversion(self.orders, self.entries)


@dataclass(frozen=True)
class SessionAnalytics:
    session: LiveSession
    series: list[MinutePoint]
    totals: dict[str, Any]  # so far, from the series (also while live)
    summary: dict[str, Any] | None  # stored when the session ended


def _series(session: LiveSession, rows: list[LiveMinute], now: datetime) -> list[MinutePoint]:
    """Every minute from the start to the end (or now), zeros where nothing happened."""
    points = {r.minute: MinutePoint(r.minute, r.viewers, r.entries, r.comments, r.likes, r.orders, r.gmv)
              for r in rows}
    if session.started_at is None:
        return [points[m] for m in sorted(points)]
    first = min([minute_of(session.started_at), *points])
    last = max([minute_of(session.ended_at or now), *points])
    if (last - first) / MINUTE > MAX_FILLED_MINUTES:
        return [points[m] for m in sorted(points)]
    out = []
    minute = first
    while minute <= last:
        out.append(points.get(minute) or MinutePoint(minute, 0, 0, 0, 0, 0, 0))
        minute += MINUTE
    return out


def _totals(session: LiveSession, series: list[MinutePoint]) -> dict[str, Any]:
    entries = sum(p.entries for p in series)
    placed = sum(p.orders for p in series)
    peak = max([session.peak_viewers, *(p.viewers for p in series)])
    return {"viewers_now": series[-1].viewers if series and session.status == "live" else 0, "peak_viewers": peak,
            "entries": entries, "comments": sum(p.comments for p in series), "likes": sum(p.likes for p in series),
            "orders": placed, "gmv": sum(p.gmv for p in series), "conversion": conversion(placed, entries)}


async def session_analytics(s: AsyncSession, user: User, session_id: int) -> SessionAnalytics:
    """The series and summary of a session, for its host or an operator."""
    session = await get_session(s, session_id)
    if user.id != session.host_id and not user.has_role("operator"):
        raise NotYourRoom("only the host and operators see a room's figures")
    series = _series(session, list(await repository.minutes(s, session_id)), utcnow())
    return SessionAnalytics(session, series, _totals(session, series), session.summary)


def chart_data(a: SessionAnalytics) -> dict[str, Any]:
    """What static/js/live_charts.js draws: parallel arrays, minute labels in UTC ISO form."""
    return {"minutes": [p.minute.isoformat() for p in a.series],
            "viewers": [p.viewers for p in a.series], "entries": [p.entries for p in a.series],
            "comments": [p.comments for p in a.series], "likes": [p.likes for p in a.series],
            "orders": [p.orders for p in a.series], "gmv": [p.gmv for p in a.series]}
