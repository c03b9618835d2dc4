"""The product editor in Chromium, at phone and desktop width: it fits, and removing an option asks first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import expect

from laotie.catalog import service as catalog
from laotie.kit.db import Database
from tests.serving import serve
from tests.web.phone import assert_phone_width, phones
from tests.web.seed import fresh_database, merchant_with_product

pytestmark = pytest.mark.browser


@dataclass
class Shop:
    url: str
    product_id: int


@pytest.fixture
async def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Shop]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            m = await merchant_with_product(s, settings, "teahouse", title="Longjing 250g")
            await catalog.add_sku(s, m.user, m.product_id, catalog.SkuDraft(price=9900, stock=3,
                                                                            attributes={"size": "500g"}))
    finally:
        await db.dispose()
    async with serve(tmp_path, url) as base:
        yield Shop(base, m.product_id)


async def test_edit_a_product_on_a_phone_and_a_desktop(shop: Shop) -> None:
    async with phones(shop.url) as ph:
        page = await ph.signed_in("teahouse")
        await page.goto("/merchant/products")
        await page.get_by_role("link", name="Edit").click()
        await expect(page).to_have_url(f"{shop.url}/merchant/products/{shop.product_id}")
        await page.fill("#title", "Longjing 250g, spring")
        await page.get_by_role("button", name="Save details").click()
        await expect(page.locator(".notice")).to_contain_text("Saved")
        await expect(page.locator("h1")).to_have_text("Longjing 250g, spring")
        await assert_phone_width(page)

        options = page.locator("[data-sku]")
        await expect(options).to_have_count(2)
        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
        await options.last.get_by_role("button", name="Remove option").click()
        await expect(options).to_have_count(2)
        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await options.last.get_by_role("button", name="Remove option").click()
        await expect(page.locator(".notice")).to_contain_text("Option removed")
        await expect(options).to_have_count(1)

        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.reload()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280
        assert ph.errors == []
