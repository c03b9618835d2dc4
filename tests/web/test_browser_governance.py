"""An operator opens a case from the queue page; the merchant sees it on /me/cases and appeals; the operator upholds.

In Chromium at phone width against a real server: the case reaches the account's page with
its appeal window, the appeal reaches the operator's queue, upholding it overturns the case,
and no measure was ever applied. No page errors, nothing wider than the phone.
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
from laotie.models import AuditEntry, Penalty, ViolationCase
from tests.serving import serve
from tests.web.phone import assert_phone_width, phones
from tests.web.seed import account, fresh_database, merchant_with_product

pytestmark = pytest.mark.browser

MERCHANT = "tea_shop"
OPERATOR = "xiaoer"


@dataclass
class World:
    url: str
    settings: Settings


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            await merchant_with_product(s, settings, MERCHANT, title="Anxi oolong 250g")
            await account(s, settings, OPERATOR, "operator")
    finally:
        await db.dispose()
    async with serve(tmp_path, url) as base:
        yield World(base, settings)


async def test_open_appeal_and_uphold_a_case(world: World) -> None:
    async with phones(world.url) as ph:
        # The operator opens a case from the queue; a wrong account name is refused in place.
        op = await ph.signed_in(OPERATOR)
        await op.goto("/operator/cases")
        await expect(op.locator("[data-no-appeals]")).to_be_visible()
        await op.fill("#subject", "nobody_by_that_name")
        await op.select_option("#violation_code", "fake_orders")
        await op.fill("#reason", "Forty orders from one device in an hour")
        await op.get_by_role("button", name="Open case").click()
        await expect(op.locator(".error")).to_contain_text("no account with that username")
        await expect(op.locator("#reason")).to_have_value("Forty orders from one device in an hour")
        await op.fill("#subject", MERCHANT)
        await op.fill("#evidence", "orders 101-140, device fp ab12")
        # Each measure row shows the fields its kind needs; back on the catalog's, the row asks nothing.
        row = op.locator("[data-measure]").first
        await row.locator("select").select_option("fee")
        await expect(row.locator("input[name=m0_amount]")).to_be_visible()
        await expect(row.locator("input[name=m0_days]")).to_be_hidden()
        await row.locator("select").select_option("traffic_limit")
        await expect(row.locator("input[name=m0_days]")).to_be_visible()
        await expect(row.locator("input[name=m0_amount]")).to_be_hidden()
        await row.locator("select").select_option("")
        await expect(row.locator("input")).to_have_count(3)
        await expect(row.locator("input:visible")).to_have_count(0)
        await op.get_by_role("button", name="Open case").click()
        await expect(op.locator(".notice")).to_contain_text("opened")
        card = op.locator("[data-case]").first
        await expect(card).to_have_attribute("data-status", "notified")
        await expect(card).to_contain_text("traffic limited to 30% for 30 days")
        await assert_phone_width(op)

        # The merchant sees it, with its points not yet counted, and appeals within the window.
        shop = await ph.signed_in(MERCHANT)
        await shop.goto("/me/cases")
        case = shop.locator("[data-case]")
        await expect(case).to_have_count(1)
        await expect(case).to_contain_text("Forty orders from one device in an hour")
        await expect(case).to_contain_text("Appeal by")
        await expect(shop.locator("[data-points]")).to_have_text("0")
        await assert_phone_width(shop)
        await case.locator("textarea[name=statement]").fill("Those were a school's bulk order; invoice attached.")
        await case.get_by_role("button", name="Send appeal").click()
        await expect(shop.locator(".notice")).to_contain_text("with an operator")
        await expect(case).to_have_attribute("data-status", "appealed")
        await expect(case.locator("textarea")).to_have_count(0)  # one appeal per case

        # The operator upholds it; the case is overturned and the merchant sees so.
        await op.goto("/operator/cases")
        appeal = op.locator("[data-appeal]")
        await expect(appeal).to_contain_text("a school's bulk order")
        await appeal.locator("input[name=reason]").fill("Invoice checks out")
        await appeal.get_by_role("button", name="Uphold · overturn the case").click()
        await expect(op.locator(".notice")).to_contain_text("decided")
        await expect(op.locator("[data-no-appeals]")).to_be_visible()
        await expect(op.locator("[data-case]").first).to_have_attribute("data-status", "overturned")
        await op.locator("[data-case]").first.click()
        await expect(op.locator("[data-audit]")).to_have_count(3)
        await expect(op.locator("[data-audit='appeal.upheld']")).to_contain_text("Invoice checks out")
        await assert_phone_width(op)

        await shop.goto("/me/cases")
        await expect(case).to_have_attribute("data-status", "overturned")
        await expect(case).to_contain_text("Invoice checks out")
        await expect(shop.locator("[data-in-force]")).to_have_text("0")
        await assert_phone_width(shop)
        errors = ph.errors
    assert errors == []
    db = Database.connect(world.settings)
    try:
        async with db.transaction() as s:
            statuses = (await s.execute(select(ViolationCase.status))).scalars().all()
            applied = (await s.execute(select(Penalty.id))).scalars().all()
            actions = (await s.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars().all()
    finally:
        await db.dispose()
    assert (statuses, applied) == (["overturned"], [])
    assert actions == ["case.opened", "appeal.filed", "appeal.upheld"]
