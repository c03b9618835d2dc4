"""Chromium at phone width for the browser tests: one browser, pages that record their errors, sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from playwright.async_api import Browser, Page, async_playwright, expect

from tests.serving import CHROMIUM, CHROMIUM_ARGS
from tests.web.seed import PASSWORD

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "en-US"}
TIMEOUT_MS = 10_000


@dataclass
class Phones:
    """Opens phone-sized pages on one browser; every page error and 5xx response lands in `errors`."""

    browser: Browser
    base: str
    errors: list[str] = field(default_factory=list)

    async def page(self) -> Page:
        ctx = await self.browser.new_context(base_url=self.base, **PHONE)  # type: ignore[arg-type]
        ctx.set_default_timeout(TIMEOUT_MS)
        page = await ctx.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("response", lambda r: r.status >= 500 and self.errors.append(f"{r.status} {r.url}"))
        return page

    async def signed_in(self, username: str, password: str = PASSWORD) -> Page:
        page = await self.page()
        await page.goto("/login")
        await page.fill("#username", username)
        await page.fill("#password", password)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page


async def assert_phone_width(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"{page.url} is wider than the phone: {width}px"  # type: ignore[index]


@asynccontextmanager
async def phones(base: str) -> AsyncIterator[Phones]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield Phones(browser, base)
        finally:
            await browser.close()
