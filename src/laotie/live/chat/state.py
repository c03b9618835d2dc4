"""Chat counters that outlive a transaction: rate-limit buckets, likes, viewers per room.

Two backends with one interface. In-process when laotie runs alone; in Redis when
LAOTIE_REDIS_URL is set, so every app process shares the same buckets and totals:

* the per-user limit is a token bucket (rate r/s, burst b) kept in a Redis hash and
  updated by one Lua script, atomic and on Redis's clock, so two processes can never
  both spend the last token and skewed app clocks do not matter;
* likes are counted locally and added to Redis once per stats tick (INCRBY), so a room
  full of tapping thumbs costs one Redis call per process per second, not one per tap;
* each process writes its own viewer count for a room with an expiry stamp and reads
  the sum of the live stamps: a crashed process stops counting after a few seconds.
"""

from __future__ import annotations

import os
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_ms: int = 0


@dataclass(frozen=True)
class RoomStats:
    viewers: int
    likes: int


class ChatState(Protocol):
    async def take_token(self, key: str, rate: float, burst: int) -> Verdict: ...

    def add_likes(self, session_id: int, n: int) -> None: ...

    async def sync_room(self, session_id: int, local_viewers: int) -> RoomStats: ...


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class LocalChatState:
    """One process: everything in memory."""

    MAX_BUCKETS = 50_000

    def __init__(self) -> None:
        self.buckets: dict[str, _Bucket] = {}
        self.likes: dict[int, int] = {}

    async def take_token(self, key: str, rate: float, burst: int) -> Verdict:
        now = time.monotonic()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.MAX_BUCKETS:
                self._forget_full(now, rate, burst)
            bucket = self.buckets[key] = _Bucket(float(burst), now)
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict(True)
        return Verdict(False, int((1.0 - bucket.tokens) / rate * 1000) + 1)

    def _forget_full(self, now: float, rate: float, burst: int) -> None:
        # A bucket that has refilled is the same as no bucket: drop those to bound memory.
        full = [k for k, b in self.buckets.items() if b.tokens + (now - b.stamp) * rate >= burst]
        for k in full:
            del self.buckets[k]

    def add_likes(self, session_id: int, n: int) -> None:
        self.likes[session_id] = self.likes.get(session_id, 0) + n

    async def sync_room(self, session_id: int, local_viewers: int) -> RoomStats:
        return RoomStats(local_viewers, self.likes.get(session_id, 0))


_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'n', 't')
local tokens = tonumber(v[1]) or burst
local last = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'n', tostring(tokens), 't', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
"""

# KEYS: viewers hash, likes counter. ARGV: process id, local viewers, likes to add, ttl ms.
_SYNC_ROOM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. (now + ttl))
redis.call('PEXPIRE', KEYS[1], ttl * 4)
local total = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local count, expires = string.match(all[i + 1], '^(%d+):(%d+)$')
  if count == nil or tonumber(expires) < now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    total = total + tonumber(count)
  end
end
local likes = redis.call('INCRBY', KEYS[2], tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[2], 172800)
return {total, likes}
"""


class RedisChatState:
    """Several processes: buckets and totals in Redis (scripts above)."""

    def __init__(self, redis: Any, stats_seconds: float = 1.0) -> None:
        self.redis = redis
        self.process = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.pending_likes: dict[int, int] = {}
        # A count lives three ticks: long enough to bridge a slow tick, short after a crash.
        self.viewer_ttl_ms = int(stats_seconds * 3000) + 1000
        self._bucket = redis.register_script(_BUCKET_SCRIPT)
        self._sync = redis.register_script(_SYNC_ROOM)

    async def take_token(self, key: str, rate: float, burst: int) -> Verdict:
        wait = int(await self._bucket(keys=[f"laotie:chat:rate:{key}"], args=[rate, burst]))
        return Verdict(wait == 0, wait)

    def add_likes(self, session_id: int, n: int) -> None:
        self.pending_likes[session_id] = self.pending_likes.get(session_id, 0) + n

    async def sync_room(self, session_id: int, local_viewers: int) -> RoomStats:
        delta = self.pending_likes.pop(session_id, 0)
        try:
            viewers, likes = await self._sync(
                keys=[f"laotie:chat:viewers:{session_id}", f"laotie:chat:likes:{session_id}"],
                args=[self.process, local_viewers, delta, self.viewer_ttl_ms])
        except BaseException:
            self.add_likes(session_id, delta)  # keep the taps for the next tick
            raise
        return RoomStats(int(viewers), int(likes))


_states: weakref.WeakKeyDictionary[Any, ChatState] = weakref.WeakKeyDictionary()
_no_hub = LocalChatState()


def chat_state(db: Any) -> ChatState:
    """The chat counters of this process for a Database: Redis-backed when its hub is."""
    hub = getattr(db, "hub", None)
    if hub is None:  # CLI and scripts without a running app: this process only
        return _no_hub
    state = _states.get(hub)
    if state is None:
        redis = getattr(hub, "redis", None)
        state = _states[hub] = (RedisChatState(redis, db.settings.chat_stats_seconds) if redis is not None
                                else LocalChatState())
    return state
