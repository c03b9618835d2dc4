"""Alliance jobs: settle commissions whose after-sale window has passed; pause listings of shops no longer admitted."""

from __future__ import annotations

from laotie.alliance.service import commissions, listings
from laotie.kit.db import Database
from laotie.kit.jobs import scheduler
from laotie.models import utcnow


@scheduler.job("alliance.settle", every=60.0)
async def settle_commissions(db: Database) -> int:
    """Batches of due lines, one transaction each, until none is left."""
    now = utcnow()
    settled = 0
    while True:
        async with db.transaction() as s:
            n = await commissions.settle_due(s, now)
        settled += n
        if n == 0:
            return settled


@scheduler.job("alliance.check_admission", every=3600.0)
async def check_admission(db: Database) -> int:
    async with db.transaction() as s:
        paused, resumed = await listings.check_admission(s)
    return paused + resumed


@scheduler.job("alliance.refresh_library", every=300.0)
async def refresh_library(db: Database) -> int:
    async with db.transaction() as s:
        return await listings.refresh_library(s)
