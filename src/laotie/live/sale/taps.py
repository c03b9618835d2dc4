"""A tap on "上车", from the room's socket or HTTP: answered from memory when it can be, else by the gate.

The path does only what a purchase needs. The buyer is already known (the socket's user, or
a cached token). The board (board.py) refuses taps for a flash this process knows to be sold
out, ended or not open yet. The rest go to the Redis gate in batches: every tap that arrives
while a batch for the same flash is out waits for the next one, so a burst costs one round
trip per batch (one EVALSHA judging all of them in arrival order), however many taps it
holds, and the board is consulted again before each batch — once a batch has sold the last
unit, the taps queued behind it never reach Redis. In database mode (no Redis) a tap is one
transaction, as before.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.identity.caller import Caller, Identified
from laotie.kit.db import Database
from laotie.kit.errors import DomainError
from laotie.live.errors import FlashNotOpen, FlashSoldOut
from laotie.live.sale.board import FlashBoard, board_of, now_ms
from laotie.live.sale.redis_gate import ENDED, RedisFlash, Reservation, Tap, address_json, outcome
from laotie.live.sale.service import flash as flash_service
from laotie.models import utcnow
from laotie.orders.service.checkout import Address

log = logging.getLogger("laotie.live.flash")

MAX_BATCH = 500  # taps judged in one script call; Redis runs nothing else meanwhile


@dataclass(frozen=True, slots=True)
class TapAnswer:
    """'accepted': reserved in Redis, the order follows. 'placed': the order exists (database mode)."""

    status: str
    left: int
    reservation_id: str | None = None
    payment_id: int | None = None
    order_ids: list[int] = field(default_factory=list)
    pay_url: str | None = None


class TapBatches:
    """Taps waiting for the gate, per flash; one batch per flash in flight at a time."""

    def __init__(self, gate: RedisFlash, board: FlashBoard, db: Database) -> None:
        self.gate, self.board, self.db = gate, board, db
        self.waiting: dict[int, list[tuple[Tap, asyncio.Future[Reservation]]]] = {}
        self.sending: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, flash_id: int, tap: Tap) -> asyncio.Future[Reservation]:
        future: asyncio.Future[Reservation] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(flash_id, []).append((tap, future))
        if flash_id not in self.sending:
            # The task starts on the loop's next turn: every tap that arrives in this one joins it.
            self.sending.add(flash_id)
            task = asyncio.get_running_loop().create_task(self._send(flash_id), name=f"flash-taps-{flash_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return future

    async def _send(self, flash_id: int) -> None:
        try:
            while True:
                waiting = [(t, f) for t, f in self.waiting.pop(flash_id, []) if not f.done()]
                if not waiting:
                    return
                if len(waiting) > MAX_BATCH:
                    self.waiting[flash_id] = waiting[MAX_BATCH:] + self.waiting.get(flash_id, [])
                    waiting = waiting[:MAX_BATCH]
                refusal = self.board.refusal(flash_id)
                if refusal is not None:  # the batch before this one sold out (or the sale ended meanwhile)
                    self.board.counts.memory += len(waiting)
                    for _, future in waiting:
                        future.set_exception(refusal)
                    continue
                await self._judge(flash_id, waiting)
        finally:
            self.sending.discard(flash_id)

    async def _judge(self, flash_id: int, waiting: list[tuple[Tap, asyncio.Future[Reservation]]]) -> None:
        try:
            reply = await self.gate.take(flash_id, [tap for tap, _ in waiting])
        except Exception as exc:  # Redis unreachable: every tap in the batch gets the failure
            for _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        board = self.board
        board.counts.gate += len(waiting)
        if reply.late:
            board.counts.late += len(waiting)
        if reply.session_id is not None and reply.sku_id is not None:
            board.learn(flash_id, reply.session_id, reply.sku_id, reply.opens_ms, reply.closes_ms)
        accepted = False
        for (tap, future), (answer, reservation_id) in zip(waiting, reply.answers, strict=True):
            result = outcome(flash_id, answer, reservation_id, reply.left)
            if isinstance(result, Reservation):
                accepted = True
                board.remember(flash_id, tap.buyer_id, tap.request_id, result.reservation_id, result.left)
            if future.done():
                continue
            if isinstance(result, DomainError):
                future.set_exception(result)
            else:
                future.set_result(result)
        if accepted:
            stock_feed = self.db.services.get("stock_feed")
            if stock_feed is not None:
                stock_feed.mark(flash_id)
        if reply.state == ENDED:
            board.saw_ended(flash_id, reply.now_ms)
        elif reply.state == 0:
            board.saw_stock(flash_id, reply.left, reply.now_ms)


def batches_of(db: Database, gate: RedisFlash) -> TapBatches:
    batches: TapBatches | None = db.services.get("flash_taps")
    if batches is None or batches.gate is not gate:
        batches = db.services["flash_taps"] = TapBatches(gate, board_of(db), db)
    return batches


def refuse_from_memory(db: Database, flash_id: int, buyer_id: int | None = None,
                       request_id: str = "") -> TapAnswer | None:
    """The answer this process can give alone: a replay of a tap it accepted (returned), or a
    refusal (raised) for a flash it knows to be sold out, ended or not open yet. None: ask the gate."""
    board = board_of(db)
    if buyer_id is not None:
        prior = board.recall(flash_id, buyer_id, request_id)
        if prior is not None:
            return TapAnswer("accepted", prior.left, prior.reservation_id)
    refusal = board.refusal(flash_id)
    if refusal is not None:
        board.counts.memory += 1
        raise refusal
    return None


async def tap(db: Database, buyer_id: int, flash_id: int, quantity: int, address: Address,
              request_id: str = "") -> TapAnswer:
    """One tap by a known buyer. Raises the refusal (a DomainError) when there is one."""
    local = refuse_from_memory(db, flash_id, buyer_id, request_id)
    if local is not None:
        return local
    gate: RedisFlash | None = db.services.get("flash_gate")
    if gate is not None:
        reservation = await batches_of(db, gate).submit(
            flash_id, Tap(buyer_id, quantity, address_json(address), request_id))
        return TapAnswer("accepted", reservation.left, reservation.reservation_id)
    async with db.transaction() as s:
        return await buy_in_database(s, db, Caller(buyer_id), flash_id, quantity, address, request_id)


async def buy_in_database(s: AsyncSession, db: Database, buyer: Identified, flash_id: int, quantity: int,
                          address: Address, request_id: str = "") -> TapAnswer:
    """Database mode: the purchase in the caller's transaction, the board told what it learned."""
    board = board_of(db)
    board.counts.gate += 1
    flash, _ = await flash_service.get_flash(s, flash_id)
    board.learn(flash.id, flash.session_id, flash.sku_id, int(flash.opens_at.timestamp() * 1000),
                int(flash.closes_at.timestamp() * 1000) if flash.closes_at else None)
    if flash.status == "closed" or flash.sold >= flash.live_stock:
        board.counts.late += 1
    if not flash_service.is_open(flash, utcnow()):
        if flash.status == "closed":
            board.saw_ended(flash.id, now_ms())
        raise FlashNotOpen("this sale is not open" if flash.status != "closed" else "this sale has ended")
    try:
        result, left = await flash_service.place_flash_order(s, db.settings, buyer, flash, quantity, address,
                                                             idempotency_key=request_id or None)
    except FlashSoldOut:
        if flash.sold >= flash.live_stock:
            board.saw_stock(flash.id, 0, now_ms())
        raise
    if left == 0:
        board.saw_stock(flash.id, 0, now_ms())
    return TapAnswer("placed", left, payment_id=result.payment_id, order_ids=list(result.order_ids),
                     pay_url=result.pay_url)


def describe(answer: TapAnswer) -> dict[str, Any]:
    """The answer as the API states it (FlashBuyOut's fields)."""
    body: dict[str, Any] = {"status": answer.status, "left": answer.left}
    if answer.reservation_id is not None:
        body["reservation_id"] = answer.reservation_id
        body["status_url"] = f"/api/v1/live/flash/reservations/{answer.reservation_id}"
    if answer.payment_id is not None:
        body.update(payment_id=answer.payment_id, order_ids=answer.order_ids, pay_url=answer.pay_url)
    return body
