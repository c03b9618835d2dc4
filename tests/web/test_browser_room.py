"""The live room in a real browser at phone width: chat, buying coins, sending a gift, the ranking live.

The server runs under uvicorn in a subprocess; the room's stream was started through the
services (the media plane has its own end-to-end test), and everything the viewer does
goes over HTTP and the room's WebSocket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import expect

from laotie.config import Settings
from laotie.kit.db import Database
from tests.serving import serve
from tests.web.phone import assert_phone_width, phones
from tests.web.seed import account, fresh_database, live_host

pytestmark = pytest.mark.browser

VIEWER = "gift_fan"


@dataclass
class Room:
    url: str
    session_id: int


async def _seed(settings: Settings) -> int:
    """A merchant live with one product in the cart, and a viewer account → the session id."""
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            _host, session_id = await live_host(s, settings, "tea_host", title="Tieguanyin 250g")
            await account(s, settings, VIEWER)
            return session_id
    finally:
        await db.dispose()


@pytest.fixture
async def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Room]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    session_id = await _seed(settings)
    async with serve(tmp_path, url) as base:
        yield Room(base, session_id)


async def test_chat_top_up_and_gift_in_the_room(room: Room) -> None:
    async with phones(room.url) as ph:
        page = await ph.signed_in(VIEWER)

        # Top up: a pack, the sandbox gateway, back to the wallet as the coins arrive.
        await page.goto("/coins")
        await expect(page.locator("#coin-balance")).to_have_text("0 coins")
        await page.locator('[data-pack="60"]').click()
        await expect(page.get_by_role("heading", name="Pay ¥6.00")).to_be_visible()
        await page.get_by_role("button", name="Approve payment").click()
        await expect(page.locator('#coin-purchase[data-status="credited"]')).to_be_visible()
        await expect(page.locator("#coin-purchase [data-balance]")).to_have_text("60")

        # The room: chat, then a gift from the sheet; the video element does not reload.
        await page.goto(f"/live/{room.session_id}")
        await expect(page.locator("#gift-ranking [data-empty]")).to_be_visible()
        await page.fill("#chat-form input[name=body]", "老铁们好")
        await page.locator("#chat-form button").click()
        await expect(page.locator("#chat-list")).to_contain_text("老铁们好")
        await page.evaluate("document.getElementById('live-video').dataset.marker = 'same-element'")
        await page.locator("#gift-sheet summary").click()
        await page.locator('[data-gift="kiss"]').click()
        await expect(page.locator("#gift-result")).to_contain_text("Sent 💋 么么哒 ×1")
        await expect(page.locator("#gift-sheet summary [data-balance]")).to_have_text("8")
        # The ranking and the chat line arrive over the room's socket, as for every viewer.
        await expect(page.locator("#gift-ranking [data-ranking] li").first).to_contain_text(VIEWER)
        await expect(page.locator("#gift-ranking [data-gift-total]")).to_have_text("52")
        await expect(page.locator("#chat-list")).to_contain_text("sent 💋 么么哒 ×1")
        assert await page.evaluate("document.getElementById('live-video').dataset.marker") == "same-element"

        # Not enough coins left: the refusal is shown in the sheet with the way to top up.
        await page.locator('[data-gift="kiss"]').click()
        await expect(page.locator("#gift-result [data-code=insufficient_coins]")).to_be_visible()
        await expect(page.locator("#gift-result a[href='/coins']")).to_be_visible()

        await assert_phone_width(page)
        assert ph.errors == []
