"""Room fan-out inside one process: one hub subscription and one broadcaster per room.

Why it is shaped like this (a room may hold thousands of sockets per process):

* one subscription per room per process, not one per viewer: a published message is
  parsed once here, however many viewers watch;
* the broadcaster wakes every `chat_flush_ms` (default 200 ms), or at once when a message
  marked `"urgent": true` arrives (a flash sold out: thousands about to tap), gathers what arrived and
  builds ONE frame, a JSON array of the raw published messages joined as text (encoded
  once per flush, never per viewer), appends it to the room's short frame log and wakes
  every viewer through ONE shared future. Nothing per viewer is allocated to wait: with
  thousands of sockets, a future per viewer per flush lives long enough to reach the
  oldest GC generation, and Python's full collections then stall the whole process for
  most of a second (measured with bench/live_chat.py);
* display cap: at most `chat_frame_comments` comments per frame (the newest); everything
  else (system events, automatic replies, hides, flash stock updates) always passes. Skipped comments stay in the log
  (history shows them) and are counted in the stats message ("skipped");
* each viewer has its own sender task reading the room's frame log at its own pace, so
  no viewer waits for another and the broadcaster waits for none. The log keeps
  `chat_viewer_buffer` frames: a socket that falls further behind (a phone in a tunnel)
  is dropped with close code 4008 and its client resumes with `after=<last id>`;
* viewers and likes are synchronised about once a second (chat_state: in-process or
  Redis) and ride in the frames as {"type": "stats", "viewers", "likes", "skipped"}.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from laotie.kit.db import Database
from laotie.live import room
from laotie.live.analytics.meter import meter_of
from laotie.live.chat.state import chat_state

log = logging.getLogger("laotie.chat")
LAGGING = 4008  # close code: too slow for the room; reconnect with after=<last id>
CAPPED = "comment"  # the only kind the display cap may skip; events, replies, hides, stock always pass
URGENT = '"urgent":true'  # in a room message (as room.encode writes it): flush at once


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@dataclass(frozen=True, slots=True)
class Frame:
    text: str
    ids: tuple[int, ...] = ()  # logged message ids in the frame, for resume de-duplication


class Viewer:
    """One socket: where it is in the room's frame log, and how its frames leave.

    The broadcaster hands a caught-up viewer each frame directly: the send is started in
    place and nearly always completes without suspending (the socket's buffer has room).
    Only when a send has to wait (a client that reads slowly) is the rest of that send
    finished in a task of its own, which then catches up from the frame log at the
    socket's pace while the broadcaster moves on. No task wakes and no future waits per
    viewer per flush, so a flush leaves no garbage that outlives it.
    """

    def __init__(self, feed: RoomFanout, send: Callable[[str], Awaitable[None]]) -> None:
        self.feed = feed
        self.send = send
        self.next_seq = feed.seq + 1  # frames from now on; the history covers the past
        self.private: deque[str] = deque()
        # Ids already sent with the history, and the newest id the viewer has (its history's,
        # or the `after` it resumed from): frames that overlap them are filtered once.
        self.seen: frozenset[int] = frozenset()
        self.floor = 0
        self.busy: asyncio.Task[None] | None = None  # finishing a send / catching up
        self.started = False
        self.lagging = False
        self.closed = False
        # Resolved once when the viewer is finished with: "lagging" or "gone" (send failed).
        self.ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def start(self, history: list[dict[str, Any]], after: int = 0) -> None:
        """Send the history first, then every frame built since the viewer joined."""
        self.started = True
        self.floor = max([after, *(m["id"] for m in history)])
        if history:
            self.seen = frozenset(m["id"] for m in history)
            self.private.appendleft(room.encode(history))
        self.busy = asyncio.create_task(self._catch_up(None), name="chat-viewer")

    def offer_private(self, text: str) -> None:
        """A frame for this viewer only (its own echo, an error), sent now or right after what is in flight."""
        if self.closed:
            return
        if len(self.private) >= self.feed.keep:
            self._end("lagging")
            return
        if self.started and self.busy is None and not self.private:
            # Caught up and idle (a flash tap's answer, usually): send in place, as the broadcaster
            # does, rather than start a task per private frame.
            self._start_send(text)
            return
        self.private.append(text)
        if self.started and self.busy is None:
            self.busy = asyncio.create_task(self._catch_up(None), name="chat-viewer")

    def push(self, frame: Frame) -> None:
        """The broadcaster's path for a caught-up viewer: this frame, now."""
        self.next_seq += 1
        text = self._without_seen(frame) if self.floor and frame.ids else frame.text
        if text:
            self._start_send(text)

    def _start_send(self, text: str) -> None:
        coro: Any = self.send(text)
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            return  # sent: the usual case
        except Exception:
            self._end("gone")
            return
        self.busy = asyncio.create_task(self._catch_up((coro, waiting_on)), name="chat-viewer")

    async def _catch_up(self, in_flight: tuple[Any, Any] | None) -> None:
        try:
            if in_flight is not None:
                await _finish(*in_flight)
            feed = self.feed
            while not self.closed:
                if self.next_seq < feed.first_seq:
                    self._end("lagging")
                    return
                if self.private:
                    await self.send(self.private.popleft())
                elif self.next_seq <= feed.seq:
                    frame = feed.frames[self.next_seq - feed.first_seq]
                    self.next_seq += 1
                    text = self._without_seen(frame) if self.floor and frame.ids else frame.text
                    if text:
                        await self.send(text)
                else:
                    break  # caught up: the broadcaster takes over again
        except asyncio.CancelledError:
            if not self.closed:
                raise
        except Exception:
            self._end("gone")
        finally:
            self.busy = None

    def _without_seen(self, frame: Frame) -> str:
        # Rare path: only frames built while the history was being read overlap it, and a message
        # that committed after newer ones (its id below what the viewer already has) arrives
        # late. The log is ordered by id: such a message is past for this viewer, as it would
        # be for a client resuming after that id.
        if min(frame.ids) > self.floor:
            self.seen, self.floor = frozenset(), 0
            return frame.text
        kept = [m for m in json.loads(frame.text)
                if m.get("type") == "hide" or m.get("id") is None
                or (m["id"] not in self.seen and m["id"] > self.floor)]
        return room.encode(kept) if kept else ""

    def _end(self, why: str) -> None:
        self.closed = True
        if not self.ended.done():
            self.ended.set_result(why)
        busy = self.busy
        if busy is not None and busy is not asyncio.current_task():
            busy.cancel()  # perhaps stuck in a send to a client that stopped reading

    def stop(self) -> None:
        self._end("gone")


async def _finish(coro: Any, waiting_on: Any) -> None:
    """Drive a send coroutine that suspended on its first step to the end, inside this task.

    `waiting_on` is what the coroutine yielded: the asyncio future it waits for (or None
    for a bare yield). Awaiting that future here and resuming the coroutine afterwards is
    exactly what a Task would do; it lets the common, non-waiting send skip the Task.
    """
    try:
        while True:
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                # What Task.__step does with a yielded future: take it off "blocking", wait for it.
                waiting_on._asyncio_future_blocking = False
                with contextlib.suppress(Exception):
                    await waiting_on  # its outcome reaches the coroutine when it resumes
            waiting_on = coro.send(None)
    except StopIteration:
        return
    except BaseException:
        coro.close()
        raise


class RoomFanout:
    """The viewers of one room in this process, fed by one subscription and one broadcaster."""

    def __init__(self, owner: Fanout, session_id: int) -> None:
        self.owner = owner
        self.session_id = session_id
        settings = owner.db.settings
        self.flush_seconds = settings.chat_flush_ms / 1000
        self.cap = settings.chat_frame_comments
        self.keep = settings.chat_viewer_buffer
        self.viewers: set[Viewer] = set()
        self.sub = owner.db.hub.subscribe(room.channel(session_id))
        self.sub.on_message = self._on_message
        self._tick: asyncio.Future[None] | None = None  # resolved by the clock, or early by an urgent message
        # The frame log: frames[i] has sequence number first_seq + i; seq is the newest.
        self.frames: deque[Frame] = deque()
        self.first_seq = 1
        self.seq = 0
        self.skipped = 0  # comments left out of frames by the cap since the last stats
        self.skipped_total = 0
        self.stats: str | None = None  # the next stats message to slip into a frame
        self.tasks = [asyncio.create_task(self._broadcast(), name=f"chat-room-{session_id}"),
                      asyncio.create_task(self._sync_stats(), name=f"chat-stats-{session_id}")]

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.sub.close()
        for viewer in self.viewers:
            viewer.stop()

    async def _broadcast(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            next_at += self.flush_seconds
            delay = next_at - loop.time()
            if delay < 0:  # fell behind (a long pause): start a fresh cadence, never a burst
                next_at, delay = loop.time(), 0
            self._tick = tick = loop.create_future()
            timer = loop.call_later(delay, _resolve, tick)
            await tick
            timer.cancel()
            try:
                self.flush()
            except Exception:  # one bad message must not silence the room
                log.exception("chat flush failed in room %s", self.session_id)

    def _on_message(self, message: str) -> None:
        """A message marked urgent (a flash sold out) goes out in a frame now, not at the next tick."""
        if URGENT in message and self._tick is not None:
            _resolve(self._tick)

    def flush(self) -> None:
        queue = self.sub.queue
        raws = [queue.get_nowait() for _ in range(queue.qsize())]
        if self.sub.dropped:  # the hub dropped what this process could not take in time
            self.skipped += self.sub.dropped
            self.skipped_total += self.sub.dropped
            self.sub.dropped = 0
        parts, ids = self._select(raws)
        if self.stats is not None:
            parts.append(self.stats)
            self.stats = None
        if not parts:
            return
        frame = Frame("[" + ",".join(parts) + "]", tuple(ids))
        self.frames.append(frame)
        self.seq += 1
        while len(self.frames) > self.keep:
            self.frames.popleft()
            self.first_seq += 1
        oldest = self.first_seq
        for viewer in tuple(self.viewers):
            if viewer.busy is None:
                if viewer.started and not viewer.closed:
                    viewer.push(frame)
            elif viewer.next_seq < oldest:
                viewer._end("lagging")  # its sends cannot keep up with the room

    def _select(self, raws: list[str]) -> tuple[list[str], list[int]]:
        """Apply the display cap: the newest `cap` comments; everything else passes."""
        decoded = []
        comments = 0
        for raw in raws:
            try:
                message = json.loads(raw)
            except ValueError:
                log.warning("dropping a malformed room message in room %s", self.session_id)
                continue
            kind = message.get("type")
            comments += kind == CAPPED
            decoded.append((raw, kind, message.get("id")))
        over = max(0, comments - self.cap)
        self.skipped += over
        self.skipped_total += over
        parts, ids = [], []
        for raw, kind, message_id in decoded:
            if kind == CAPPED and over:
                over -= 1
                continue
            parts.append(raw)
            if kind != "hide" and isinstance(message_id, int):
                ids.append(message_id)
        return parts, ids

    async def _sync_stats(self) -> None:
        state = chat_state(self.owner.db)
        meter = meter_of(self.owner.db)
        settings = self.owner.db.settings
        last: tuple[int, int] | None = None
        peak = 0
        while True:
            try:
                stats = await state.sync_room(self.session_id, len(self.viewers))
            except Exception:
                log.exception("chat stats sync failed in room %s", self.session_id)
            else:
                # Store a new peak before announcing the count, so whoever sees it can also read it back.
                if stats.viewers > peak:
                    peak = stats.viewers
                    await self.owner.record_peak(self.session_id, peak)
                now = (stats.viewers, stats.likes)
                if now != last or self.skipped:
                    self.stats = room.encode({"type": "stats", "viewers": stats.viewers, "likes": stats.likes,
                                              "skipped": self.skipped})
                    self.skipped, last = 0, now
                # The room's total across processes: every process may sample it, the minute keeps the max.
                meter.sample_viewers(self.session_id, stats.viewers)
            await asyncio.sleep(settings.chat_stats_seconds)


class Fanout:
    """Every room this process serves; rooms start with their first viewer and stop with the last."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rooms: dict[int, RoomFanout] = {}

    def join(self, session_id: int, send: Callable[[str], Awaitable[None]]) -> Viewer:
        """Register a viewer at once (so nothing published from now on is missed); start it later."""
        feed = self.rooms.get(session_id)
        if feed is None:
            feed = self.rooms[session_id] = RoomFanout(self, session_id)
        viewer = Viewer(feed, send)
        feed.viewers.add(viewer)
        return viewer

    async def leave(self, session_id: int, viewer: Viewer) -> None:
        busy = viewer.busy
        viewer.stop()
        feed = self.rooms.get(session_id)
        if feed is not None:
            feed.viewers.discard(viewer)
            if not feed.viewers:
                del self.rooms[session_id]
                feed.close()
        if busy is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await busy

    def viewers(self, session_id: int) -> int:
        feed = self.rooms.get(session_id)
        return len(feed.viewers) if feed is not None else 0

    async def record_peak(self, session_id: int, viewers: int) -> None:
        from laotie.live.chat.service import record_peak_viewers

        try:
            async with self.db.transaction() as s:
                await record_peak_viewers(s, session_id, viewers)
        except Exception:
            log.exception("could not record peak viewers of room %s", session_id)
