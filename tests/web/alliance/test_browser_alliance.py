"""A creator without a shop sells a library product live, is paid commission and withdraws it, in a browser.

The creator adds the product from the library, goes live (the media plane's publish hook is called as
nginx would call it) and puts it in the live cart from the console; a viewer buys it in the room; the
merchant ships; the viewer confirms receipt; the settlement job runs with a later clock; the creator
withdraws on /me/payouts and the sandbox gateway pays. Everything the people do goes over HTTP.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from laotie.alliance.service import commissions, listings
from laotie.config import Settings
from laotie.kit.db import Database
from laotie.live.media.endpoints import callback_token
from laotie.models import utcnow
from tests.serving import serve
from tests.web.phone import assert_phone_width, phones
from tests.web.seed import account, fresh_database, merchant_with_product

pytestmark = pytest.mark.browser

TITLE = "Wuchang rice 5kg 五常大米"
PRICE, RATE_BPS = 10_000, 2_000  # ¥100 at 20%: ¥20, the platform keeps 10%, the creator ¥18
CREATOR, VIEWER, MERCHANT = "rice_creator", "rice_viewer", "rice_farm"


@dataclass
class World:
    url: str
    settings: Settings
    listing_id: int
    product_id: int


async def _seed(settings: Settings) -> tuple[int, int]:
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            m = await merchant_with_product(s, settings, MERCHANT, title=TITLE, price=PRICE)
            listing = await listings.list_product(s, settings, m.user, m.product_id,
                                                  listings.ListingTerms(rate_bps=RATE_BPS))
            await account(s, settings, CREATOR, "creator")
            await account(s, settings, VIEWER)
            return listing.id, m.product_id
    finally:
        await db.dispose()


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    listing_id, product_id = await _seed(settings)
    async with serve(tmp_path, url) as base:
        yield World(base, settings, listing_id, product_id)


async def _settle(settings: Settings) -> int:
    """The settlement job, eight days on (past the 7-day after-sale window); it waits for the
    server to have handled the order's completion, which it does just after the buyer's commit."""
    db = Database.connect(settings)
    try:
        for _ in range(100):
            async with db.transaction() as s:
                settled = await commissions.settle_due(s, utcnow() + timedelta(days=8))
            if settled:
                return settled
            await asyncio.sleep(0.1)
        return 0
    finally:
        await db.dispose()


async def _reload_until(page: Page, selector: str) -> None:
    """Reload until the element shows: the gateway's callback lands after the redirect."""
    for _ in range(50):
        if await page.locator(selector).count():
            return
        await asyncio.sleep(0.2)
        await page.reload()
    await expect(page.locator(selector)).to_be_visible()


async def test_a_creator_without_a_shop_sells_live_and_withdraws_the_commission(world: World, tmp_path: Path) -> None:
    shots = tmp_path
    async with phones(world.url) as ph:
        creator = await ph.signed_in(CREATOR)

        # The library: the product, what the creator keeps, one tap to add it.
        await creator.goto("/me")
        await creator.locator("[data-alliance]").click()
        item = creator.locator(f'[data-listing="{world.listing_id}"]')
        await expect(item).to_contain_text(TITLE)
        await expect(item.locator("[data-keeps]")).to_have_text("¥18.00")
        await item.locator(f'[data-take="{world.listing_id}"]').click()
        await expect(item.locator("[data-in-showcase]")).to_be_visible()
        await assert_phone_width(creator)
        await creator.screenshot(path=str(shots / "library-phone.png"), full_page=True)

        # Going live: a key from the console, then the publish hook as nginx-rtmp would call it.
        await creator.goto("/live/console")
        await creator.get_by_role("button", name="Get a new key").click()
        key = await creator.locator("[data-stream-key]").inner_text()
        token = callback_token(world.settings.secret("media-hooks"))
        async with httpx.AsyncClient(base_url=world.url) as nginx:
            r = await nginx.post(f"/media/hooks/publish?token={token}", data={"call": "publish", "name": key})
            assert r.status_code == 302
        await creator.goto("/live/console")
        await creator.locator('select[name="product_id"]').first.select_option(str(world.product_id))
        await creator.get_by_role("button", name="Add", exact=True).click()
        await expect(creator.locator("main")).to_contain_text(TITLE)
        room = await creator.get_by_role("link", name="Open the room").get_attribute("href")
        assert room and re.fullmatch(r"/live/\d+", room)

        # A viewer buys it in the room.
        viewer = await ph.signed_in(VIEWER)
        await viewer.goto(room)
        await viewer.locator(".card", has_text=TITLE).get_by_role("link", name="Buy").first.click()
        await expect(viewer).to_have_url(re.compile(r"/checkout\?sku=\d+&src=live:\d+"))
        await viewer.fill("#recipient", "Li Lei")
        await viewer.fill("#phone", "13800000000")
        await viewer.fill("#address", "1 Test Road, Harbin")
        await viewer.get_by_role("button", name="Place order and pay").click()
        await viewer.get_by_role("button", name="Approve payment").click()
        await expect(viewer).to_have_url(re.compile(r"/orders/\d+\?paying=1$"))
        order_id = int(re.findall(r"/orders/(\d+)", viewer.url)[0])
        await expect(viewer.locator('[data-status="paid"]')).to_be_visible()

        # The creator sees the estimate.
        await creator.goto("/alliance/earnings")
        await expect(creator.locator("[data-estimated]")).to_have_text("¥18.00")

        # The merchant ships; the viewer confirms receipt.
        merchant = await ph.signed_in(MERCHANT)
        await merchant.goto("/merchant/orders")
        card = merchant.locator(f'[data-order="{order_id}"]')
        await card.get_by_label("Carrier").fill("SF Express")
        await card.get_by_label("Tracking number").fill("SF7654321")
        await card.get_by_role("button", name="Ship").click()
        await expect(merchant.locator(".notice")).to_contain_text(f"Order #{order_id} shipped")
        await viewer.goto(f"/orders/{order_id}")
        viewer.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await viewer.get_by_role("button", name="Confirm receipt").click()
        await expect(viewer.locator('[data-status="completed"]')).to_be_visible()

        # The settlement job, after the after-sale window.
        assert await _settle(world.settings) == 1
        await creator.goto("/alliance/earnings")
        await expect(creator.locator("[data-settled]")).to_have_text("¥18.00")
        await expect(creator.locator("[data-available]")).to_have_text("¥18.00")

        # Withdraw it all; the sandbox pays.
        await creator.get_by_role("link", name="Withdraw 提现").last.click()
        await expect(creator).to_have_url(f"{world.url}/me/payouts")
        await creator.fill('input[name="amount"]', "18")
        await creator.get_by_role("button", name="Withdraw").click()
        await expect(creator).to_have_url(re.compile(r"/sandbox/payouts/\d+$"))
        await creator.get_by_role("button", name="Pay out").click()
        await expect(creator).to_have_url(f"{world.url}/me/payouts")
        await _reload_until(creator, '[data-status="paid"]')
        await expect(creator.locator("#available")).to_have_text("¥0.00")

        await creator.goto("/alliance/earnings")
        await expect(creator.locator("[data-settled]")).to_have_text("¥18.00")
        await expect(creator.locator("[data-available]")).to_have_text("¥0.00")
        await expect(creator.locator("#earnings-chart canvas")).to_have_count(1)
        for page in (creator, viewer, merchant):
            await assert_phone_width(page)
        await merchant.goto("/merchant/alliance/promoters")
        await expect(merchant.locator("[data-commission-paid]")).to_have_text("¥20.00")
        await assert_phone_width(merchant)

        # On a desktop the pages use the width and never scroll sideways.
        await creator.set_viewport_size({"width": 1280, "height": 900})
        for url in ("/alliance", "/alliance/showcase", "/alliance/earnings"):
            await creator.goto(url)
            assert await creator.evaluate("document.documentElement.scrollWidth") <= 1280, url
        await creator.screenshot(path=str(shots / "earnings-desktop.png"), full_page=True)
        assert ph.errors == []
