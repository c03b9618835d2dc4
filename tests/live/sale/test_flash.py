"""'3-2-1 上车' flash sales: never oversold, capped per buyer, stock returned; DB mode and Redis mode."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from laotie.live.sale import redis_gate as flash_redis
from laotie.models import FlashListing, Order, OrderLine, Sku
from tests.live.conftest import LiveRoom, go_live
from tests.support import ADDRESS, Api


async def schedule(api: Api, room: LiveRoom, *, stock: int = 100, cap: int = 1, countdown: int = 0,
                   price: int = 4900, expect: int = 201) -> dict:
    r = await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/flash", room.host, expect=expect, json={
        "sku_id": room.sku_id, "live_price": price, "live_stock": stock, "per_buyer_cap": cap,
        "countdown_seconds": countdown})
    return dict(r.json())


async def buy(api: Api, token: str, flash_id: int, quantity: int = 1):
    return await api.call("POST", f"/api/v1/live/flash/{flash_id}/buy", token,
                          json={"quantity": quantity, "address": ADDRESS})


async def test_db_mode_300_buyers_100_units(api: Api) -> None:
    room = await go_live(api, stock=500)
    flash = await schedule(api, room)
    async with api.db.transaction() as s:
        assert (await s.get(Sku, room.sku_id)).stock == 400  # live stock moved out of the SKU
    buyers = await asyncio.gather(*(api.user() for _ in range(300)))
    responses = await asyncio.gather(*(buy(api, b, flash["id"]) for b in buyers))
    assert Counter(r.status_code for r in responses) == {201: 100, 409: 200}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"sold_out"}
    async with api.db.transaction() as s:
        lines = (await s.execute(select(OrderLine))).scalars().all()
        assert len(lines) == 100 and {(ln.unit_price, ln.flash_id) for ln in lines} == {(4900, flash["id"])}
        sources = set((await s.execute(select(Order.source))).scalars())
        assert sources == {f"live:{room.session_id}"}
        assert (await s.get(FlashListing, flash["id"])).sold == 100
    assert await api.ledger_ok()


async def test_cap_countdown_close_and_return(api: Api) -> None:
    room = await go_live(api, stock=50)
    r = await schedule(api, room, stock=60, expect=409)
    assert r["code"] == "sold_out"  # cannot put more on sale than the SKU has
    early = await schedule(api, room, stock=10, countdown=600)
    r = await buy(api, await api.user(), early["id"])
    assert (r.status_code, r.json()["code"]) == (409, "flash_not_open")

    flash = await schedule(api, room, stock=10, cap=2)
    buyer = await api.user()
    assert (await buy(api, buyer, flash["id"], 2)).status_code == 201
    r = await buy(api, buyer, flash["id"])
    assert (r.status_code, r.json()["code"]) == (409, "purchase_limit_exceeded")
    outsider = await api.user("merchant")
    await api.call("POST", f"/api/v1/live/flash/{flash['id']}/close", outsider, expect=403)
    closed = (await api.call("POST", f"/api/v1/live/flash/{flash['id']}/close", room.host, expect=200)).json()
    assert (closed["status"], closed["returned"]) == ("closed", 8)
    r = await buy(api, await api.user(), flash["id"])
    assert r.json()["code"] == "flash_not_open"
    async with api.db.transaction() as s:
        assert (await s.get(Sku, room.sku_id)).stock == 50 - 10 - 10 + 8

    # ending the stream closes what is still scheduled and returns its stock
    await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/end", room.host, expect=200)
    await api.settle()
    async with api.db.transaction() as s:
        assert (await s.get(FlashListing, early["id"])).status == "closed"
        assert (await s.get(Sku, room.sku_id)).stock == 48


async def test_cancelled_flash_order_returns_to_the_sku(api: Api) -> None:
    room = await go_live(api, stock=20)
    flash = await schedule(api, room, stock=5)
    buyer = await api.user()
    order_id = (await buy(api, buyer, flash["id"])).json()["order_ids"][0]
    await api.call("POST", f"/api/v1/orders/{order_id}/cancel", buyer, expect=200)
    await api.call("POST", f"/api/v1/live/flash/{flash['id']}/close", room.host, expect=200)
    async with api.db.transaction() as s:
        assert (await s.get(Sku, room.sku_id)).stock == 20  # 15 + 1 cancelled + 4 unsold


async def wait_for_orders(api: Api, n: int, within: float = 20) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with api.db.transaction() as s:
            count = int((await s.execute(select(func.count()).select_from(Order))).scalar_one())
        if count >= n or loop.time() > deadline:
            return count
        await asyncio.sleep(0.1)


async def test_redis_mode_300_buyers_100_units(redis_api: Api) -> None:
    api = redis_api
    room = await go_live(api, stock=500)
    flash = await schedule(api, room)
    buyers = await asyncio.gather(*(api.user() for _ in range(300)))
    responses = await asyncio.gather(*(buy(api, b, flash["id"]) for b in buyers))
    assert Counter(r.status_code for r in responses) == {202: 100, 409: 200}
    assert await wait_for_orders(api, 100) == 100
    await asyncio.sleep(0.5)
    assert await wait_for_orders(api, 101, within=0.5) == 100  # and not one more
    accepted = [(r.json(), b) for r, b in zip(responses, buyers, strict=True) if r.status_code == 202]
    body, token = accepted[0]
    status = (await api.call("GET", body["status_url"], token, expect=200)).json()
    assert status["status"] == "placed" and len(status["order_ids"]) == 1
    async with api.db.transaction() as s:
        assert (await s.get(FlashListing, flash["id"])).sold == 100
    assert await api.ledger_ok()


async def test_redis_mode_survives_a_crashed_persister(redis_api: Api) -> None:
    """Entries taken by a process that died before committing are claimed and placed once."""
    api = redis_api
    room = await go_live(api, stock=100)
    flash = await schedule(api, room, stock=20)
    gate = api.db.services["flash_gate"]
    # Stop this process's persister, so the "dead" consumer below is the only reader.
    gate.stopping = True
    persisters = [t for t in asyncio.all_tasks() if t.get_name() == "flash-persister"]
    await asyncio.wait(persisters, timeout=5)
    assert all(t.done() for t in persisters)
    gate.stopping = False
    buyers = await asyncio.gather(*(api.user() for _ in range(5)))
    for b in buyers:
        assert (await buy(api, b, flash["id"])).status_code == 202
    # A consumer reads the entries and dies before persisting or acknowledging them.
    taken = await gate.redis.xreadgroup(flash_redis.GROUP, "dead-consumer", {flash_redis.STREAM: ">"}, count=10)
    assert len(taken[0][1]) == 5
    # Another process's persister claims them once they are idle, and persists them.
    flash_redis.CLAIM_IDLE_MS, saved = 0, flash_redis.CLAIM_IDLE_MS
    try:
        runner = asyncio.create_task(gate.run_persister())
        assert await wait_for_orders(api, 5) == 5
        gate.stopping = True
        await asyncio.wait([runner], timeout=5)
    finally:
        flash_redis.CLAIM_IDLE_MS = saved
    # Replaying the same entries (a crash after commit, before XACK) orders nothing twice.
    assert await gate.persist(taken[0][1]) == 5
    assert await wait_for_orders(api, 6, within=0.3) == 5
    async with api.db.transaction() as s:
        assert (await s.get(FlashListing, flash["id"])).sold == 5
