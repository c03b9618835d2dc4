"""Which rooms are on air and which are coming up: the lists the home page and /live show (直播)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.live import repository
from laotie.models import LiveSession

# A scheduled room whose time passed this long ago without starting is no longer "coming up".
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Room:
    session: LiveSession
    host_name: str


@dataclass(frozen=True)
class Rooms:
    live: list[Room]
    upcoming: list[Room]


async def rooms_now(s: AsyncSession, now: datetime, live_limit: int = 24, upcoming_limit: int = 12) -> Rooms:
    """The rooms live now (newest on air first) and the scheduled ones still to come (soonest first)."""
    live = await repository.rooms(s, "live", live_limit)
    upcoming = await repository.rooms(s, "scheduled", upcoming_limit, scheduled_after=now - STALE_AFTER)
    return Rooms(live=[Room(x, name) for x, name in live], upcoming=[Room(x, name) for x, name in upcoming])
