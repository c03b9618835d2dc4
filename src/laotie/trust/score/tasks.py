"""Shop score jobs: the daily recompute of every shop's experience score."""

from __future__ import annotations

from datetime import datetime

from laotie.kit.db import Database
from laotie.kit.jobs import scheduler
from laotie.trust.score.service import scores


@scheduler.job("trust.recompute_scores", every=86400)
async def recompute_scores(db: Database, now: datetime | None = None) -> int:
    """Today's score for every shop, in one transaction (rerunning the same day replaces its rows).

    One transaction because the rows of a day must be one consistent ranking: a half-written
    day would compare shops against peers from two different computations.
    """
    async with db.transaction() as s:
        result = await scores.recompute(s, now=now)
    return result.shops
