"""Viewer latency: what the players report, kept per room for a minute, and the room's median.

A viewer's player measures how far behind the host it is (the server's clock minus the
wall-clock time of the frame on screen, see player.js) and reports it every ~12 s. The host's
console shows the median of the last minute and starts the host's "3-2-1 上车" countdown that
much earlier, so viewers hear "1" as their button opens.

In memory, per process, bounded: at most MAX_SAMPLES reports per room (the newest), each
kept WINDOW_SECONDS. With several web processes each one knows the reports of the viewers
it happens to serve, and the console shows the figure of the process that renders it. That
is a choice, not an oversight: a load balancer spreads a room's viewers over the processes,
so each process holds a random sample of them and its median estimates the room's; a
shared store would add a Redis round trip to every report for a figure that needs no more
than a tenth of a second's precision. A process with no reports says so ("no reports yet").

The median is what a skewed report cannot move: a viewer is limited to a report every few
seconds and an address to a few a second (ReportLimiter), so one source stays a small share
of a busy room's two thousand samples, and a share under half cannot carry the median.

Pure: no database, no HTTP; the clock is passed in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from statistics import median

WINDOW_SECONDS = 60.0
MAX_SAMPLES = 2_000
MAX_LATENCY_MS = 60_000
# Rooms with reports at once in one process; past it, the longest-quiet room is forgotten first.
MAX_ROOMS = 10_000


@dataclass(frozen=True)
class RoomLatency:
    """The room's viewer latency over the last minute: the median, and how many reports it is over."""

    median_ms: int | None
    samples: int

    @property
    def seconds(self) -> float | None:
        return None if self.median_ms is None else self.median_ms / 1000


class LatencySamples:
    """Recent latency reports per live room (session id)."""

    def __init__(self) -> None:
        self._rooms: dict[int, deque[tuple[float, int]]] = {}

    def add(self, session_id: int, latency_ms: int, now: float) -> None:
        """Record one report taken at `now` (a monotonic clock, seconds); the value must be in bounds."""
        if not 0 <= latency_ms <= MAX_LATENCY_MS:
            raise ValueError(f"latency {latency_ms} ms is outside 0..{MAX_LATENCY_MS}")
        samples = self._rooms.get(session_id)
        if samples is None:
            if len(self._rooms) >= MAX_ROOMS:
                self._forget_quiet(now)
            samples = self._rooms[session_id] = deque(maxlen=MAX_SAMPLES)
        samples.append((now, latency_ms))

    def room(self, session_id: int, now: float) -> RoomLatency:
        samples = self._rooms.get(session_id)
        if samples is None:
            return RoomLatency(None, 0)
        _expire(samples, now)
        if not samples:
            del self._rooms[session_id]
            return RoomLatency(None, 0)
        return RoomLatency(round(median(ms for _, ms in samples)), len(samples))

    def __len__(self) -> int:
        return len(self._rooms)

    def _forget_quiet(self, now: float) -> None:
        for session_id, samples in list(self._rooms.items()):
            _expire(samples, now)
            if not samples:
                del self._rooms[session_id]
        while len(self._rooms) >= MAX_ROOMS:
            quietest = min(self._rooms, key=lambda sid: self._rooms[sid][-1][0])
            del self._rooms[quietest]


def _expire(samples: deque[tuple[float, int]], now: float) -> None:
    # Appended in time order, so the expired ones are at the left.
    while samples and samples[0][0] <= now - WINDOW_SECONDS:
        samples.popleft()


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class ReportLimiter:
    """Token buckets: one per viewer (a report every VIEWER_EVERY seconds, a few at once) and per address.

    A player reports every ~12 s; the viewer's bucket leaves room for a clock sync and a retry.
    The address's bucket is wide, for many viewers behind one carrier NAT, and still bounds
    what one machine inventing viewers can add.
    """

    VIEWER_EVERY = 5.0
    VIEWER_BURST = 3
    ADDRESS_RATE = 5.0
    ADDRESS_BURST = 50
    MAX_BUCKETS = 50_000

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, viewer: str, address: str, now: float) -> int:
        """0 when this report may go in (and it is counted), else the milliseconds to wait."""
        buckets = [self._refill(key, now) for key in (f"v:{viewer}", f"a:{address}")]
        waits = [self._wait(b, key) for b, key in zip(buckets, ("v:", "a:"), strict=True)]
        if any(waits):
            return max(waits)
        for bucket in buckets:
            bucket.tokens -= 1
        return 0

    def _terms(self, key: str) -> tuple[float, int]:
        return (1 / self.VIEWER_EVERY, self.VIEWER_BURST) if key.startswith("v:") else \
            (self.ADDRESS_RATE, self.ADDRESS_BURST)

    def _refill(self, key: str, now: float) -> _Bucket:
        rate, burst = self._terms(key)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(burst), now)
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        return bucket

    def _wait(self, bucket: _Bucket, key: str) -> int:
        rate, _ = self._terms(key)
        return 0 if bucket.tokens >= 1.0 else int((1.0 - bucket.tokens) / rate * 1000) + 1

    def _forget_full(self, now: float) -> None:
        # A bucket that has refilled is the same as no bucket: drop those to bound memory.
        for key, b in list(self._buckets.items()):
            rate, burst = self._terms(key)
            if b.tokens + (now - b.stamp) * rate >= burst:
                del self._buckets[key]
        if len(self._buckets) >= self.MAX_BUCKETS:  # a flood of new names: forget the oldest half
            for key in list(self._buckets)[: self.MAX_BUCKETS // 2]:
                del self._buckets[key]
