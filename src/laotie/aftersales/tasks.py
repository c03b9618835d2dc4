"""After-sales jobs: apply the deadlines (approve for a silent merchant, close, confirm a return)."""

from __future__ import annotations

from datetime import datetime

from laotie.aftersales import repository
from laotie.aftersales.service import requests
from laotie.kit.db import Database
from laotie.kit.jobs import each_in_own_transaction, scheduler
from laotie.models import utcnow

STATES_WITH_DEADLINES = ("requested", "awaiting_return", "return_shipped", "rejected")


@scheduler.job("aftersales.deadlines")
async def apply_deadlines(db: Database, now: datetime | None = None) -> int:
    """Each request in its own transaction: one that fails (moved meanwhile) does not stop the rest."""
    now = now or utcnow()
    async with db.transaction() as s:
        due = [i for state in STATES_WITH_DEADLINES for i in await repository.due(s, state, now)]
    return await each_in_own_transaction(
        db, due, lambda s, aftersale_id: requests.lapse(s, db.settings, aftersale_id, now), what="after-sale")
