"""A buyer reviews a delivered order and writes to the shop; the shop answers both and reads its score.

In Chromium at phone width against a real server: the order page's message and review cards
(htmx fragments) send and swap in place, the shop finds the waiting buyer on its messages page,
answers and replies to the review, the product page shows the review, and the score page shows
the total, every indicator with its percentile, the diagnosis and the history chart after an
on-demand recompute. No page errors, nothing wider than the phone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from laotie.app import _register_domains
from laotie.config import Settings
from laotie.kit.db import Database
from laotie.kit.events import Dispatcher, bus
from laotie.models import OrderMessage, PlatformSetting, Review, utcnow
from laotie.orders.service import lifecycle, payment
from laotie.orders.service.checkout import Address, LineRequest, checkout
from laotie.trust.score.core import ScoreSettings
from laotie.trust.score.service import settings as score_config
from tests.serving import serve
from tests.web.phone import assert_phone_width, phones
from tests.web.seed import account, fresh_database, merchant_with_product

pytestmark = pytest.mark.browser

MERCHANT = "orchard_shop"
BUYER = "apple_fan"


@dataclass
class World:
    url: str
    settings: Settings
    order_id: int
    product_id: int


async def _settle(dispatcher: Dispatcher) -> None:
    while await dispatcher.drain():
        pass


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    """A delivered order, bought and paid through the services, events dispatched in-process."""
    url, settings = await fresh_database(tmp_path, monkeypatch)
    _register_domains()
    db = Database.connect(settings)
    dispatcher = Dispatcher(db, bus)
    try:
        async with db.transaction() as s:
            shop = await merchant_with_product(s, settings, MERCHANT, title="Yantai apples 5kg")
            buyer = await account(s, settings, BUYER)
            bought = await checkout(s, settings, buyer, [LineRequest(shop.sku_id, 1)],
                                    Address("Zhang San", "13800000001", "8 Orchard Road, Yantai"))
            await payment.sandbox_decide(s, settings, buyer, bought.payment_id, approve=True)
            # One order is enough to be scored here, so the page shows a diagnosis, not the new-shop note.
            s.add(PlatformSetting(key=score_config.SETTINGS_KEY,
                                  value=score_config.settings_to_json(ScoreSettings(min_orders=1)),
                                  updated_at=utcnow()))
        await _settle(dispatcher)
        order_id = bought.order_ids[0]
        async with db.transaction() as s:
            await lifecycle.ship_order(s, shop.user, order_id, carrier="SF", tracking_no="SF0001")
            await lifecycle.deliver_order(s, order_id, "SF0001")
        await _settle(dispatcher)
    finally:
        await db.dispose()
    async with serve(tmp_path, url) as base:
        yield World(base, settings, order_id, shop.product_id)


async def test_review_message_reply_and_the_score_page(world: World) -> None:
    async with phones(world.url) as ph:
        buyer = await ph.signed_in(BUYER)
        await buyer.goto(f"/orders/{world.order_id}")

        # Ask the shop something: the message appears in the thread, waiting for an answer.
        messages = buyer.locator("#order-messages")
        await expect(messages.locator("[data-empty]")).to_be_visible()
        await messages.get_by_label("Message").fill("什么时候能到？")
        await messages.get_by_role("button", name="Send 发送").click()
        await expect(messages.locator('[data-role="buyer"]')).to_contain_text("什么时候能到？")
        await expect(messages.locator("[data-wait]")).to_have_text("waiting for the shop")

        # Review the line: four stars for the product, some text.
        form = buyer.locator("[data-review-form]")
        await form.locator('input[name="product_stars"][value="4"]').check()
        await form.get_by_label("Your review 评价内容").fill("很甜，就是有两个磕碰")
        await form.get_by_role("button", name="Post review 发布评价").click()
        reviews = buyer.locator("#order-reviews")
        await expect(reviews.locator(".notice")).to_contain_text("Thank you")
        await expect(reviews.locator("[data-review]")).to_contain_text("很甜，就是有两个磕碰")
        await expect(reviews.locator("[data-review-form]")).to_have_count(0)  # one review per line
        await assert_phone_width(buyer)

        # The shop sees who is waiting, answers, and replies to the review on the order page.
        shop = await ph.signed_in(MERCHANT)
        await shop.goto("/merchant/messages")
        await expect(shop.locator(f'[data-waiting="{world.order_id}"]')).to_contain_text("什么时候能到？")
        await assert_phone_width(shop)
        await shop.locator(f'[data-waiting="{world.order_id}"] a').click()
        shop_messages = shop.locator("#order-messages")
        await shop_messages.get_by_label("Message").fill("明天上午到，请留意电话")
        await shop_messages.get_by_role("button", name="Send 发送").click()
        await expect(shop_messages.locator('[data-role="merchant"]')).to_contain_text("明天上午到")
        await expect(shop_messages.locator("[data-wait]")).to_contain_text("answered in")
        shop_reviews = shop.locator("#order-reviews")
        await shop_reviews.get_by_label("Your reply (public, once) 回复").fill("感谢支持，磕碰的我们补发一份")
        await shop_reviews.get_by_role("button", name="Reply 回复").click()
        await expect(shop_reviews.locator("[data-reply]")).to_contain_text("感谢支持")
        await assert_phone_width(shop)

        # The buyer's open page picks up the answer (the thread polls).
        await expect(messages.locator('[data-role="merchant"]')).to_contain_text("明天上午到", timeout=15_000)
        await buyer.goto(f"/products/{world.product_id}")
        product_reviews = buyer.locator("#product-reviews")
        await expect(product_reviews.locator("[data-rating]")).to_contain_text("4.0")
        await expect(product_reviews.locator("[data-review]")).to_contain_text("商家回复")
        await assert_phone_width(buyer)

        # The score page: not computed yet, then recomputed on demand.
        await shop.goto("/merchant/score")
        await expect(shop.locator("[data-band-label]")).to_have_text("新店 new shop")
        await expect(shop.locator("#new-shop")).to_contain_text("paid orders in the last 30 days")
        await shop.get_by_role("button", name="Recompute now").click()
        await expect(shop.locator(".notice")).to_contain_text("recomputed")
        await expect(shop.locator("[data-band-label]")).not_to_have_text("新店 new shop")
        delivery = shop.locator('[data-indicator="delivery_hours"]')
        await expect(delivery.locator("[data-percentile]")).to_have_text("P50")  # alone in its category
        await expect(shop.locator('[data-indicator="quality_return_rate"] [data-value]')).to_have_text("0.0%")
        await expect(shop.locator("[data-dimension]")).to_have_count(3)
        await expect(shop.locator("#diagnosis")).to_contain_text("失分最多的是")
        await expect(shop.locator('[data-finding="delivery_hours"]')).to_contain_text("平均配送时长")
        await expect(shop.locator("#score-history canvas")).to_have_count(1)
        await assert_phone_width(shop)
        # A second recompute within ten minutes is refused on the page, not with an error page.
        await shop.get_by_role("button", name="Recompute now").click()
        await expect(shop.locator(".error")).to_contain_text("less than 10 minutes ago")
        await assert_phone_width(shop)
    assert ph.errors == []

    db = Database.connect(world.settings)
    try:
        async with db.transaction() as s:
            [review] = (await s.execute(select(Review))).scalars().all()
            roles = (await s.execute(select(OrderMessage.sender_role).order_by(OrderMessage.id))).scalars().all()
    finally:
        await db.dispose()
    assert (review.product_stars, review.logistics_stars, review.service_stars) == (4, 5, 5)
    assert review.reply == "感谢支持，磕碰的我们补发一份"
    assert roles == ["buyer", "merchant"]
