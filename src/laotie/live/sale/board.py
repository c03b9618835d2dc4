"""What this process knows about each flash sale, so a tap it can refuse never leaves the process.

At the peak of a "3-2-1 上车" most taps cannot succeed: they come before the countdown ends,
or after the last unit went. Each process keeps, per flash, its opening and closing times and
whether it is sold out or ended, and answers such taps from memory — no Redis, no database.

The board learns from three places:

* the gate's own answers (every batch sent to the gate returns the flash's schedule and what
  is left), so the process that sells the last unit knows it at once;
* `flash_state` messages on the hub, which every process receives: "scheduled" when a flash
  is put on sale, "sold_out" from the process whose gate answer found no stock left,
  "closed" when it ends, "available" when units come back (an order the persister could not
  write). A sold-out or closed message goes to the room's channel too, so every viewer's
  button closes within a frame;
* the database, when a tap in database mode reads the flash.

It also remembers, for a while, the reservations accepted in this process by request id,
so a retried tap (same request id) is answered as the first was even after the sale sold out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from laotie.kit.errors import DomainError
from laotie.live import room
from laotie.live.errors import FlashNotOpen, FlashSoldOut

log = logging.getLogger("laotie.live.flash")

CHANNEL = "flash-state"  # every process's board listens here
REMEMBERED = 200_000  # accepted (flash, buyer, request id) kept for replays


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class FlashFacts:
    session_id: int
    sku_id: int
    opens_ms: int
    closes_ms: int | None
    sold_out: bool = False
    ended: bool = False


@dataclass(frozen=True, slots=True)
class Remembered:
    """A reservation accepted in this process, as it was answered."""

    reservation_id: str
    left: int


@dataclass(slots=True)
class TapCounts:
    """Where this process's taps were answered (exposed on /metrics)."""

    memory: int = 0  # refused from the board
    gate: int = 0  # sent to the Redis gate (or, in database mode, to the database)
    late: int = 0  # of those, taps for a flash already sold out or ended before they got there


class FlashBoard:
    def __init__(self, hub: Any = None) -> None:
        self.hub = hub
        self.flashes: dict[int, FlashFacts] = {}
        self.counts = TapCounts()
        self.accepted: OrderedDict[tuple[int, int, str], Remembered] = OrderedDict()

    # ---- answering from memory ---------------------------------------------------------

    def refusal(self, flash_id: int, now: int | None = None) -> DomainError | None:
        """The refusal this tap gets without leaving the process, or None if only the gate can say."""
        facts = self.flashes.get(flash_id)
        if facts is None:
            return None
        now = now_ms() if now is None else now
        if facts.ended or (facts.closes_ms is not None and now >= facts.closes_ms):
            return FlashNotOpen("this sale has ended")
        if now < facts.opens_ms:
            return FlashNotOpen("this sale is not open")
        if facts.sold_out:
            return FlashSoldOut("sold out", field="quantity", flash_id=flash_id)
        return None

    def remember(self, flash_id: int, buyer_id: int, request_id: str, reservation_id: str, left: int) -> None:
        if not request_id:
            return
        self.accepted[(flash_id, buyer_id, request_id)] = Remembered(reservation_id, left)
        if len(self.accepted) > REMEMBERED:
            self.accepted.popitem(last=False)

    def recall(self, flash_id: int, buyer_id: int, request_id: str) -> Remembered | None:
        return self.accepted.get((flash_id, buyer_id, request_id)) if request_id else None

    # ---- learning ------------------------------------------------------------------------

    def learn(self, flash_id: int, session_id: int, sku_id: int, opens_ms: int, closes_ms: int | None) -> FlashFacts:
        facts = self.flashes.get(flash_id)
        if facts is None:
            facts = self.flashes[flash_id] = FlashFacts(session_id, sku_id, opens_ms, closes_ms)
        else:
            facts.opens_ms, facts.closes_ms = opens_ms, closes_ms
        return facts

    def saw_stock(self, flash_id: int, left: int, at_ms: int) -> None:
        """The gate (or the database) says `left` units remain: announce the moment it reaches 0."""
        facts = self.flashes.get(flash_id)
        if facts is None or facts.sold_out == (left <= 0):
            return
        facts.sold_out = left <= 0
        self._announce(flash_id, facts, "sold_out" if left <= 0 else "available", at_ms)

    def saw_ended(self, flash_id: int, at_ms: int) -> None:
        facts = self.flashes.get(flash_id)
        if facts is not None and not facts.ended:
            facts.ended = True
            self._announce(flash_id, facts, "closed", at_ms)

    def apply(self, message: dict[str, Any]) -> None:
        """A `flash_state` message from any process (this one included)."""
        flash_id = int(message["flash_id"])
        closes = message.get("closes_ms")
        facts = self.learn(flash_id, int(message["session_id"]), int(message["sku_id"]), int(message["opens_ms"]),
                           None if closes is None else int(closes))
        state = message.get("state")
        if state == "sold_out":
            facts.sold_out = True
        elif state == "available":
            facts.sold_out = False
        elif state == "closed":
            facts.ended = True

    # ---- telling everyone ------------------------------------------------------------------

    @staticmethod
    def state_message(flash_id: int, facts: FlashFacts, state: str, at_ms: int) -> str:
        closing = state in ("sold_out", "closed")
        # Urgent: the room sends it in a frame at once instead of at its next tick (chat/fanout.py).
        return room.encode({"type": "flash_state", "flash_id": flash_id, "state": state, "urgent": closing,
                            "left": 0 if closing else None, "at_ms": at_ms,
                            "session_id": facts.session_id, "sku_id": facts.sku_id, "opens_ms": facts.opens_ms,
                            "closes_ms": facts.closes_ms})

    def _announce(self, flash_id: int, facts: FlashFacts, state: str, at_ms: int) -> None:
        if self.hub is None:
            return
        text = self.state_message(flash_id, facts, state, at_ms)
        # This process's viewers now (in a burst every hop through Redis is a long turn of the event
        # loop), every other process's board, then its viewers: told in that order, a process whose
        # viewers have been told has already been told itself.
        sends = [(CHANNEL, text), (room.channel(facts.session_id), text)]
        for channel, message in sends:
            self.hub.deliver(channel, message)
        task = asyncio.get_running_loop().create_task(self.publish(sends))
        _pending.add(task)
        task.add_done_callback(_pending.discard)

    async def publish(self, sends: list[tuple[str, str]]) -> None:
        try:
            await self.hub.publish_to_others(sends)
        except Exception:  # best effort: boards also learn from the gate, viewers from flash_stock
            log.exception("could not announce a flash state")

    # ---- listening -------------------------------------------------------------------------

    async def run_forever(self) -> None:
        sub = self.hub.subscribe(CHANNEL)
        try:
            while True:
                raw = await sub.get()
                try:
                    self.apply(json.loads(raw))
                except (ValueError, KeyError, TypeError):
                    log.warning("ignoring a malformed flash state message")
        finally:
            sub.close()

    def metrics(self) -> str:
        c = self.counts
        return ("# TYPE laotie_flash_taps_total counter\n"
                f'laotie_flash_taps_total{{answered="memory"}} {c.memory}\n'
                f'laotie_flash_taps_total{{answered="gate"}} {c.gate}\n'
                "# TYPE laotie_flash_late_taps_total counter\n"
                f"laotie_flash_late_taps_total {c.late}\n")


_pending: set[asyncio.Task[None]] = set()  # announcements under way (kept from the garbage collector)


def board_of(db: Any) -> FlashBoard:
    """The board of this process for a Database (created on first use)."""
    board: FlashBoard | None = db.services.get("flash_board")
    if board is None or board.hub is not db.hub:  # a new app on the same Database has a new hub
        board = db.services["flash_board"] = FlashBoard(db.hub)
    return board
