"""A whole purchase in a real browser, at phone width, against a real server.

A consumer registers, buys through the product page, checkout and the sandbox
pay page; the merchant ships from the console; the consumer confirms receipt;
the merchant's available balance is the order total less the commission (扣点).

The server runs in a subprocess (uvicorn), on a database built by the real
migrations and seeded through the services, so nothing here reaches into the
app: everything the browser sees went over HTTP.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Page, Response, async_playwright, expect

from laotie.catalog import service as catalog
from laotie.config import Settings
from laotie.identity import service as identity
from laotie.kit.db import Database
from laotie.kit.money import rate_of, yuan
from tests.serving import CHROMIUM, CHROMIUM_ARGS, serve
from tests.web.seed import fresh_database

pytestmark = pytest.mark.browser

PRODUCT_TITLE = "Linyi red Fuji apples 5kg"
PRICE = 12_900  # fen
STOCK = 5
COMMISSION_BPS = 500
MERCHANT, MERCHANT_PASSWORD = "shopkeeper", "password123"
ADDRESS = {"recipient": "Li Lei", "phone": "13800000000", "address": "1 Test Road, Linyi"}
TIMEOUT_MS = 10_000


@dataclass
class Server:
    url: str
    sku_id: int
    product_id: int
    log: Path


async def _seed(settings: Settings) -> tuple[int, int]:
    """Operator, category, a merchant with a shop and one published product → (product, sku)."""
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            operator = await identity.register_user(
                s, settings, username="operator", password="password123",
                roles={"operator"}, self_serve=False)
            category = await catalog.create_category(s, operator, name="Fruit 水果",
                                                     commission_bps=COMMISSION_BPS)
            merchant = await identity.register_user(
                s, settings, username=MERCHANT, password=MERCHANT_PASSWORD,
                roles={"merchant"}, self_serve=False)
            await catalog.open_shop(s, merchant, name="Linyi 老铁 orchard",
                                    description="Apples straight from the orchard.")
            product = await catalog.create_product(s, merchant, catalog.ProductDraft(
                title=PRODUCT_TITLE, category_id=category.id, description="Crisp and sweet.",
                skus=[catalog.SkuDraft(price=PRICE, stock=STOCK, attributes={"size": "5kg"})]))
            await catalog.publish_product(s, merchant, product.id)
            view = await catalog.product_view(s, product.id)
            return product.id, view.skus[0].id
    finally:
        await db.dispose()


@pytest.fixture
async def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Server]:
    url, _ = await fresh_database(tmp_path, monkeypatch)
    settings = Settings(database_url=url, data_dir=tmp_path, media_dir=tmp_path / "media",
                        secret_key="test", argon2_time_cost=1, argon2_memory_kib=64,
                        jobs_enabled=False)
    product_id, sku_id = await _seed(settings)

    async with serve(tmp_path, url) as base:
        yield Server(base, sku_id, product_id, tmp_path / "server.log")


async def test_register_buy_pay_ship_confirm_payout(server: Server, tmp_path: Path) -> None:
    base = server.url
    expected_available = PRICE - rate_of(PRICE, COMMISSION_BPS)
    page_errors: list[str] = []
    server_errors: list[str] = []

    def watch(page: Page) -> None:
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        page.on("response",
                lambda r: r.status >= 500 and server_errors.append(f"{r.status} {r.url}"))

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                           args=CHROMIUM_ARGS)
        phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                 "base_url": base, "locale": "en-US"}
        try:
            buyer_ctx = await browser.new_context(**phone)
            buyer_ctx.set_default_timeout(TIMEOUT_MS)
            buyer = await buyer_ctx.new_page()
            watch(buyer)

            # 1. Register; the new consumer lands on the home page, signed in.
            await buyer.goto("/register")
            await buyer.fill("#username", "laotie_fan")
            await buyer.fill("#password", "hunter2hunter2")
            await buyer.get_by_role("button", name="Register").click()
            await expect(buyer).to_have_url(f"{base}/")
            await expect(buyer.get_by_role("button", name="Sign out")).to_be_visible()
            await expect(buyer.get_by_role("link", name="My orders")).to_be_visible()

            # 2. Home → product tile → product page.
            await buyer.goto("/")
            tile = buyer.locator("a.tile", has_text=PRODUCT_TITLE)
            await expect(tile).to_contain_text("¥129.00")
            await tile.click()
            await expect(buyer).to_have_url(f"{base}/products/{server.product_id}")
            await expect(buyer.get_by_role("heading", name=PRODUCT_TITLE)).to_be_visible()
            sku_radio = buyer.locator(f'#buy input[name="sku"][value="{server.sku_id}"]')

            # 6a. Refusal: more than the stock → the sold-out message, on the checkout page.
            await sku_radio.check()
            await buyer.fill("#qty", str(STOCK + 1))
            await buyer.get_by_role("button", name="Buy now").click()
            await expect(buyer).to_have_url(
                re.compile(rf"/checkout\?sku={server.sku_id}&qty={STOCK + 1}$"))
            await _fill_address(buyer, ADDRESS)
            async with buyer.expect_response(_posted("/checkout")) as refused:
                await buyer.get_by_role("button", name="Place order and pay").click()
            assert (await refused.value).status == 409
            await expect(buyer.locator(".error")).to_contain_text("not enough stock left")
            await expect(buyer.locator(".error")).to_have_attribute("data-code", "sold_out")

            # Back to the product page, buy one.
            await buyer.goto(f"/products/{server.product_id}")
            # The refused order took nothing.
            await expect(buyer.locator("#buy")).to_contain_text(f"{STOCK} left")
            await sku_radio.check()
            await expect(sku_radio).to_be_checked()
            await buyer.fill("#qty", "1")
            await buyer.get_by_role("button", name="Buy now").click()
            await expect(buyer).to_have_url(re.compile(rf"/checkout\?sku={server.sku_id}&qty=1$"))
            await expect(buyer.locator("main")).to_contain_text("¥129.00")

            # 6b. A phone that is not a phone: the browser holds the form back (the server's own
            # 422 for the same rule is covered in test_pages.py); nothing is posted, nothing is lost.
            await _fill_address(buyer, {**ADDRESS, "phone": "abc"})
            await buyer.get_by_role("button", name="Place order and pay").click()
            assert await buyer.locator("#phone").evaluate("el => !el.validity.valid")
            await expect(buyer).to_have_url(re.compile(r"/checkout\?"))
            await expect(buyer.locator("#recipient")).to_have_value(ADDRESS["recipient"])

            await buyer.fill("#phone", ADDRESS["phone"])
            await buyer.get_by_role("button", name="Place order and pay").click()
            await expect(buyer).to_have_url(re.compile(r"/sandbox/pay/\d+$"))
            await expect(buyer.get_by_role("heading", name="Pay ¥129.00")).to_be_visible()
            await buyer.get_by_role("button", name="Approve payment").click()
            await expect(buyer).to_have_url(re.compile(r"/orders/\d+\?paying=1$"))
            match = re.search(r"/orders/(\d+)", buyer.url)
            assert match
            order_id = int(match.group(1))
            await _wait_until_paid(buyer)

            # 3. The merchant ships from the console.
            merchant_ctx = await browser.new_context(**phone)
            merchant_ctx.set_default_timeout(TIMEOUT_MS)
            merchant = await merchant_ctx.new_page()
            watch(merchant)
            await merchant.goto("/login")
            await merchant.fill("#username", MERCHANT)
            await merchant.fill("#password", MERCHANT_PASSWORD)
            await merchant.get_by_role("button", name="Sign in").click()
            await expect(merchant.get_by_role("link", name="Shop console")).to_be_visible()

            await merchant.goto("/merchant/orders")
            card = merchant.locator(f'[data-order="{order_id}"]')
            await expect(card).to_contain_text(PRODUCT_TITLE)
            commission = yuan(rate_of(PRICE, COMMISSION_BPS))
            await expect(card).to_contain_text(f"commission ¥{commission}")
            await card.get_by_label("Carrier").fill("SF Express")
            await card.get_by_label("Tracking number").fill("SF1234567")
            await card.get_by_role("button", name="Ship").click()
            await expect(merchant).to_have_url(f"{base}/merchant/orders?done=shipped&order={order_id}")
            await expect(merchant.locator(".notice")).to_contain_text(f"Order #{order_id} shipped")
            await expect(card).to_have_count(0)
            await merchant.goto("/merchant/orders?status=shipped")
            await expect(card).to_contain_text("SF1234567")

            # 4. The consumer sees the tracking number and confirms receipt.
            await buyer.goto(f"/orders/{order_id}")
            await expect(buyer.locator("[data-tracking]")).to_have_text("SF1234567")
            await expect(buyer.locator('[data-status="shipped"]')).to_be_visible()
            # Confirming asks first: saying no leaves the order as it was.
            buyer.once("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
            await buyer.get_by_role("button", name="Confirm receipt").click()
            await expect(buyer.locator('[data-status="shipped"]')).to_be_visible()
            buyer.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
            await buyer.get_by_role("button", name="Confirm receipt").click()
            await expect(buyer.locator(".notice")).to_contain_text("Receipt confirmed")
            await expect(buyer).to_have_url(f"{base}/orders/{order_id}?done=received&order={order_id}")
            await expect(buyer.locator('[data-status="completed"]')).to_be_visible()
            await expect(buyer.get_by_role("button", name="Confirm receipt")).to_have_count(0)
            await buyer.screenshot(path=str(tmp_path / "order.png"), full_page=True)

            # 5. The merchant's money is available: the total less the commission.
            await merchant.goto("/merchant")
            await expect(merchant.locator('[data-balance="available"]')).to_have_text(
                f"¥{yuan(expected_available)}")
            await expect(merchant.locator('[data-balance="pending"]')).to_have_text("¥0.00")
            await merchant.screenshot(path=str(tmp_path / "merchant-console.png"), full_page=True)

            # 6. After-sales: the consumer returns it for a refund; the shop approves and confirms
            #    the return; the consumer is refunded in full plus ¥10 return shipping.
            await buyer.goto(f"/orders/{order_id}")
            await buyer.get_by_role("link", name="Refund or return").click()
            await buyer.select_option("#kind", "return_refund")
            await buyer.select_option("#reason", "quality")
            await buyer.fill("#description", "bruised apples")
            await buyer.get_by_role("button", name="Send request").click()
            await expect(buyer.locator('[data-status="requested"]')).to_be_visible()
            await merchant.goto("/merchant/aftersales")
            request = merchant.locator("[data-aftersale]")
            await expect(request).to_contain_text("bruised apples")
            await request.get_by_role("button", name="Approve").click()
            await buyer.goto(f"/orders/{order_id}")
            await buyer.get_by_label("Return carrier").fill("SF Express")
            await buyer.get_by_label("Return tracking number").fill("SFBACK123")
            await buyer.get_by_role("button", name="I sent it back").click()
            await expect(buyer.locator('[data-status="return_shipped"]')).to_be_visible()
            await merchant.goto("/merchant/aftersales")
            await merchant.get_by_role("button", name="Return received").click()
            await buyer.goto(f"/orders/{order_id}")
            await expect(buyer.locator('[data-status="refunded"]')).to_contain_text("Refunded ¥129.00 + ¥10.00")
            width = await buyer.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the order page is wider than the phone: {width}px"
            # The order had completed, so the refund comes out of the shop's available balance.
            await merchant.goto("/merchant")
            await expect(merchant.locator('[data-balance="available"]')).to_have_text("¥0.00")
        finally:
            await browser.close()

    assert expected_available == 12_255  # ¥122.55 at 5 %
    assert page_errors == [], page_errors
    assert server_errors == [], server_errors


async def _wait_until_paid(page: Page) -> None:
    """The gateway's callback lands after the redirect; the order page polls until it does."""
    box = page.locator("#order-status")
    await expect(box).to_be_visible()
    await expect(page.locator('[data-status="paid"]')).to_be_visible(timeout=TIMEOUT_MS)
    await expect(page.locator("#order-status")).to_contain_text("Paid")
    # The whole page agrees, not just the badge: nothing left to pay or cancel.
    await expect(page.get_by_role("link", name=re.compile(r"^Pay ¥"))).to_have_count(0)
    await expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)


def _posted(path: str) -> Callable[[Response], bool]:
    return lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith(path)


async def _fill_address(page: Page, address: dict[str, str]) -> None:
    await page.fill("#recipient", address["recipient"])
    await page.fill("#phone", address["phone"])
    await page.fill("#address", address["address"])
