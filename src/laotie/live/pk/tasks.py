"""PK jobs: score updates in both rooms, lapsing challenges, finishing contests."""

from __future__ import annotations

from laotie.kit.db import Database
from laotie.kit.jobs import scheduler
from laotie.live.pk import service as pk
from laotie.models import utcnow


@scheduler.job("live.pk_scores", every=15.0)
async def pk_scores(db: Database) -> int:
    """A few score updates a minute in both rooms, never one per like or order."""
    now = utcnow()
    async with db.transaction() as s:
        ids = await pk.running(s)
    moved = 0
    for contest_id in ids:
        async with db.transaction() as s:
            moved += await pk.update_score(s, contest_id, now)
    return moved


@scheduler.job("live.finish_pk", every=1.0)
async def finish_pk(db: Database) -> int:
    """Lapse unanswered challenges; finish each contest past its end in its own transaction."""
    now = utcnow()
    async with db.transaction() as s:
        await pk.expire_challenges(s, now)
        due = await pk.due_to_finish(s, now)
    finished = 0
    for contest_id in due:
        async with db.transaction() as s:
            finished += await pk.finish_pk(s, contest_id, now) is not None
    return finished

