"""Flash sales through Redis: an atomic gate in front, orders persisted behind it.

When LAOTIE_REDIS_URL is set, a purchase is one Lua script: inside the sale window,
enough live stock, the buyer under the cap → take the units and append the purchase
to a Redis stream, all at once. The buyer gets 202 with a reservation id. A persister
in every app process reads the stream in batches (a consumer group), turns each entry
into a real order with `place_flash_order` — the same conditional updates as DB mode,
so the database still refuses any oversell — and acknowledges the entries only after
the transaction commits. A process killed mid-batch leaves its entries pending; any
persister claims them after a short idle time, and the idempotency key
`flash:<reservation>` turns a replay into a no-op. Nothing accepted is lost, nothing
is ordered twice. Redis state is rebuilt from the database whenever it is missing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import Database
from laotie.kit.errors import DomainError
from laotie.live.errors import FlashCapReached, FlashNotOpen, FlashSoldOut
from laotie.live.sale.service import flash as flash_service
from laotie.models import FlashListing, FlashPurchase, IdempotencyKey, User
from laotie.orders.service.checkout import Address

log = logging.getLogger("laotie.live.flash")

STREAM = "laotie:flash-orders"
GROUP = "persisters"
FAILED = "laotie:flash-failed"
CLAIM_IDLE_MS = 5_000

# KEYS: flash hash, buyers hash, stream. ARGV: buyer, qty, reservation, address json, flash id.
GATE = """
local f = redis.call('HMGET', KEYS[1], 'left', 'cap', 'opens_ms', 'closes_ms', 'closed')
if not f[1] then return {-9, 0} end
if f[5] == '1' then return {-3, 0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now < tonumber(f[3]) then return {-4, 0} end
if f[4] ~= '' and now >= tonumber(f[4]) then return {-3, 0} end
local qty = tonumber(ARGV[2])
local left = tonumber(f[1])
if left < qty then return {-1, left} end
local had = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if had + qty > tonumber(f[2]) then return {-2, left} end
redis.call('HINCRBY', KEYS[1], 'left', -qty)
redis.call('HINCRBY', KEYS[2], ARGV[1], qty)
redis.call('XADD', KEYS[3], '*', 'rid', ARGV[3], 'flash', ARGV[5], 'buyer', ARGV[1], 'qty', ARGV[2],
           'address', ARGV[4])
return {left - qty, 1}
"""


# Create a flash's state only if it is absent, atomically: buyers arriving together may all
# find it missing, and a second rebuild must not reset the stock the first buyers took.
# KEYS: flash hash, buyers hash. ARGV: left, cap, opens_ms, closes_ms, closed, then buyer/qty pairs.
LOAD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'left', ARGV[1], 'cap', ARGV[2], 'opens_ms', ARGV[3], 'closes_ms', ARGV[4],
           'closed', ARGV[5])
redis.call('DEL', KEYS[2])
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
"""


def _keys(flash_id: int) -> tuple[str, str]:
    return f"laotie:flash:{flash_id}", f"laotie:flash:{flash_id}:buyers"


def _ms(value: Any) -> str:
    return "" if value is None else str(int(value.timestamp() * 1000))


@dataclass(frozen=True)
class Reservation:
    reservation_id: str
    left: int


class RedisFlash:
    def __init__(self, db: Database, url: str) -> None:
        import redis.asyncio as redis

        self.db = db
        # A bounded pool that makes callers wait their turn: a burst of buyers must queue for a
        # connection, not fail with "too many connections".
        pool = redis.BlockingConnectionPool.from_url(url, decode_responses=True, max_connections=64, timeout=30)
        self.redis = redis.Redis(connection_pool=pool)
        self.gate = self.redis.register_script(GATE)
        self.loader = self.redis.register_script(LOAD)
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        # Checked between batches: cancelling a blocked Redis read is not reliably delivered on
        # Python 3.11 (asyncio.timeout can swallow it), so the loop also stops on this flag.
        self.stopping = False

    async def close(self) -> None:
        self.stopping = True
        await self.redis.aclose()

    async def load(self, s: AsyncSession, flash_id: int) -> None:
        """Build a flash's Redis state from the database (the source of truth) if Redis has none.

        Reads through the caller's session: on SQLite the request already holds the one connection.
        """
        flash = await s.get(FlashListing, flash_id)
        if flash is None:
            return
        buyers = (await s.execute(select(FlashPurchase.buyer_id, FlashPurchase.quantity)
                                  .where(FlashPurchase.flash_id == flash_id))).all()
        args: list[str | int] = [flash.live_stock - flash.sold, flash.per_buyer_cap, _ms(flash.opens_at),
                                 _ms(flash.closes_at), "1" if flash.status == "closed" else "0"]
        for buyer_id, quantity in buyers:
            args += [buyer_id, quantity]
        await self.loader(keys=list(_keys(flash_id)), args=args)

    async def left(self, flash_id: int) -> int | None:
        value = await self.redis.hget(_keys(flash_id)[0], "left")
        return None if value is None else int(value)

    async def mark_closed(self, flash_id: int) -> None:
        # Only an existing state: a missing one is rebuilt from the database, already closed.
        main = _keys(flash_id)[0]
        if await self.redis.exists(main):
            await self.redis.hset(main, "closed", "1")

    async def reserve(self, buyer_id: int, flash_id: int, quantity: int, address: Address,
                      s: AsyncSession | None = None) -> Reservation:
        """Take the units in Redis. `s`: the caller's session if it holds one (SQLite has one connection)."""
        rid = secrets.token_urlsafe(12)
        args: list[str | int] = [buyer_id, quantity, rid, json.dumps(address.__dict__, ensure_ascii=False), flash_id]
        keys = [*_keys(flash_id), STREAM]
        left, ok = await self.gate(keys=keys, args=args)
        if left == -9:  # not in Redis (new, or Redis restarted): rebuild from the database, then retry once
            if s is not None:
                await self.load(s, flash_id)
            else:
                async with self.db.transaction() as own:
                    await self.load(own, flash_id)
            left, ok = await self.gate(keys=keys, args=args)
        if ok == 1:
            return Reservation(rid, int(left))
        if left == -1:
            raise FlashSoldOut("sold out", field="quantity", flash_id=flash_id)
        if left == -2:
            raise FlashCapReached("over the per-buyer cap for this sale", field="quantity")
        if left == -9:
            raise FlashNotOpen("no such sale")
        raise FlashNotOpen("this sale is not open" if left == -4 else "this sale has ended")

    async def status(self, s: AsyncSession, buyer: User, reservation_id: str) -> tuple[str, int | None, str | None]:
        """('placed', payment id, None) | ('failed', None, code) | ('pending', None, None)."""
        payment_id = (await s.execute(select(IdempotencyKey.payment_id).where(
            IdempotencyKey.user_id == buyer.id, IdempotencyKey.key == f"flash:{reservation_id}"))).scalar()
        if payment_id is not None:
            return "placed", int(payment_id), None
        failed = await self.redis.hget(FAILED, reservation_id)
        return ("failed", None, str(failed)) if failed else ("pending", None, None)

    # ---- the persister -------------------------------------------------------------

    async def run_persister(self, batch: int = 200) -> None:
        try:
            await self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except Exception as exc:  # BUSYGROUP: another process made it first
            if "BUSYGROUP" not in str(exc):
                raise
        while not self.stopping:
            try:
                claimed: Any = await self.redis.xautoclaim(STREAM, GROUP, self.consumer, CLAIM_IDLE_MS, "0-0",
                                                      count=batch)
                entries = claimed[1] if claimed else []
                if not entries:
                    got: Any = await self.redis.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=batch, block=200)
                    entries = got[0][1] if got else []
                if entries:
                    await self.persist(entries)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("flash persister failed; retrying")
                await asyncio.sleep(0.5)

    async def persist(self, entries: list[tuple[str, dict[str, str]]]) -> int:
        """Turn stream entries into orders in one transaction; acknowledge after commit."""
        settings = self.db.settings
        failed: list[tuple[dict[str, str], str]] = []
        async with self.db.transaction() as s:
            flashes: dict[int, FlashListing] = {}
            for _entry_id, e in entries:
                flash_id, buyer_id, qty = int(e["flash"]), int(e["buyer"]), int(e["qty"])
                if flash_id not in flashes:
                    flashes[flash_id] = (await flash_service.get_flash(s, flash_id))[0]
                buyer = await s.get(User, buyer_id)
                try:
                    async with s.begin_nested():
                        assert buyer is not None
                        await flash_service.place_flash_order(
                            s, settings, buyer, flashes[flash_id], qty, Address(**json.loads(e["address"])),
                            idempotency_key=f"flash:{e['rid']}")
                except DomainError as exc:
                    failed.append((e, exc.code))
        if failed:  # give the units back in Redis and tell the buyer why
            pipe = self.redis.pipeline(transaction=False)
            for e, code in failed:
                main, per_buyer = _keys(int(e["flash"]))
                pipe.hincrby(main, "left", int(e["qty"]))
                pipe.hincrby(per_buyer, e["buyer"], -int(e["qty"]))
                pipe.hset(FAILED, e["rid"], code)
            await pipe.execute()
        await self.redis.xack(STREAM, GROUP, *[entry_id for entry_id, _ in entries])
        return len(entries) - len(failed)
