"""Flash sales through Redis: an atomic gate in front, orders persisted behind it.

When LAOTIE_REDIS_URL is set, a purchase is one Lua script: inside the sale window,
enough live stock, the buyer under the cap → take the units and append the purchase
to a Redis stream, all at once. One call judges any number of taps (a burst is one round
trip, see taps.py), and a tap that names a request id already accepted for its buyer gets
the same reservation back. The buyer gets 202 with a reservation id. A persister
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
from laotie.kit.realtime import channel_prefix
from laotie.live.errors import FlashCapReached, FlashNotOpen, FlashSoldOut
from laotie.live.sale.board import CHANNEL as BOARD_CHANNEL
from laotie.live.sale.board import FlashBoard, FlashFacts
from laotie.live.sale.board import now_ms as board_now_ms
from laotie.live.sale.service import flash as flash_service
from laotie.models import FlashListing, FlashPurchase, IdempotencyKey, User
from laotie.orders.service.checkout import Address

log = logging.getLogger("laotie.live.flash")

STREAM = "laotie:flash-orders"
GROUP = "persisters"
FAILED = "laotie:flash-failed"
CLAIM_IDLE_MS = 5_000

# Many taps in one call: a burst is one round trip, and the taps are judged in arrival order.
# KEYS: flash hash, buyers hash, requests hash, stream.
# ARGV[1]: flash id; then five per tap: buyer, qty, fresh reservation id, request id ('' = none), address json.
# Returns {state, left after, opens_ms, closes_ms, session, sku, late, now_ms, then per tap: answer, reservation}.
# state: 0 on sale, -3 ended, -4 not open yet, -9 not in Redis (nothing follows). late: 1 when the flash was
# sold out or ended before this call. answer: 1 accepted, 2 accepted before (same buyer and request id,
# the same reservation), -1 not enough left, -2 over the cap, else the state.
GATE = """
local f = redis.call('HMGET', KEYS[1], 'left', 'cap', 'opens_ms', 'closes_ms', 'closed', 'session', 'sku')
if not f[1] then return {-9} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = 0
if f[5] == '1' or (f[4] ~= '' and now >= tonumber(f[4])) then state = -3
elseif now < tonumber(f[3]) then state = -4 end
local left = tonumber(f[1])
local cap = tonumber(f[2])
local late = 0
if state == -3 or left <= 0 then late = 1 end
local out = {state, 0, f[3], f[4], f[6] or '', f[7] or '', late, now}
for i = 2, #ARGV, 5 do
  local buyer, qty, rid, req = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local answer = state
  local prior = false
  if req ~= '' then prior = redis.call('HGET', KEYS[3], buyer .. ':' .. req) end
  if prior then
    answer, rid = 2, prior
  elseif state == 0 then
    if left < qty then
      answer = -1
    elseif tonumber(redis.call('HGET', KEYS[2], buyer) or '0') + qty > cap then
      answer = -2
    else
      left = left - qty
      redis.call('HINCRBY', KEYS[1], 'left', -qty)
      redis.call('HINCRBY', KEYS[2], buyer, qty)
      redis.call('XADD', KEYS[4], '*', 'rid', rid, 'flash', ARGV[1], 'buyer', buyer, 'qty', ARGV[i + 1],
                 'address', ARGV[i + 4])
      if req ~= '' then redis.call('HSET', KEYS[3], buyer .. ':' .. req, rid) end
      answer = 1
    end
  end
  out[#out + 1] = answer
  out[#out + 1] = rid
end
out[2] = left
return out
"""
ACCEPTED, REPLAYED, NOT_ENOUGH, OVER_CAP, ENDED, NOT_OPEN, UNKNOWN = 1, 2, -1, -2, -3, -4, -9


# Create a flash's state only if it is absent, atomically: buyers arriving together may all
# find it missing, and a second rebuild must not reset the stock the first buyers took.
# KEYS: flash hash, buyers hash. ARGV: left, cap, opens_ms, closes_ms, closed, session, sku, then buyer/qty pairs.
LOAD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'left', ARGV[1], 'cap', ARGV[2], 'opens_ms', ARGV[3], 'closes_ms', ARGV[4],
           'closed', ARGV[5], 'session', ARGV[6], 'sku', ARGV[7])
redis.call('DEL', KEYS[2])
for i = 8, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
"""


def _keys(flash_id: int) -> tuple[str, str]:
    return f"laotie:flash:{flash_id}", f"laotie:flash:{flash_id}:buyers"


def _gate_keys(flash_id: int) -> list[str]:
    return [*_keys(flash_id), f"laotie:flash:{flash_id}:requests", STREAM]


def _ms(value: Any) -> str:
    return "" if value is None else str(int(value.timestamp() * 1000))


@dataclass(frozen=True)
class Reservation:
    reservation_id: str
    left: int


@dataclass(frozen=True, slots=True)
class Tap:
    """One buyer's tap as the gate takes it; `request_id` ('' = none) makes a retry get the same answer."""

    buyer_id: int
    quantity: int
    address: str  # JSON, stored with the purchase for the order
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class GateReply:
    """The flash as the gate saw it for a batch of taps, and each tap's (answer, reservation id)."""

    state: int
    left: int
    opens_ms: int
    closes_ms: int | None
    session_id: int | None
    sku_id: int | None
    late: bool
    now_ms: int
    answers: list[tuple[int, str]]


def address_json(address: Address) -> str:
    return json.dumps(address.__dict__, ensure_ascii=False)


def outcome(flash_id: int, answer: int, reservation_id: str, left: int) -> Reservation | DomainError:
    """What one tap's answer means for the buyer."""
    if answer in (ACCEPTED, REPLAYED):
        return Reservation(reservation_id, left)
    if answer == NOT_ENOUGH:
        return FlashSoldOut("sold out", field="quantity", flash_id=flash_id)
    if answer == OVER_CAP:
        return FlashCapReached("over the per-buyer cap for this sale", field="quantity")
    if answer == UNKNOWN:
        return FlashNotOpen("no such sale")
    return FlashNotOpen("this sale is not open" if answer == NOT_OPEN else "this sale has ended")


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
                                 _ms(flash.closes_at), "1" if flash.status == "closed" else "0", flash.session_id,
                                 flash.sku_id]
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

    async def take(self, flash_id: int, taps: list[Tap], s: AsyncSession | None = None) -> GateReply:
        """Judge taps for one flash in one call. `s`: the caller's session if it holds one (SQLite has one
        connection), for rebuilding the flash's state from the database when Redis has none."""
        keys = _gate_keys(flash_id)
        args: list[str | int] = [flash_id]
        for tap in taps:
            args += [tap.buyer_id, tap.quantity, secrets.token_urlsafe(12), tap.request_id, tap.address]
        reply = await self.gate(keys=keys, args=args, client=self.redis)
        if reply[0] == UNKNOWN:  # not in Redis (new, or Redis restarted): rebuild from the database, then retry once
            if s is not None:
                await self.load(s, flash_id)
            else:
                async with self.db.transaction() as own:
                    await self.load(own, flash_id)
            reply = await self.gate(keys=keys, args=args, client=self.redis)
        if reply[0] == UNKNOWN:
            return GateReply(UNKNOWN, 0, 0, None, None, None, False, 0, [(UNKNOWN, "")] * len(taps))
        state, left, opens, closes, session, sku, late, now = reply[:8]
        rest = reply[8:]
        return GateReply(int(state), int(left), int(opens), int(closes) if closes else None,
                         int(session) if session else None, int(sku) if sku else None, late == 1, int(now),
                         [(int(rest[i]), str(rest[i + 1])) for i in range(0, len(rest), 2)])

    async def reserve(self, buyer_id: int, flash_id: int, quantity: int, address: Address,
                      s: AsyncSession | None = None, request_id: str = "") -> Reservation:
        """One tap, on its own (the room page's form). `s`: as for `take`."""
        reply = await self.take(flash_id, [Tap(buyer_id, quantity, address_json(address), request_id)], s)
        answer, reservation_id = reply.answers[0]
        result = outcome(flash_id, answer, reservation_id, reply.left)
        if isinstance(result, DomainError):
            raise result
        return result

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
            await self._announce_available({int(e["flash"]) for e, _ in failed}, flashes)
        await self.redis.xack(STREAM, GROUP, *[entry_id for entry_id, _ in entries])
        return len(entries) - len(failed)

    async def _announce_available(self, flash_ids: set[int], flashes: dict[int, FlashListing]) -> None:
        """Units came back: boards that thought these flashes sold out must send taps to the gate again."""
        for flash_id in sorted(flash_ids):
            f = flashes[flash_id]
            facts = FlashFacts(f.session_id, f.sku_id, int(_ms(f.opens_at)), int(_ms(f.closes_at) or 0) or None)
            text = FlashBoard.state_message(flash_id, facts, "available", board_now_ms())
            try:
                await self.redis.publish(channel_prefix(self.redis) + BOARD_CHANNEL, text)
            except Exception:  # the board also learns from the gate's next answer
                log.exception("could not announce flash %s available again", flash_id)
