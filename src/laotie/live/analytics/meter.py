"""Per-process live counters (entries, comments, likes, concurrent viewers) per room and minute, until flushed.

Why counters in memory and not a row per action: a busy room has thousands of likes and
comments a minute, and a database write for each would cost more than the action itself.
Each process counts what happened in it and a job (live.flush_meters) adds its counts to
`live_minutes`; since every process adds only its own counts, processes never count a
thing twice. Viewers are different: every process already sees the room's total across
processes (chat_state), so they are kept as the highest total seen in the minute and
merged with max(), which any number of processes may repeat harmlessly.

What a process counted but had not flushed when it died is lost (at most one flush
interval); likes and socket entries have no other record to rebuild them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import AFTER_COMMIT_SENDS
from laotie.models import utcnow


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


@dataclass
class MinuteCounts:
    viewers: int = 0  # the highest concurrent viewer total seen during the minute
    entries: int = 0
    comments: int = 0
    likes: int = 0

    def merge(self, other: MinuteCounts) -> None:
        self.viewers = max(self.viewers, other.viewers)
        self.entries += other.entries
        self.comments += other.comments
        self.likes += other.likes


Taken = dict[tuple[int, datetime], MinuteCounts]


class LiveMeter:
    """This process's counts since the last flush, keyed by (session id, minute)."""

    def __init__(self) -> None:
        self.minutes: Taken = {}

    def _bucket(self, session_id: int, at: datetime | None) -> MinuteCounts:
        key = (session_id, minute_of(at or utcnow()))
        counts = self.minutes.get(key)
        if counts is None:
            counts = self.minutes[key] = MinuteCounts()
        return counts

    def count_entry(self, session_id: int, at: datetime | None = None) -> None:
        self._bucket(session_id, at).entries += 1

    def count_comments(self, session_id: int, n: int = 1, at: datetime | None = None) -> None:
        self._bucket(session_id, at).comments += n

    def count_likes(self, session_id: int, n: int, at: datetime | None = None) -> None:
        if n > 0:
            self._bucket(session_id, at).likes += n

    def sample_viewers(self, session_id: int, viewers: int, at: datetime | None = None) -> None:
        counts = self._bucket(session_id, at)
        counts.viewers = max(counts.viewers, viewers)

    def take(self) -> Taken:
        """Everything counted so far; the meter starts again from zero."""
        taken, self.minutes = self.minutes, {}
        return taken

    def give_back(self, taken: Taken) -> None:
        """A flush failed: keep its counts for the next one, merged with what arrived meanwhile."""
        for key, counts in taken.items():
            current = self.minutes.get(key)
            if current is None:
                self.minutes[key] = counts
            else:
                current.merge(counts)


_no_db = LiveMeter()


def meter_of(db: Any) -> LiveMeter:
    """The meter of this process for a Database (created on first use)."""
    if db is None:  # a bare session outside any Database: nothing will flush it
        return _no_db
    meter: LiveMeter | None = db.services.get("live_meter")
    if meter is None:
        meter = db.services["live_meter"] = LiveMeter()
    return meter


def count_comment_after_commit(s: AsyncSession, session_id: int) -> None:
    """Count a comment once its transaction commits: a refused or rolled-back one never counts."""
    meter = meter_of(s.info.get("db"))

    async def count() -> None:
        meter.count_comments(session_id)

    s.info.setdefault(AFTER_COMMIT_SENDS, []).append(count)
