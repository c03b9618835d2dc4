"""Flash taps against real server processes: sold-out reaches another process's viewers through Redis,
and a web process killed mid-burst loses no tap it answered "accepted"."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from laotie.kit.db import Database
from laotie.models import FlashListing, IdempotencyKey, Order, OrderLine, Sku
from tests.conftest import make_settings
from tests.live.chat.support import SeededRoom, chat, seed_room
from tests.live.chat.test_processes import Servers
from tests.live.sale.test_flash_taps import flushed_redis
from tests.support import ADDRESS


@pytest.fixture
async def world(tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[tuple[SeededRoom, int, Servers, Database]]:
    """A live room with viewers' accounts (seeded through the services), and servers that share its database."""
    redis_url = await flushed_redis()
    db_path = tmp_path / "laotie.db"
    shutil.copy(migrated_sqlite, db_path)
    url = f"sqlite+aiosqlite:///{db_path}"
    db = Database.connect(make_settings(tmp_path, url))
    seeded = await seed_room(db, [f"viewer{i}" for i in range(12)])
    async with db.transaction() as s:
        sku_id = int((await s.execute(select(Sku.id).where(Sku.product_id == seeded.product_ids[0]))).scalar_one())
    servers = Servers(tmp_path, {
        "LAOTIE_DATABASE_URL": url, "LAOTIE_DATA_DIR": str(tmp_path), "LAOTIE_MEDIA_DIR": str(tmp_path / "media"),
        "LAOTIE_SECRET_KEY": "test-secret", "LAOTIE_JOBS_ENABLED": "false", "LAOTIE_REDIS_URL": redis_url,
        "LAOTIE_CHAT_FLUSH_MS": "50", "LAOTIE_SQLITE_SYNCHRONOUS": "NORMAL"})
    try:
        yield seeded, sku_id, servers, db
    finally:
        servers.stop()
        await db.dispose()


async def healthy(servers: Servers, within: float = 120) -> None:
    """Every server answers /healthz (start-up takes long on a busy machine)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient() as client:
        for proc, port in zip(servers.procs, servers.ports, strict=True):
            if proc.returncode is not None:
                continue  # killed on purpose
            while True:
                assert proc.poll() is None, servers.logs()
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                assert loop.time() < deadline, f"server on {port} never became healthy:\n{servers.logs()}"
                await asyncio.sleep(0.1)


def http_base(ws_base: str) -> str:
    return "http" + ws_base.removeprefix("ws")


async def schedule(base: str, room: SeededRoom, sku_id: int, stock: int, cap: int) -> int:
    async with httpx.AsyncClient(base_url=http_base(base)) as client:
        r = await client.post(f"/api/v1/live/sessions/{room.session_id}/flash",
                              headers={"Authorization": f"Bearer {room.host_token}"},
                              json={"sku_id": sku_id, "live_price": 4900, "live_stock": stock, "per_buyer_cap": cap,
                                    "countdown_seconds": 0})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def metric(text: str, name: str) -> int:
    return int(next(line for line in text.splitlines() if line.startswith(name)).rsplit(" ", 1)[1])


async def test_sold_out_reaches_the_viewers_and_the_memory_of_another_process(
        world: tuple[SeededRoom, int, Servers, Database]) -> None:
    room, sku_id, servers, _ = world
    servers.start(2)
    await healthy(servers)
    a, b = (f"ws://127.0.0.1:{p}" for p in servers.ports)
    sid = room.session_id
    (_, ann), (_, bob) = room.users["viewer0"], room.users["viewer1"]
    async with chat(b, sid) as viewer, chat(a, sid, ann) as buyer:
        flash_id = await schedule(a, room, sku_id, stock=1, cap=1)
        await buyer.send(type="flash.buy", flash_id=flash_id, request_id="last-unit", address=ADDRESS)
        answer = await buyer.until(lambda m: m.get("request_id") == "last-unit", within=10)
        assert (answer["type"], answer["status"], answer["left"]) == ("flash.answer", "accepted", 0)
        # Process A sold the last unit; the viewer on process B is told through Redis.
        state = await viewer.until(lambda m: m.get("type") == "flash_state", within=10)
        assert (state["flash_id"], state["state"]) == (flash_id, "sold_out")
    async with httpx.AsyncClient(base_url=http_base(b)) as client:
        r = await client.post(f"/api/v1/live/flash/{flash_id}/buy", headers={"Authorization": f"Bearer {bob}"},
                              json={"quantity": 1, "address": ADDRESS})
        assert (r.status_code, r.json()["code"]) == (409, "sold_out")
        metrics = (await client.get("/metrics")).text
    # B refused it from what it was told: it never asked the gate.
    assert metric(metrics, 'laotie_flash_taps_total{answered="memory"}') == 1
    assert metric(metrics, 'laotie_flash_taps_total{answered="gate"}') == 0
    assert "Traceback" not in servers.logs()


async def test_a_web_process_killed_mid_burst_loses_no_accepted_tap(
        world: tuple[SeededRoom, int, Servers, Database]) -> None:
    room, sku_id, servers, db = world
    servers.start(1)
    await healthy(servers)
    base = f"ws://127.0.0.1:{servers.ports[0]}"
    live_stock = 100
    flash_id = await schedule(base, room, sku_id, stock=live_stock, cap=live_stock)
    accepted: dict[str, int] = {}  # reservation id -> buyer's user id, as the clients saw them
    enough = asyncio.Event()

    def took(body: dict[str, Any], user_id: int) -> None:
        if body.get("status") == "accepted":
            accepted[body["reservation_id"]] = user_id
            if len(accepted) >= 20:
                enough.set()

    async def over_socket(user_id: int, token: str) -> None:
        with contextlib.suppress(Exception):  # until the server dies under it
            async with chat(base, room.session_id, token) as socket:
                for n in range(live_stock):
                    await socket.ws.send(json.dumps({"type": "flash.buy", "flash_id": flash_id,
                                                     "request_id": f"s{user_id}-{n}", "address": ADDRESS}))
                    took(await socket.until(lambda m, n=n: m.get("request_id") == f"s{user_id}-{n}"), user_id)

    async def over_http(user_id: int, token: str) -> None:
        with contextlib.suppress(httpx.TransportError):
            async with httpx.AsyncClient(base_url=http_base(base)) as client:
                for n in range(live_stock):
                    r = await client.post(f"/api/v1/live/flash/{flash_id}/buy",
                                          json={"quantity": 1, "address": ADDRESS},
                                          headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"h{n}"})
                    took(r.json(), user_id)

    buyers = [room.users[f"viewer{i}"] for i in range(12)]
    burst = [asyncio.create_task(over_socket(*b)) for b in buyers[:6]]
    burst += [asyncio.create_task(over_http(*b)) for b in buyers[6:]]
    await asyncio.wait_for(enough.wait(), 60)
    servers.procs[0].kill()  # SIGKILL: no shutdown, mid-burst
    servers.procs[0].wait()
    await asyncio.wait(burst, timeout=30)
    assert all(t.done() for t in burst)
    seen = dict(accepted)
    assert 20 <= len(seen) <= live_stock

    # A new process claims what the dead one accepted but had not written, and writes it once.
    servers.start(1)
    await healthy(servers)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:
        async with db.transaction() as s:
            keys = dict((await s.execute(select(IdempotencyKey.key, IdempotencyKey.payment_id)
                                         .where(IdempotencyKey.key.like("flash:%")))).all())
        if all(f"flash:{rid}" in keys for rid in seen) or loop.time() > deadline:
            break
        await asyncio.sleep(0.2)
    assert [rid for rid in seen if f"flash:{rid}" not in keys] == []  # nothing accepted is lost
    async with db.transaction() as s:
        per_payment = dict((await s.execute(select(Order.payment_id, func.count()).group_by(Order.payment_id))).all())
        units = (await s.execute(select(func.sum(OrderLine.quantity)).where(OrderLine.flash_id == flash_id))).scalar()
        listing = await s.get(FlashListing, flash_id)
    assert all(per_payment.get(keys[f"flash:{rid}"]) == 1 for rid in seen)  # each exactly one order
    assert listing is not None and listing.sold == units <= live_stock  # never oversold
    assert len(keys) == listing.sold  # and no order without its reservation
