"""A room that is not live yet: the player asks for no playlist until the room says the stream started."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Request, expect

from laotie.config import Settings
from laotie.kit.db import Database
from laotie.live.media.endpoints import callback_token
from laotie.live.service import sessions
from tests.serving import serve
from tests.web.phone import phones
from tests.web.seed import account, fresh_database

pytestmark = pytest.mark.browser


@dataclass
class Coming:
    url: str
    settings: Settings
    session_id: int
    stream_key: str


@pytest.fixture
async def coming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Coming]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            host = await account(s, settings, "dawn_host", "creator")
            session = await sessions.schedule_session(s, host, title="Apples at dawn")
            key = await sessions.rotate_stream_key(s, host)
            await account(s, settings, "early_fan")
    finally:
        await db.dispose()
    async with serve(tmp_path, url) as base:
        yield Coming(base, settings, session.id, key)


@pytest.mark.parametrize("page_path", ["/live/{id}", "/live/{id}/watch"])
async def test_player_waits_for_the_stream_to_start(coming: Coming, page_path: str) -> None:
    async with phones(coming.url) as ph:
        page = await ph.signed_in("early_fan")
        playlists: list[str] = []

        def seen(request: Request) -> None:
            if "/hls/" in request.url:
                playlists.append(request.url)

        page.on("request", seen)
        async with page.expect_websocket() as socket:
            await page.goto(page_path.format(id=coming.session_id))
        await socket.value
        await expect(page.locator('#live-video[data-state="waiting"]')).to_be_attached()
        await expect(page.locator("#live-video-status")).to_have_text("Waiting for the stream to start…")
        assert playlists == []

        # The host's encoder connects (nginx-rtmp's callback): the room says so and the player asks.
        hook = f"{coming.url}/media/hooks/publish?token={callback_token(coming.settings.secret('media-hooks'))}"
        async with page.expect_request(lambda r: "/hls/" in r.url and r.url.endswith(".m3u8")):
            async with httpx.AsyncClient() as client:
                r = await client.post(hook, data={"call": "publish", "name": coming.stream_key})
            assert r.status_code == 302
        assert ph.errors == []
