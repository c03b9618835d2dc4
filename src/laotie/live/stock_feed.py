"""Remaining-stock updates for flash sales, pushed to viewers a few times a second.

A purchase marks its flash as changed once its transaction commits; a per-process
task reads the committed counts and publishes one small message per changed flash
per tick, so a burst of a thousand purchases is a handful of messages, not a thousand.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import Database
from laotie.live import room
from laotie.models import FlashListing

log = logging.getLogger("laotie.live.stock")


class StockFeed:
    def __init__(self, db: Database, tick: float = 0.25) -> None:
        self.db = db
        self.tick = tick
        self.changed: set[tuple[int, int]] = set()
        self._wake = asyncio.Event()
        db.after_commit.append(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        sold = session.info.pop("flashes_sold", None)
        if sold:
            self.changed |= sold
            self._wake.set()

    async def run_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("stock feed failed")
            await asyncio.sleep(self.tick)

    async def flush(self) -> int:
        changed, self.changed = self.changed, set()
        if not changed:
            return 0
        async with self.db.transaction() as s:
            rows = (await s.execute(select(FlashListing.id, FlashListing.session_id, FlashListing.live_stock,
                                           FlashListing.sold)
                                    .where(FlashListing.id.in_([f for _, f in changed])))).all()
            for flash_id, session_id, live_stock, sold in rows:
                await room.publish(s, session_id, {"type": "flash_stock", "flash_id": flash_id,
                                                   "left": live_stock - sold, "sold": sold})
        return len(rows)
