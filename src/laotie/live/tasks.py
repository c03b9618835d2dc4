"""Live jobs: announce flashes whose countdown ended, close the ones past their end time."""

from __future__ import annotations

from laotie.kit.db import Database
from laotie.kit.jobs import scheduler
from laotie.live.service import flash
from laotie.models import utcnow


@scheduler.job("live.open_flashes", every=1.0)
async def open_flashes(db: Database) -> int:
    async with db.transaction() as s:
        return len(await flash.open_due(s, utcnow()))


@scheduler.job("live.close_flashes", every=1.0)
async def close_flashes(db: Database) -> int:
    async with db.transaction() as s:
        due = await flash.due_to_close(s, utcnow())
    for flash_id in due:
        async with db.transaction() as s:
            await flash.close_flash(s, flash_id, reason="time_up")
    return len(due)
