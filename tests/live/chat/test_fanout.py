"""The room broadcaster: one frame per flush for every viewer, the display cap, slow sockets."""

from __future__ import annotations

import asyncio
import json

import pytest

from laotie.config import Settings
from laotie.live import room
from laotie.live.chat.fanout import Fanout
from tests.support import Api


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"chat_flush_ms": 30, "chat_frame_comments": 2, "chat_viewer_buffer": 3,
                                       "chat_stats_seconds": 0.05})


def comment(i: int) -> str:
    return room.encode({"id": i, "type": "comment", "body": f"c{i}"})


async def test_one_shared_frame_per_flush_with_a_display_cap(api: Api) -> None:
    fanout = Fanout(api.db)
    received: list[list[str]] = [[], []]
    viewers = [fanout.join(7, lambda text, n=n: _record(received[n], text)) for n in range(2)]
    for v in viewers:
        v.start([])
    for i in range(1, 6):
        await api.db.hub.publish(room.channel(7), comment(i))
    await api.db.hub.publish(room.channel(7), room.encode({"id": 6, "type": "system", "body": "pinned"}))
    await asyncio.sleep(0.2)
    assert received[0] == received[1]  # the same frames, the same text
    frames = [json.loads(t) for t in received[0]]
    shown = [m for f in frames for m in f if m.get("type") != "stats"]
    assert [m["id"] for m in shown] == [4, 5, 6]  # the newest comments fit the cap; system always passes
    assert len([f for f in frames if any(m.get("id") == 6 for m in f)]) == 1
    stats = [m for f in frames for m in f if m.get("type") == "stats"]
    assert sum(m["skipped"] for m in stats) == 3 and stats[-1]["viewers"] == 2
    for v in viewers:
        await fanout.leave(7, v)
    assert fanout.rooms == {}


async def test_a_stuck_socket_is_dropped_without_holding_up_the_room(api: Api) -> None:
    fanout = Fanout(api.db)
    never = asyncio.Event()
    fast: list[str] = []

    async def stuck(_text: str) -> None:
        await never.wait()

    slow_viewer = fanout.join(8, stuck)
    fast_viewer = fanout.join(8, lambda text: _record(fast, text))
    slow_viewer.start([])
    fast_viewer.start([])
    for i in range(1, 9):
        await api.db.hub.publish(room.channel(8), comment(i))
        await asyncio.sleep(0.04)  # one frame each
    await asyncio.sleep(0.1)
    assert await asyncio.wait_for(slow_viewer.ended, 1) == "lagging"
    assert not fast_viewer.ended.done()
    ids = [m["id"] for t in fast for m in json.loads(t) if m.get("type") == "comment"]
    assert ids == list(range(1, 9))
    await fanout.leave(8, slow_viewer)
    await fanout.leave(8, fast_viewer)


async def test_a_slow_socket_catches_up_in_order_on_its_own(api: Api) -> None:
    fanout = Fanout(api.db)
    slow: list[str] = []
    fast: list[str] = []

    async def sluggish(text: str) -> None:
        await asyncio.sleep(0.05)  # slower than the 30 ms flush, within the buffer
        slow.append(text)

    viewers = [fanout.join(10, sluggish), fanout.join(10, lambda text: _record(fast, text))]
    for v in viewers:
        v.start([])
    for i in range(1, 7):
        await api.db.hub.publish(room.channel(10), comment(i))
        await asyncio.sleep(0.035)
    await asyncio.sleep(0.5)

    def ids(texts: list[str]) -> list[int]:
        return [m["id"] for t in texts for m in json.loads(t) if m.get("type") == "comment"]

    assert ids(slow) == ids(fast) == [1, 2, 3, 4, 5, 6]
    assert not any(v.ended.done() for v in viewers)
    for v in viewers:
        await fanout.leave(10, v)


async def test_history_overlap_is_not_sent_twice(api: Api) -> None:
    fanout = Fanout(api.db)
    got: list[str] = []
    viewer = fanout.join(9, lambda text: _record(got, text))
    # published while the history was being read: ids 1-2 are in the history too
    for i in (1, 2, 3):
        await api.db.hub.publish(room.channel(9), comment(i))
    await asyncio.sleep(0.1)
    viewer.start([{"id": 1, "type": "comment"}, {"id": 2, "type": "comment"}])
    await asyncio.sleep(0.1)
    ids = [m["id"] for t in got for m in json.loads(t) if m.get("type") == "comment"]
    assert ids == [1, 2, 3]
    await fanout.leave(9, viewer)


async def _record(into: list[str], text: str) -> None:
    into.append(text)
