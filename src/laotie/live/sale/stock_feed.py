"""Remaining-stock updates for flash sales, pushed to viewers a few times a second.

A purchase marks its flash as changed once its transaction commits; a per-process
task reads the committed counts and publishes one small message per changed flash
per tick, so a burst of a thousand purchases is a handful of messages, not a thousand.
The tick is a second: each message becomes a frame sent to every socket in the room,
and with thousands of viewers a frame costs a good part of a core (bench/flash_burst.py);
the moment that matters, sold out, is announced at once (board.py), not on a tick.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import Database
from laotie.live import room
from laotie.live.sale.board import board_of
from laotie.models import FlashListing

log = logging.getLogger("laotie.live.stock")


class StockFeed:
    def __init__(self, db: Database, tick: float = 1.0) -> None:
        self.db = db
        self.tick = tick
        self.changed: set[int] = set()  # flash ids
        self._wake = asyncio.Event()
        db.after_commit.append(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        sold = session.info.pop("flashes_sold", None)
        if sold:
            self.changed |= {flash_id for _, flash_id in sold}
            self._wake.set()

    def mark(self, flash_id: int) -> None:
        """Redis mode: a purchase was accepted (the order is written later, maybe elsewhere)."""
        self.changed.add(flash_id)
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
        gate = self.db.services.get("flash_gate")
        board = board_of(self.db)
        async with self.db.transaction() as s:
            rows = (await s.execute(select(FlashListing.id, FlashListing.session_id, FlashListing.live_stock,
                                           FlashListing.sold)
                                    .where(FlashListing.id.in_(sorted(changed))))).all()
            for flash_id, session_id, live_stock, sold in rows:
                # In Redis mode the gate knows first; the database catches up as orders are written.
                in_gate = await gate.left(flash_id) if gate is not None else None
                left = live_stock - sold if in_gate is None else in_gate
                facts = board.flashes.get(flash_id)
                if left <= 0 and facts is not None and facts.sold_out:
                    continue  # the room was told at once (flash_state): one frame fewer to every socket
                await room.publish(s, session_id, {"type": "flash_stock", "flash_id": flash_id, "left": left,
                                                   "sold": live_stock - left})
        return len(rows)
