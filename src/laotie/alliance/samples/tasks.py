"""Sample jobs: lapse shipped samples whose creators did not promote them in time."""

from __future__ import annotations

from laotie.alliance.samples import service
from laotie.kit.db import Database
from laotie.kit.jobs import scheduler
from laotie.models import utcnow


@scheduler.job("alliance.samples.lapse", every=86_400.0)
async def lapse_samples(db: Database) -> int:
    """Daily; batches in their own transactions, each sample lapsed once whoever runs it."""
    now = utcnow()
    lapsed = 0
    while True:
        async with db.transaction() as s:
            done = await service.lapse_overdue(s, now, limit=500)
        lapsed += done
        if done < 500:
            return lapsed
