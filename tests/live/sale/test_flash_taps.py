"""Taps on "上车" over the room's socket and HTTP: refused from memory once the process knows, one
reservation per request id, the cap held across both ways in."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from laotie.app import create_app
from laotie.kit import fastpath
from laotie.live.sale.board import board_of
from laotie.live.sale.fastpath import buy_flash_fast
from laotie.models import FlashPurchase, Order
from tests import support
from tests.conftest import make_settings
from tests.live.chat.support import ChatClient, chat, fast_chat, served
from tests.live.conftest import LiveRoom, go_live
from tests.live.sale.test_flash import schedule, wait_for_orders
from tests.support import ADDRESS, ENGLISH, Api

# Its own Redis database: other suites flush theirs.
REDIS_URL = os.environ.get("LAOTIE_TEST_FLASH_REDIS_URL", "redis://127.0.0.1:6379/12")
KEY = "Idempotency-Key"


async def flushed_redis(url: str = REDIS_URL) -> str:
    return await support.flushed_redis(url)


@pytest.fixture
async def taps_api(tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[Api]:
    """The app in Redis mode (its own Redis database), frames every 20 ms."""
    url = await flushed_redis()
    shutil.copy(migrated_sqlite, tmp_path / "t.db")
    settings = fast_chat(make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 't.db'}", redis_url=url))
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://laotie.test", headers=ENGLISH) as client:
        yield Api(client, app)


class CountingRedis:
    """The gate's real Redis client, recording every command sent through it."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attr(*args, **kwargs)

        return counted


async def http_tap(api: Api, token: str, flash_id: int, key: str | None = None) -> httpx.Response:
    headers = {KEY: key} if key else {}
    return await api.call("POST", f"/api/v1/live/flash/{flash_id}/buy", token, headers=headers,
                          json={"quantity": 1, "address": ADDRESS})


async def socket_tap(client: ChatClient, flash_id: int, request_id: str) -> dict[str, Any]:
    await client.send(type="flash.buy", flash_id=flash_id, request_id=request_id, address=ADDRESS)
    return await client.until(lambda m: m.get("request_id") == request_id)


async def stop_tasks(*names: str) -> None:
    """Background tasks that would also use the gate's client (the persister, the stock feed)."""
    found = [t for t in asyncio.all_tasks() if t.get_name() in names]
    for task in found:
        task.cancel()
    await asyncio.wait(found, timeout=5)
    assert all(t.done() for t in found)


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        assert loop.time() < deadline, "never happened"
        await asyncio.sleep(0.02)


async def test_not_open_and_sold_out_are_answered_without_redis(taps_api: Api) -> None:
    api = taps_api
    gate = api.db.services["flash_gate"]
    gate.stopping = True  # the persister and the stock feed use the same client: stop them
    await stop_tasks("flash-persister", "flash-stock")
    board = board_of(api.db)
    room = await go_live(api, stock=50)
    later = await schedule(api, room, stock=5, countdown=600)
    now = await schedule(api, room, stock=2)
    await api.settle()
    # The countdown reaches every process's board through the hub, before anyone taps.
    await eventually(lambda: {later["id"], now["id"]} <= set(board.flashes))
    counting = gate.redis = CountingRedis(gate.redis)
    buyers = await asyncio.gather(*(api.user() for _ in range(4)))
    async with served(api.app) as base, chat(base, room.session_id, buyers[0]) as first, \
            chat(base, room.session_id, buyers[2]) as third:
        r = await http_tap(api, buyers[0], later["id"])
        assert (r.status_code, r.json()["code"]) == (409, "flash_not_open")
        refused = await socket_tap(first, later["id"], "early")
        assert (refused["type"], refused["code"]) == ("error", "flash_not_open")
        assert counting.calls == [] and board.counts.memory == 2

        # Two units, two buyers: the gate takes them (so the counter does see the gate's calls) ...
        assert (await http_tap(api, buyers[0], now["id"])).status_code == 202
        assert (await http_tap(api, buyers[1], now["id"])).status_code == 202
        assert counting.calls.count("evalsha") == 2
        seen = len(counting.calls)
        # ... and the answer that took the last one told the board: later taps stay in the process.
        refused = await socket_tap(third, now["id"], "late")
        assert (refused["type"], refused["code"]) == ("error", "sold_out")
        r = await http_tap(api, buyers[3], now["id"])
        assert (r.status_code, r.json()["code"]) == (409, "sold_out")
        assert len(counting.calls) == seen
        assert (board.counts.memory, board.counts.gate, board.counts.late) == (4, 2, 0)
        # Every viewer's button closes: the room is told.
        state = await third.until(lambda m: m.get("type") == "flash_state")
        assert (state["flash_id"], state["state"], state["left"]) == (now["id"], "sold_out", 0)
    metrics = (await api.client.get("/metrics")).text
    assert 'laotie_flash_taps_total{answered="memory"} 4' in metrics
    assert "laotie_flash_late_taps_total 0" in metrics


async def orders_of(api: Api, flash_id: int) -> tuple[int, int]:
    async with api.db.transaction() as s:
        orders = int((await s.execute(select(func.count()).select_from(Order))).scalar_one())
        units = (await s.execute(select(func.coalesce(func.sum(FlashPurchase.quantity), 0))
                                 .where(FlashPurchase.flash_id == flash_id))).scalar_one()
    return orders, int(units)


async def one_buyer_two_ways(api: Api, room: LiveRoom, flash: dict[str, Any]) -> list[Any]:
    """The same buyer taps over the socket and over HTTP, with the same request id and new ones."""
    buyer = await api.user()
    async with served(api.app) as base, chat(base, room.session_id, buyer) as socket:
        first = await socket_tap(socket, flash["id"], "tap-1")
        again = await http_tap(api, buyer, flash["id"], key="tap-1")
        other = await http_tap(api, buyer, flash["id"], key="tap-2")
        third = await socket_tap(socket, flash["id"], "tap-3")
    assert first["type"] == "flash.answer"
    assert (other.status_code, other.json()["code"]) == (409, "purchase_limit_exceeded")
    assert (third["type"], third["code"]) == ("error", "purchase_limit_exceeded")
    return [first, again.status_code, again.json(), buyer]


async def test_a_socket_tap_and_an_http_tap_make_one_reservation(taps_api: Api) -> None:
    api = taps_api
    room = await go_live(api, stock=50)
    flash = await schedule(api, room, stock=10, cap=1)
    first, status, again, buyer = await one_buyer_two_ways(api, room, flash)
    assert first["status"] == "accepted" and status == 202
    assert again["reservation_id"] == first["reservation_id"]  # the same request id: the same reservation
    # The same again from Redis itself (what another process would get): the gate keeps request ids.
    board_of(api.db).accepted.clear()
    r = await http_tap(api, buyer, flash["id"], key="tap-1")
    assert (r.status_code, r.json()["reservation_id"]) == (202, first["reservation_id"])
    assert await wait_for_orders(api, 1) == 1
    assert await wait_for_orders(api, 2, within=0.5) == 1  # and not one more
    assert await orders_of(api, flash["id"]) == (1, 1)
    placed = (await api.call("GET", first["status_url"], buyer, expect=200)).json()
    assert placed["status"] == "placed" and len(placed["order_ids"]) == 1


async def test_database_mode_socket_and_http_make_one_order(api: Api) -> None:
    room = await go_live(api, stock=50)
    flash = await schedule(api, room, stock=10, cap=1)
    first, status, again, _ = await one_buyer_two_ways(api, room, flash)
    assert first["status"] == "placed" and status == 201
    assert again["order_ids"] == first["order_ids"] and again["payment_id"] == first["payment_id"]
    assert await orders_of(api, flash["id"]) == (1, 1)



def _shape(r: httpx.Response) -> tuple[int, Any, Any]:
    body = r.json()
    if r.status_code in (201, 202):
        return r.status_code, sorted(body), body["status"]
    return r.status_code, body.get("code"), body.get("field")


async def _buy_answers(api: Api, fast: bool, flash_id: int, buyer: str) -> tuple[list[tuple[int, Any, Any]], list[Any]]:
    app = create_app(api.db.settings.model_copy(update={"fast_paths": fast}))
    good = {"quantity": 1, "address": ADDRESS}
    auth = {"Authorization": f"Bearer {buyer}"}
    path = f"/api/v1/live/flash/{flash_id}/buy"
    requests: list[tuple[str, dict[str, str], Any]] = [
        (path, {}, good),  # no token
        (path, {"Authorization": "Bearer nope"}, good),
        (path, {"Authorization": "Bearer nope"}, b"{not json"),  # the body is checked before the token
        (path, auth, b""),
        (path, auth, [1, 2]),
        (path, auth, {"quantity": 0, "address": ADDRESS}),
        (path, auth, {"quantity": 1}),
        (path, {**auth, KEY: "has space"}, good),
        ("/api/v1/live/flash/0/buy", {**auth, KEY: "k" * 121}, {"quantity": 0}),
        ("/api/v1/live/flash/9999999999999999999/buy", auth, good),
        (path, {**auth, "Content-Type": "text/plain"}, b"quantity"),
        ("/api/v1/live/flash/99999999/buy", auth, good),
        (path, {**auth, KEY: "once"}, good),
        (path, {**auth, KEY: "once"}, good),  # the same answer again
        (path, {**auth, KEY: "twice"}, good),  # over the cap
    ]
    answers, reservations = [], []
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://laotie.test", headers=ENGLISH) as client:
        for url, headers, body in requests:
            if isinstance(body, bytes):
                r = await client.post(url, headers={"Content-Type": "application/json", **headers}, content=body)
            else:
                r = await client.post(url, headers=headers, json=body)
            answers.append(_shape(r))
            reservations.append(r.json().get("reservation_id"))
    return answers, reservations


async def test_lean_path_and_route_answer_alike(taps_api: Api) -> None:
    api = taps_api
    room = await go_live(api, stock=50)
    flash = await schedule(api, room, stock=10, cap=1)
    assert fastpath.find("POST", f"/api/v1/live/flash/{flash['id']}/buy")[0] is buy_flash_fast
    through_route, _ = await _buy_answers(api, False, flash["id"], await api.user())
    fast, reservations = await _buy_answers(api, True, flash["id"], await api.user())
    assert fast == through_route
    assert reservations[-3] == reservations[-2] is not None  # the same Idempotency-Key: the same reservation
    accepted = ["left", "order_ids", "pay_url", "payment_id", "reservation_id", "status", "status_url"]
    assert fast == [
        (401, "not_authenticated", None), (401, "not_authenticated", None),
        *[(422, "invalid_request", "body")] * 3, (422, "invalid_request", "quantity"),
        (422, "invalid_request", "address"), (422, "invalid_request", KEY),
        (422, "invalid_request", "flash_id"), (422, "invalid_request", "flash_id"), (422, "invalid_request", "body"),
        (409, "flash_not_open", None), (202, accepted, "accepted"), (202, accepted, "accepted"),
        (409, "purchase_limit_exceeded", "quantity")]
