"""Short videos in a real browser at phone width: a merchant posts one, a viewer watches, likes, comments and buys.

The server runs under uvicorn in a subprocess; the shop and accounts are seeded through the
services, and everything else (the upload too) goes through the pages.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from laotie.catalog import service as catalog
from laotie.config import Settings
from laotie.identity import service as identity
from laotie.kit.db import Database
from laotie.kit.migrate import upgrade_async
from tests.serving import CHROMIUM, CHROMIUM_ARGS, require, serve
from tests.social.videos.test_videos import make_clip

pytestmark = pytest.mark.browser

MERCHANT, VIEWER, PASSWORD = "orchard_boss", "video_fan", "password123"
TIMEOUT_MS = 10_000
PHONE = {"width": 390, "height": 844}


@dataclass
class Site:
    url: str
    clip: Path
    product_id: int
    sku_id: int


async def _seed(settings: Settings) -> tuple[int, int]:
    """A merchant with one published product, and a viewer → (product id, SKU id)."""
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            operator = await identity.register_user(s, settings, username="operator", password=PASSWORD,
                                                    roles={"operator"}, self_serve=False)
            category = await catalog.create_category(s, operator, name="Fruit 水果", commission_bps=500)
            merchant = await identity.register_user(s, settings, username=MERCHANT, password=PASSWORD,
                                                    roles={"merchant"}, self_serve=False)
            await catalog.open_shop(s, merchant, name="Yantai orchard", description="Apples from the coast.")
            product = await catalog.create_product(s, merchant, catalog.ProductDraft(
                title="Fuji apples 5kg 烟台红富士", category_id=category.id, description="Crisp.",
                skus=[catalog.SkuDraft(price=5900, stock=40, attributes={"size": "5kg"})]))
            await catalog.publish_product(s, merchant, product.id)
            await identity.register_user(s, settings, username=VIEWER, password=PASSWORD,
                                         roles={"consumer"}, self_serve=False)
            sku = (await catalog.product_view(s, product.id)).skus[0]
            return product.id, sku.id
    finally:
        await db.dispose()


@pytest.fixture
async def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Site]:
    require(CHROMIUM.is_file(), f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    clip = make_clip(tmp_path / "apples.mp4")
    monkeypatch.setenv("LAOTIE_CONFIG", str(tmp_path / "absent.toml"))
    url = f"sqlite+aiosqlite:///{tmp_path / 'laotie.db'}"
    await upgrade_async(url)
    product_id, sku_id = await _seed(Settings(database_url=url, data_dir=tmp_path, media_dir=tmp_path / "media",
                                              secret_key="test", argon2_time_cost=1, argon2_memory_kib=64,
                                              jobs_enabled=False))
    async with serve(tmp_path, url) as base:
        yield Site(base, clip, product_id, sku_id)


async def _phone(browser: Browser, base_url: str, errors: list[str]) -> Page:
    ctx = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=base_url,
                                    locale="en-US")
    ctx.set_default_timeout(TIMEOUT_MS)
    page = await ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))
    return page


async def _sign_in(page: Page, username: str) -> None:
    await page.goto("/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()


async def _fits_the_phone(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is wider than the phone: {width}px"


async def test_post_watch_like_comment_and_buy_from_a_video(site: Site) -> None:
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            # The merchant posts a video with the shop's product in its cart.
            page = await _phone(browser, site.url, errors)
            await _sign_in(page, MERCHANT)
            await page.goto("/videos/upload")
            await _fits_the_phone(page)
            await page.set_input_files("#file", str(site.clip))
            await page.fill("#caption", "Picked this morning 今早现摘")
            await page.locator(f'input[name=product_ids][value="{site.product_id}"]').check()
            await page.get_by_role("button", name="Publish").click()
            await expect(page).to_have_url(re.compile(r"/videos/\d+$"))
            video_id = int(page.url.rsplit("/", 1)[1])
            assert await page.locator("#video-player").get_attribute("poster") is not None

            # A viewer watches it: the video really plays.
            viewer = await _phone(browser, site.url, errors)
            await _sign_in(viewer, VIEWER)
            await viewer.goto(f"/videos/{video_id}")
            await expect(viewer.locator(".video-caption")).to_have_text("Picked this morning 今早现摘")
            await expect(viewer.locator(".video-owner")).to_have_attribute("href", re.compile(r"^/u/\d+$"))
            await _fits_the_phone(viewer)
            await viewer.locator("#video-play").click()
            await viewer.wait_for_function("document.getElementById('video-player').currentTime > 0.3")
            await expect(viewer.locator("#video-play")).to_be_hidden()
            await expect(viewer.locator("#play-count")).to_have_text("1")  # counted once it played

            # Likes and comments go over htmx: the same video element keeps playing.
            await viewer.evaluate("document.getElementById('video-player').dataset.marker = 'same-element'")
            await viewer.locator("#like-button").click()
            await expect(viewer.locator("#like-button")).to_have_attribute("aria-pressed", "true")
            await expect(viewer.locator("#like-button [data-likes]")).to_have_text("1")
            await viewer.fill("#comment-form input[name=text]", "看着就甜 <b>yum</b>")
            await viewer.locator("#comment-form button").click()
            await expect(viewer.locator("#comments .video-comments li").first).to_contain_text(
                f"{VIEWER} 看着就甜 <b>yum</b>")
            await expect(viewer.locator("#comments [data-comment-count]")).to_have_text("1")
            player = viewer.locator("#video-player")
            assert await player.evaluate("v => v.dataset.marker") == "same-element"
            assert await player.evaluate("v => !v.paused || v.ended")
            await _fits_the_phone(viewer)

            # Buying from the video's cart keeps the video as the order's source.
            await viewer.locator(f'[data-buy="{site.product_id}"]').click()
            await expect(viewer).to_have_url(re.compile(rf"/checkout\?sku={site.sku_id}&src=video:{video_id}$"))
            await expect(viewer.locator("input[name=src]")).to_have_value(f"video:{video_id}")
            await expect(viewer.get_by_text("Fuji apples 5kg")).to_be_visible()
            await _fits_the_phone(viewer)

            # Back on the merchant's side, the video is listed with its figures.
            await page.goto("/videos/upload")
            await expect(page.locator(f'.video-row[data-video="{video_id}"]')).to_contain_text("▶ 1 · ❤ 1 · 💬 1")
        finally:
            await browser.close()
    assert errors == []
