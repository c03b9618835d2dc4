"""Viewer latency: players' reports for live rooms go in, the room's median comes out for its host."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.live.errors import LatencyReportsTooFrequent, SessionNotLive
from laotie.live.media.latency import LatencySamples, ReportLimiter, RoomLatency
from laotie.live.service import sessions


@dataclass
class ViewerLatency:
    """This process's latency reports and the limits on sending them (see latency.py for why per process)."""

    samples: LatencySamples = field(default_factory=LatencySamples)
    limiter: ReportLimiter = field(default_factory=ReportLimiter)


def latency_of(db: Any) -> ViewerLatency:
    found = db.services.get("viewer_latency")
    if found is None:
        found = db.services["viewer_latency"] = ViewerLatency()
    return found


async def report_latency(s: AsyncSession, latency: ViewerLatency, session_id: int, latency_ms: int | None, *,
                         viewer: str, address: str, now: float | None = None) -> bool:
    """Record a viewer's latency in a live room; None only asks for the clock. True when it was recorded.

    `viewer` names the sender only for the rate limit (nothing is attributed to an account),
    `address` is where the report came from; `now` is the monotonic clock.
    """
    now = time.monotonic() if now is None else now
    wait = latency.limiter.allow(viewer, address, now)  # before the database: a flood costs no query
    if wait:
        raise LatencyReportsTooFrequent("a player reports its latency every few seconds", retry_after_ms=wait)
    session = await sessions.get_session(s, session_id)
    if session.status != "live":
        raise SessionNotLive("the room is not live")
    if latency_ms is None:
        return False
    latency.samples.add(session.id, latency_ms, now)
    return True


def room_latency(latency: ViewerLatency, session_id: int, now: float | None = None) -> RoomLatency:
    """The median latency of the room's viewers over the last minute, as this process has heard it."""
    return latency.samples.room(session_id, time.monotonic() if now is None else now)
