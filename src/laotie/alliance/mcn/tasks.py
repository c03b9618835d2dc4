"""MCN jobs: end contracts whose term is over."""

from __future__ import annotations

from laotie.alliance.mcn import service
from laotie.kit.db import Database
from laotie.kit.jobs import scheduler
from laotie.models import utcnow


@scheduler.job("alliance.mcn.expire", every=300.0)
async def expire_contracts(db: Database) -> int:
    """Checkout already ignores a contract past its end; this makes its status say so, and frees the creator."""
    async with db.transaction() as s:
        return await service.expire_contracts(s, utcnow())
