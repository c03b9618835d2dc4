"""An operator opens the fraud-ring queue on a phone, reads a planted ring's evidence and confirms it.

In Chromium at 390×844 against a real server: the ring planted through the tables (see
`tests/trust/test_fraud_db.py`) and found by a detection run is first in the queue with its
evidence lines, counts and shop links; confirming it with a reason moves it to "Recently
decided", and its orders are excluded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from laotie.config import Settings
from laotie.kit.db import Database
from laotie.models import ExcludedOrder, FraudRing, utcnow
from laotie.trust.fraud import service as fraud_rings
from tests.serving import serve
from tests.trust.fraud.test_db import World as Planted
from tests.trust.fraud.test_db import plant
from tests.web.phone import assert_phone_width, phones
from tests.web.seed import PASSWORD, fresh_database

pytestmark = pytest.mark.browser



@dataclass
class World:
    url: str
    settings: Settings
    planted: Planted
    ring_id: int


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    db = Database.connect(settings)
    try:
        now = utcnow()
        async with db.transaction() as s:
            planted = await plant(s, settings, now)
        async with db.transaction() as s:
            rings = await fraud_rings.run_detection(s, now - fraud_rings.DEFAULT_WINDOW, now)
        assert len(rings) == 1
    finally:
        await db.dispose()
    async with serve(tmp_path, url) as base:
        yield World(base, settings, planted, rings[0].id)


async def test_operator_reads_the_evidence_and_confirms_the_ring(world: World) -> None:
    async with phones(world.url) as ph:
        page = await ph.page()

        await page.goto("/login?next=/operator/fraud")
        await page.fill("#username", "fraud_op")
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(f"{world.url}/operator/fraud")
        await expect(page.locator(".tabs a.on")).to_have_text("Fraud rings")

        card = page.locator(f'[data-ring="{world.ring_id}"]')
        await expect(card).to_be_visible()
        await expect(card.locator("[data-counts]")).to_contain_text(
            f"8 accounts · 2 shops · 1 creator · {len(world.planted.ring_orders)} orders")
        await expect(card.locator('[data-evidence="density"]')).to_contain_text("Dense block")
        await expect(card.locator('[data-evidence="new_accounts"]')).to_contain_text(
            "8 of 8 accounts were less than 7 days old")
        await expect(card.locator('[data-evidence="shared_fingerprints"]')).to_contain_text(
            "share a device or address")
        await expect(card.locator('[data-evidence="tiny_instant"]')).to_contain_text("confirmed receipt")
        await expect(card.locator("[data-shop]")).to_have_count(2)
        await expect(card.locator("[data-shop]").first).to_have_attribute("href", "/shops/"
                                                                           + str(min(world.planted.ring_shops)))
        await assert_phone_width(page)

        reason = "两台手机、两个代收点，¥5 链接一小时内确认收货"
        await card.get_by_label(f"Reason for ring {world.ring_id}").fill(reason)
        await card.get_by_role("button", name="Confirm ring").click()
        await expect(page.locator(".notice")).to_contain_text(f"Ring {world.ring_id} confirmed")
        await expect(page.locator(f'[data-ring="{world.ring_id}"]')).to_have_count(0)
        decided = page.locator(f'[data-decided="{world.ring_id}"]')
        await expect(decided.locator("[data-status]")).to_have_text("confirmed")
        await expect(decided).to_contain_text(reason)
        await assert_phone_width(page)
        assert ph.errors == []
    db = Database.connect(world.settings)
    try:
        async with db.transaction() as s:
            assert (await s.get(FraudRing, world.ring_id)).status == "confirmed"  # type: ignore[union-attr]
            excluded = set((await s.execute(select(ExcludedOrder.order_id))).scalars())
        assert excluded == world.planted.ring_orders
    finally:
        await db.dispose()
