"""Live analytics jobs: flush this process's counters into live_minutes; settle recent sessions' summaries."""

from __future__ import annotations

from datetime import timedelta

from laotie.kit.db import Database
from laotie.kit.jobs import scheduler
from laotie.live.analytics import service as analytics
from laotie.live.analytics.meter import meter_of
from laotie.models import utcnow

# The console polls its charts every 10 s; flushing as often keeps the current minute
# filling in as it happens, for one upsert per active room per process per flush.
FLUSH_SECONDS = 10.0


@scheduler.job("live.flush_meters", every=FLUSH_SECONDS)
async def flush_meters(db: Database) -> int:
    """Add this process's counts to live_minutes (every process runs this, for its own counts only)."""
    meter = meter_of(db)
    taken = meter.take()
    if not taken:
        return 0
    try:
        async with db.transaction() as s:
            return await analytics.flush_meter(s, taken)
    except BaseException:
        meter.give_back(taken)  # rolled back: nothing was added, so the counts go in next time
        raise


@scheduler.job("live.settle_summaries", every=60.0)
async def settle_summaries(db: Database) -> int:
    """Recompute the summaries of recently ended sessions: payments and the last flushes arrive after the end.

    Buyers have the payment timeout to pay; past it (plus a margin) nothing more can land.
    """
    window = timedelta(minutes=db.settings.payment_timeout_minutes + 5)
    async with db.transaction() as s:
        ids = await analytics.sessions_to_settle(s, utcnow(), window)
        for session_id in ids:
            await analytics.summarise_session(s, session_id)
    return len(ids)
