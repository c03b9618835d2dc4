"""Helpers for the chat tests: a live room seeded through the services, a served app, a socket client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from laotie.config import Settings
from laotie.kit.db import Database


@dataclass
class SeededRoom:
    session_id: int
    host_id: int
    host_token: str
    product_ids: list[int]
    users: dict[str, tuple[int, str]]  # name -> (user id, API token)


async def seed_room(db: Database, users: list[str], titles: tuple[str, ...] = ("Linyi apples 5kg",),
                    pin: bool = True) -> SeededRoom:
    """One merchant live with `titles` in the live cart (the first pinned), and viewer accounts."""
    from laotie.catalog import service as catalog
    from laotie.identity import service as identity
    from laotie.live.sale.service import cart
    from laotie.live.service import sessions

    settings = db.settings
    hashed = identity.hasher(settings).hash("password123")
    async with db.transaction() as s:

        async def user(name: str, roles: set[str]) -> Any:
            return await identity.register_user(s, settings, username=name, password="", roles=roles,
                                                self_serve="operator" not in roles, password_hash=hashed)

        op = await user("chat-op", {"operator"})
        category = await catalog.create_category(s, op, name="Fruit", commission_bps=500)
        host = await user("chat-host", {"merchant"})
        await catalog.open_shop(s, host, name="Orchard")
        product_ids = []
        for i, title in enumerate(titles):
            product = await catalog.create_product(s, host, catalog.ProductDraft(
                title=title, category_id=category.id,
                skus=[catalog.SkuDraft(price=9900 + 100 * i, stock=100, attributes={"size": "M"})]))
            await catalog.publish_product(s, host, product.id)
            product_ids.append(product.id)
        session = await sessions.authorize_publish(s, await sessions.rotate_stream_key(s, host))
        for product_id in product_ids:
            await cart.add_to_live_cart(s, host, session.id, product_id)
        if pin:
            await cart.pin_product(s, host, session.id, product_ids[0])
        tokens = {name: (u.id, await identity.issue_api_token(s, u))
                  for name, u in [(n, await user(n, {"consumer"})) for n in users]}
        tokens["op"] = (op.id, await identity.issue_api_token(s, op))
        host_token = await identity.issue_api_token(s, host)
    return SeededRoom(session.id, host.id, host_token, product_ids, tokens)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """The app (lifespan already running) behind a real uvicorn on a free port; yields ws://host:port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", ws_per_message_deflate=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class ChatClient:
    """A viewer's socket: collects every message, waits for the ones a test expects."""

    ws: ClientConnection
    messages: list[dict[str, Any]] = field(default_factory=list)
    frames: int = 0
    errors_seen: int = 0

    async def send(self, **message: Any) -> None:
        await self.ws.send(json.dumps(message))

    async def _next_frame(self, within: float) -> list[dict[str, Any]]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), within))
        assert isinstance(frame, list), frame
        self.frames += 1
        self.messages.extend(frame)
        return frame

    async def until(self, match: Callable[[dict[str, Any]], bool], within: float = 5.0) -> dict[str, Any]:
        for m in self.messages:
            if match(m):
                return m
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            for m in await self._next_frame(max(0.01, deadline - loop.time())):
                if match(m):
                    return m

    async def drain(self, seconds: float) -> list[dict[str, Any]]:
        """Everything that arrives within `seconds`."""
        start = len(self.messages)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        with contextlib.suppress(TimeoutError):
            while loop.time() < deadline:
                await self._next_frame(deadline - loop.time())
        return self.messages[start:]

    def logged(self) -> list[dict[str, Any]]:
        """Messages from the room's log (they have ids), in arrival order."""
        return [m for m in self.messages if m.get("type") in ("comment", "reply", "system")]

    async def error(self, within: float = 5.0) -> dict[str, Any]:
        """The next error not returned before."""
        skip = self.errors_seen
        seen = 0

        def fresh(m: dict[str, Any]) -> bool:
            nonlocal seen
            if m.get("type") != "error":
                return False
            seen += 1
            return seen > skip

        found = await self.until(fresh, within)
        self.errors_seen += 1
        return found


@contextlib.asynccontextmanager
async def chat(base: str, session_id: int, token: str | None = None, after: int | None = None,
               **headers: str) -> AsyncIterator[ChatClient]:
    query = "&".join(f"{k}={v}" for k, v in (("after", after), ("token", token)) if v is not None)
    url = f"{base}/ws/live/{session_id}" + (f"?{query}" if query else "")
    async with connect(url, compression=None, additional_headers=headers or None, open_timeout=10) as ws:
        yield ChatClient(ws)


def fast_chat(settings: Settings) -> Settings:
    """Settings for tests: frames every 20 ms, stats every 100 ms."""
    return settings.model_copy(update={"chat_flush_ms": 20, "chat_stats_seconds": 0.1})
