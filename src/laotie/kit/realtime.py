"""Room fan-out: publish to a channel, every subscriber in every process receives it.

In-process on the embedded default; through Redis pub/sub when LAOTIE_REDIS_URL is set,
so viewers connected to different app processes see the same room. Redis pub/sub ignores
the database number, so channels carry it (`laotie:<db>:<channel>`): two deployments (or a
test run and a bench) on one Redis server with different databases never hear each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

log = logging.getLogger("laotie.realtime")
PREFIX = "laotie:"
_MARK = "\x00"  # opens and closes the origin of a message its publisher delivered itself (no JSON starts so)


def channel_prefix(redis: Any) -> str:
    """What every channel of the deployment using this Redis client starts with."""
    db = redis.connection_pool.connection_kwargs.get("db", 0)
    return f"{PREFIX}{db}:"


class Hub(Protocol):
    async def publish(self, channel: str, message: str) -> None: ...

    def deliver(self, channel: str, message: str) -> None: ...

    async def publish_to_others(self, sends: list[tuple[str, str]]) -> None: ...

    def subscribe(self, channel: str) -> Subscription: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Subscription:
    """A bounded queue of messages for one subscriber; slow readers drop the oldest."""

    def __init__(self, hub: LocalHub, channel: str, maxsize: int = 1000) -> None:
        self.hub = hub
        self.channel = channel
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize)
        self.dropped = 0
        # Told of each message as it is queued, for a reader that waits on a clock but wants to
        # know at once about some messages (a room's sold-out).
        self.on_message: Callable[[str], None] | None = None

    def put(self, message: str) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(message)
        if self.on_message is not None:
            self.on_message(message)

    async def get(self) -> str:
        return await self.queue.get()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[str]:
        while True:
            yield await self.queue.get()

    def close(self) -> None:
        self.hub.unsubscribe(self)


class LocalHub:
    def __init__(self) -> None:
        self.channels: dict[str, set[Subscription]] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def subscribe(self, channel: str) -> Subscription:
        sub = Subscription(self, channel)
        self.channels.setdefault(channel, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self.channels.get(sub.channel)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.channels[sub.channel]

    def deliver(self, channel: str, message: str) -> None:
        for sub in tuple(self.channels.get(channel, ())):
            sub.put(message)

    async def publish(self, channel: str, message: str) -> None:
        self.deliver(channel, message)

    async def publish_to_others(self, sends: list[tuple[str, str]]) -> None:
        """To the other processes, what this one has `deliver`ed itself: none here."""
        return None


class RedisHub(LocalHub):
    """Publishes through Redis; one pattern subscription per process feeds local subscribers."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self.redis = redis.from_url(url, decode_responses=True)
        self.prefix = channel_prefix(self.redis)
        self.origin = uuid.uuid4().hex[:12]  # marks what this process delivered itself
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="redis-hub")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _read(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.prefix + "*")
                self._ready.set()
                async for item in pubsub.listen():
                    if item.get("type") == "pmessage":
                        data = str(item["data"])
                        if data.startswith(_MARK):
                            origin, _, data = data[1:].partition(_MARK)
                            if origin == self.origin:
                                continue
                        self.deliver(str(item["channel"])[len(self.prefix):], data)
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except Exception:  # connection lost: resubscribe after a pause
                log.exception("redis hub reader failed; reconnecting")
                await asyncio.sleep(1)

    async def publish(self, channel: str, message: str) -> None:
        await self.redis.publish(self.prefix + channel, message)

    async def publish_to_others(self, sends: list[tuple[str, str]]) -> None:
        """Several (channel, message), in this order and one round trip, to every process but this one
        (which delivered them itself, without waiting for Redis: in a busy loop every hop is long)."""
        pipe = self.redis.pipeline(transaction=False)
        for channel, message in sends:
            pipe.publish(self.prefix + channel, f"{_MARK}{self.origin}{_MARK}{message}")
        await pipe.execute()

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.redis.aclose()


def make_hub(redis_url: str) -> Hub:
    return RedisHub(redis_url) if redis_url else LocalHub()
