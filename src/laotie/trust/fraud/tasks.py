"""The daily fake-order (刷单) ring detection over the last 30 days of paid orders."""

from __future__ import annotations

from datetime import datetime

from laotie.kit.db import Database
from laotie.kit.jobs import scheduler
from laotie.models import utcnow
from laotie.trust.fraud import service as fraud_rings

DAY_SECONDS = 86_400


@scheduler.job("trust.detect_fraud", every=DAY_SECONDS)
async def detect_fraud(db: Database, now: datetime | None = None) -> int:
    """Suspected rings queued or refreshed; safe to run twice (a second run refreshes, never duplicates).

    Three steps, and the detector runs between two transactions, not inside one: on SQLite a
    transaction holds the only connection (and the write lock), so checkouts would wait seconds
    for the detector. Orders paid meanwhile simply wait for tomorrow's run.
    """
    until = now or utcnow()
    since = until - fraud_rings.DEFAULT_WINDOW
    async with db.transaction() as s:
        try:
            batch = await fraud_rings.load_batch(s, since, until)
        except fraud_rings.EmptyWindow:
            return 0
    detection = await fraud_rings.detect(batch)
    async with db.transaction() as s:
        return len(await fraud_rings.store_detection(s, batch, detection, since, until))
