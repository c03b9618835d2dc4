"""Link-out jobs: forget postback nonces too old for any replay to carry."""

from __future__ import annotations

from laotie.alliance.links import service
from laotie.kit.db import Database
from laotie.kit.jobs import scheduler
from laotie.models import utcnow


@scheduler.job("alliance.prune_postback_nonces", every=3600.0)
async def prune_postback_nonces(db: Database) -> int:
    async with db.transaction() as s:
        return await service.prune_nonces(s, utcnow())
