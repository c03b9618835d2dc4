"""Sale jobs: open and close flashes on time, draw lucky bags at their end time."""

from __future__ import annotations

import logging

from laotie.kit.db import Database
from laotie.kit.errors import DomainError
from laotie.kit.jobs import scheduler
from laotie.live.sale.service import flash, lucky_bags
from laotie.models import utcnow

log = logging.getLogger("laotie.live")


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


@scheduler.job("live.draw_lucky_bags", every=1.0)
async def draw_lucky_bags(db: Database) -> int:
    """Each bag is drawn in its own transaction; a bag drawn elsewhere meanwhile is skipped."""
    now = utcnow()
    async with db.transaction() as s:
        due = await lucky_bags.due_bags(s, now)
    drawn = 0
    for bag_id in due:
        try:
            async with db.transaction() as s:
                drawn += await lucky_bags.draw_bag(s, db.settings, bag_id, now) is not None
        except DomainError:
            # E.g. the prize was unpublished meanwhile: the bag stays open, logged, retried next run.
            log.exception("lucky bag %s could not be drawn", bag_id)
    return drawn

