"""The layout in Chromium: on a phone a one-row top bar and a tab bar (首页 / 发现 / 直播 / 购物车 / 我的)
that hides nothing; on a desktop a full top navigation, wide product grids and a product page whose price
and Buy button are above the fold; the home page shows the rooms that are live."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from laotie.catalog import service as catalog
from laotie.config import Settings
from laotie.kit.db import Database
from laotie.live.service import sessions
from tests.serving import serve
from tests.web.phone import TIMEOUT_MS, Phones, assert_phone_width, phones
from tests.web.seed import account, fresh_database, merchant_with_product

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}
SHOPPER = "window_shopper"
ROOM_TITLE = "Orchard tour, apples at cost"
# Whether a sideways-scrolling row fades at its start and at its end (the CSS sets these as it scrolls).
FADES = ("(el) => ['--fade-start', '--fade-end']"
         ".map((name) => parseFloat(getComputedStyle(el).getPropertyValue(name)) > 0)")


@dataclass
class Shop:
    url: str
    product_id: int
    session_id: int


async def _seed(settings: Settings) -> tuple[int, int]:
    """A merchant with 30 products (the last with two options and a long description), live → (product, session)."""
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            seller = await merchant_with_product(s, settings, "orchard", title="Apples 5kg")
            category_id = (await catalog.product_view(s, seller.product_id)).category.id
            for n in range(29):
                product = await catalog.create_product(s, seller.user, catalog.ProductDraft(
                    title=f"Fuji apples, box {n}", category_id=category_id,
                    description="Crisp and sweet.\n" * 12,
                    skus=[catalog.SkuDraft(price=5900 + n, stock=9, attributes={"size": "5kg"}),
                          catalog.SkuDraft(price=9900, stock=4, attributes={"size": "10kg"})]))
                await catalog.publish_product(s, seller.user, product.id)
            session = await sessions.authorize_publish(s, await sessions.rotate_stream_key(s, seller.user))
            session.title = ROOM_TITLE
            await account(s, settings, SHOPPER)
            return product.id, session.id
    finally:
        await db.dispose()


@pytest.fixture
async def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Shop]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    product_id, session_id = await _seed(settings)
    async with serve(tmp_path, url) as base:
        yield Shop(base, product_id, session_id)


async def _rect(page: Page, selector: str) -> dict[str, float]:
    box = await page.locator(selector).first.evaluate(
        "(el) => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, height: r.height}; }")
    return {k: float(v) for k, v in box.items()}


async def test_phone_top_bar_tab_bar_and_live_strip(shop: Shop) -> None:
    async with phones(shop.url) as ph:
        page = await ph.signed_in(SHOPPER)
        await page.goto("/")
        header = await _rect(page, "header.top")
        assert header["height"] < 70, header
        await assert_phone_width(page)

        tabbar = page.get_by_role("navigation", name="Sections")
        await expect(tabbar).to_be_visible()
        await expect(tabbar.get_by_role("link")).to_have_count(5)
        await expect(tabbar.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
        for name in ("Discover", "Live", "Cart", "Me"):
            await expect(tabbar.get_by_role("link", name=name, exact=True)).to_be_visible()
        # The strip of other links stays one row: it scrolls sideways and fades at the end that has more.
        strip = page.get_by_role("navigation", name="Main")
        await expect(strip.get_by_role("link", name="My orders")).to_be_attached()
        assert await strip.evaluate("(el) => el.scrollWidth > el.clientWidth")
        assert await strip.evaluate(FADES) == [False, True]
        await strip.evaluate("(el) => { el.scrollLeft = el.scrollWidth; }")
        await page.wait_for_function(f"(el) => {{ const [start, end] = ({FADES})(el); return start && !end; }}",
                                     arg=await strip.element_handle())

        # The rooms on air head the home page, each leading to its room.
        live = page.locator("[data-live-strip]")
        await expect(live).to_contain_text("Live now")
        await live.get_by_role("link", name=ROOM_TITLE).click()
        await expect(page).to_have_url(f"{shop.url}/live/{shop.session_id}")
        in_room = page.get_by_role("navigation", name="Sections").get_by_role("link", name="Live")
        await expect(in_room).to_have_attribute("aria-current", "true")

        # A long page: its last element can be scrolled clear of the tab bar.
        await page.goto("/")
        await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        last, bar = await _rect(page, "main > :last-child"), await _rect(page, "nav.tabbar")
        assert last["bottom"] <= bar["top"], (last, bar)

        # The product page: the buy bar rides above the tab bar, and a field being filled is never under it.
        await page.goto(f"/products/{shop.product_id}")
        buy, bar = await _rect(page, ".sticky-buy"), await _rect(page, "nav.tabbar")
        assert buy["bottom"] <= bar["top"] + 1, (buy, bar)
        for field in ("#qty", '#buy input[name="sku"] >> nth=-1'):
            await page.evaluate("window.scrollTo(0, 0)")
            await page.locator(field).focus()
            assert not await _covered(page, field), field
        await page.get_by_role("button", name="Buy now").click()
        await expect(page).to_have_url(re.compile(r"/checkout\?sku=\d+&qty=1$"))
        assert ph.errors == []


async def _covered(page: Page, selector: str) -> bool:
    """Whether the field is under the sticky header or the buy bar."""
    field, header, buy = (await _rect(page, selector), await _rect(page, "header.top"),
                          await _rect(page, ".sticky-buy"))
    return field["bottom"] > buy["top"] or field["top"] < header["bottom"]


async def _desktop(ph: Phones) -> Page:
    ctx = await ph.browser.new_context(base_url=ph.base, **DESKTOP)  # type: ignore[arg-type]
    ctx.set_default_timeout(TIMEOUT_MS)
    page = await ctx.new_page()
    page.on("pageerror", lambda exc: ph.errors.append(str(exc)))
    return page


async def test_desktop_navigation_grid_and_product_above_the_fold(shop: Shop) -> None:
    async with phones(shop.url) as ph:
        page = await _desktop(ph)
        await page.goto("/login")
        await page.fill("#username", SHOPPER)
        await page.fill("#password", "password123")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("button", name="Sign out")).to_be_visible()

        await expect(page.locator("nav.tabbar")).to_be_hidden()
        top = page.get_by_role("navigation", name="Main")
        for name in ("Discover", "Live", "Following", "Inbox", "Cart", "My orders", "Me"):
            await expect(top.get_by_role("link", name=name, exact=True)).to_be_visible()
        tops = await page.locator(".grid > .tile").evaluate_all(
            "(tiles) => tiles.map((t) => Math.round(t.getBoundingClientRect().top))")
        assert tops.count(tops[0]) >= 5, tops
        await expect(page.locator("[data-live-strip]")).to_contain_text(ROOM_TITLE)

        await page.goto(f"/products/{shop.product_id}")
        hero = await _rect(page, ".product-media .hero")
        price, buy = await _rect(page, ".price-line"), await _rect(page, "#buy button[type=submit]")
        assert hero["height"] <= 500 and price["bottom"] <= 900 and buy["bottom"] <= 900, (hero, price, buy)
        await expect(page.get_by_role("button", name="Buy now")).to_be_in_viewport()
        assert ph.errors == []
