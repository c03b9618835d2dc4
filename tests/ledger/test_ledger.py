"""The ledger: balanced, immutable, idempotent per fact, and checked."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from laotie.ledger import accounts
from laotie.ledger import service as ledger
from laotie.ledger.errors import UnbalancedEntry
from laotie.models import LedgerAccount
from tests.support import Api


async def test_entries_balance_and_post_once(api: Api) -> None:
    async with api.db.transaction() as s:
        with pytest.raises(UnbalancedEntry):
            await ledger.post_entry(s, "test", "1", [(accounts.GATEWAY_CLEARING, 100),
                                                     (accounts.shop_pending(1), -99)])
        first = await ledger.record_order_paid(s, order_id=1, shop_id=1, total=1000, commission=50)
        await ledger.record_order_paid(s, order_id=1, shop_id=1, total=1000, commission=50)
        assert first is None  # record_* return nothing; the second call must be a no-op
        report = await ledger.check(s)
        assert report.ok and report.entries == 1 and report.postings == 3
        assert (await ledger.shop_balances(s, 1)).pending == 950
        assert await ledger.platform_balances(s) == {"gateway_clearing": 1000, "commission_revenue": 50,
                                                     "gift_revenue": 0}


async def test_check_finds_drift(api: Api) -> None:
    async with api.db.transaction() as s:
        await ledger.record_order_paid(s, order_id=7, shop_id=3, total=500, commission=25)
        await s.execute(update(LedgerAccount).where(LedgerAccount.code == "shop:3:pending")
                        .values(balance=LedgerAccount.balance - 1))
        report = await ledger.check(s)
    assert not report.ok
    assert report.drifted == [("shop:3:pending", -476, -475)]
