"""Follow a shop from its profile, be told the moment it goes live, buy from its profile shop.

In Chromium at phone width against a real server: the follow button swaps in place, the
go-live notice is pushed to the open page (server-sent events) when the media plane's
publish callback starts the stream, the following feed puts the live room first, and an
order placed from the profile shop records the profile as its source.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy import select

from laotie.config import Settings
from laotie.kit.db import Database
from laotie.live.media.endpoints import callback_token
from laotie.live.service import sessions
from laotie.models import Order
from tests.serving import serve
from tests.web.phone import assert_phone_width, phones
from tests.web.seed import account, fresh_database, merchant_with_product

pytestmark = pytest.mark.browser

FAN = "orchard_fan"


@dataclass
class World:
    url: str
    settings: Settings
    host_id: int
    sku_id: int
    stream_key: str


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            host = await merchant_with_product(s, settings, "orchard", title="Yantai apples 5kg")
            await account(s, settings, FAN)
            key = await sessions.rotate_stream_key(s, host.user)
    finally:
        await db.dispose()
    async with serve(tmp_path, url) as base:
        yield World(base, settings, host.user.id, host.sku_id, key)


async def test_follow_get_the_live_notice_and_buy_from_the_profile(world: World) -> None:
    async with phones(world.url) as ph:
        page = await ph.signed_in(FAN)

        await page.goto(f"/u/{world.host_id}")
        await expect(page.locator("[data-fans]")).to_have_text("0")
        await page.locator('[data-follow="off"]').click()
        await expect(page.locator('[data-follow="on"]')).to_be_visible()
        await expect(page.locator("[data-fans]")).to_have_text("1")

        # The fan waits on the following feed; the shop starts streaming (nginx-rtmp's callback).
        await page.goto("/following")
        await expect(page.locator("[data-live]")).to_have_count(0)
        await page.wait_for_timeout(300)  # the page's event stream is connected
        hook = f"{world.url}/media/hooks/publish?token={callback_token(world.settings.secret('media-hooks'))}"
        async with httpx.AsyncClient() as client:
            r = await client.post(hook, data={"call": "publish", "name": world.stream_key})
        assert r.status_code == 302
        toast = page.locator("#live-toasts a")
        await expect(toast).to_contain_text("is live")
        await expect(page.locator("#inbox-dot")).to_be_visible()
        await page.reload()
        await expect(page.locator("[data-live]")).to_have_count(1)
        await page.goto("/inbox")
        await expect(page.locator("[data-notification]")).to_contain_text("is live")

        # Buy from the profile shop: the order remembers where it came from.
        await page.goto(f"/u/{world.host_id}")
        await expect(page.locator("a.live-now")).to_be_visible()
        await page.get_by_role("link", name="Buy").click()
        await expect(page).to_have_url(f"{world.url}/checkout?sku={world.sku_id}&src=profile:{world.host_id}")
        await page.fill("input[name=recipient]", "Zhang San")
        await page.fill("input[name=phone]", "13800000001")
        await page.fill("#address", "8 Orchard Road, Yantai")
        await page.get_by_role("button", name="Place order and pay").click()
        await expect(page.get_by_role("heading", name="Pay ¥68.00")).to_be_visible()

        await assert_phone_width(page)
        assert ph.errors == []
    db = Database.connect(world.settings)
    try:
        async with db.transaction() as s:
            sources = (await s.execute(select(Order.source))).scalars().all()
    finally:
        await db.dispose()
    assert sources == [f"profile:{world.host_id}"]
