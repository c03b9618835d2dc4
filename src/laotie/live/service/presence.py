"""Who is in a live room: the rule room promotions use to decide who may claim or enter.

The rule (checkable from one row per viewer and session, `room_presence`):
* a signed-in viewer is *present* when the room saw them within `PRESENT_WITHIN` (10 min):
  opening the room page, the room's socket (which beats every `HEARTBEAT_SECONDS` while
  open), commenting, or an API client's `POST /api/v1/live/sessions/{id}/presence`;
* a viewer's *watched time* adds the gaps between consecutive sightings that are at most
  `MAX_GAP` apart: a viewer who leaves and returns later is not credited for the absence.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import dialect_insert
from laotie.live.errors import NotPresent
from laotie.models import RoomPresence

PRESENT_WITHIN = timedelta(minutes=10)
HEARTBEAT_SECONDS = 30
MAX_GAP = timedelta(seconds=3 * HEARTBEAT_SECONDS)


async def touch_presence(s: AsyncSession, session_id: int, user_id: int, now: datetime) -> None:
    """Record that the viewer is in the room now, crediting the time since the last sighting if contiguous."""
    inserted = await s.execute(
        dialect_insert(s, RoomPresence)
        .values(session_id=session_id, user_id=user_id, first_seen_at=now, last_seen_at=now, watched_seconds=0)
        .on_conflict_do_nothing()
        .returning(RoomPresence.user_id)
    )
    if inserted.first() is not None:
        return
    last = (await s.execute(select(RoomPresence.last_seen_at).where(
        RoomPresence.session_id == session_id, RoomPresence.user_id == user_id))).scalar_one()
    if now <= last:
        return
    gap = now - last
    credit = int(gap.total_seconds()) if gap <= MAX_GAP else 0
    # Conditional on the sighting read: two tabs beating at once credit the gap once.
    await s.execute(update(RoomPresence)
                    .where(RoomPresence.session_id == session_id, RoomPresence.user_id == user_id,
                           RoomPresence.last_seen_at == last)
                    .values(last_seen_at=now, watched_seconds=RoomPresence.watched_seconds + credit))


async def ensure_present(s: AsyncSession, session_id: int, user_id: int, now: datetime) -> None:
    last = (await s.execute(select(RoomPresence.last_seen_at).where(
        RoomPresence.session_id == session_id, RoomPresence.user_id == user_id))).scalar_one_or_none()
    if last is None or now - last > PRESENT_WITHIN:
        raise NotPresent("open the live room to take part")


async def watched_at_least(s: AsyncSession, session_id: int, seconds: int) -> list[int]:
    """Viewers of the session whose watched time reaches `seconds`, by user id."""
    stmt = select(RoomPresence.user_id).where(RoomPresence.session_id == session_id,
                                              RoomPresence.watched_seconds >= seconds)
    return sorted(int(u) for u in (await s.execute(stmt)).scalars())
