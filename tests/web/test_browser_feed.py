"""The discovery feed in Chromium at phone width: a page, "Why am I seeing this?", opening an item,
a creator's traffic chart, and the operator's overview with its targets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect
from sqlalchemy import update

from laotie.kit.db import Database
from laotie.models import User, Video, utcnow
from tests.serving import serve
from tests.web.phone import assert_phone_width, phones
from tests.web.seed import account, fresh_database

pytestmark = pytest.mark.browser


@dataclass
class World:
    url: str


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            await account(s, settings, "feed_op", "operator")
            await account(s, settings, "feed_viewer")
            for n in range(6):
                creator = await account(s, settings, f"maker{n}", "creator")
                await s.execute(update(User).where(User.id == creator.id)
                                .values(created_at=utcnow() - timedelta(days=1 if n == 0 else 90)))
                for v in range(2):
                    s.add(Video(owner_id=creator.id, caption=f"maker{n} clip {v}", file_name=f"{n}-{v}.mp4",
                                size_bytes=1))
    finally:
        await db.dispose()
    async with serve(tmp_path, url) as base:
        yield World(base)


async def test_discover_why_traffic_and_the_operators_view(world: World) -> None:
    async with phones(world.url) as ph:
        page = await ph.signed_in("feed_viewer")
        await page.get_by_role("link", name="Discover").first.click()
        cards = page.locator("[data-impression]")
        await expect(cards).to_have_count(12)
        await assert_phone_width(page)
        await cards.first.get_by_role("link", name="Why?").click()
        await expect(page.get_by_role("heading", name="Why am I seeing this?")).to_be_visible()
        await expect(page.locator("[data-why]")).to_contain_text("Position 1")
        await page.go_back()
        await page.locator("[data-impression] a.video-tile").first.click()
        await expect(page).to_have_url(re.compile(r"/videos/\d+\?imp=\d+$"))

        maker = await ph.signed_in("maker0")
        await maker.goto("/me/traffic")
        await expect(maker.locator("#traffic-chart canvas")).to_have_count(1)
        assert int(await maker.locator("[data-total]").inner_text()) >= 1  # a new creator was served
        await assert_phone_width(maker)

        op = await ph.signed_in("feed_op")
        await op.goto("/operator/traffic")
        await expect(op.locator("#gini-chart canvas")).to_have_count(1)
        await expect(op.locator("#bracket-chart canvas")).to_have_count(1)
        await op.fill("#gini_target", "0.5")
        await op.get_by_role("button", name="Save").click()
        await expect(op.locator("#gini_target")).to_have_value("0.5")
        await assert_phone_width(op)
        assert ph.errors == []
