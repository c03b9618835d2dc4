"""Gateway and carrier callbacks survive lock conflicts: retried afresh, at worst a 503, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from laotie.kit import db as kit_db
from laotie.ledger import service as ledger
from laotie.models import Order, Payment
from laotie.orders import logistics
from laotie.orders.gateway import SIGNATURE_HEADER, gateway_for
from laotie.orders.service import lifecycle, payment
from tests.kit.test_retry import conflict
from tests.support import Api, both_databases

CALLBACK = "/api/v1/payments/sandbox/callback"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kit_db, "RETRY_BASE_SECONDS", 0.0)


async def _checkout(api: Api) -> tuple[str, str, dict[str, Any]]:
    op = await api.operator()
    merchant, _, sku = await api.merchant_with_product(await api.category(op, rate_bps=300), price=5000)
    buyer = await api.user()
    return merchant, buyer, (await api.buy(buyer, sku)).json()


def _fails_first(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, times: int) -> list[int]:
    """Make `module.name` do its work and then hit a deadlock, `times` times: the work must roll back."""
    real = getattr(module, name)
    calls: list[int] = []

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        out = await real(*args, **kwargs)
        if len(calls) <= times:
            raise conflict()
        return out

    monkeypatch.setattr(module, name, flaky)
    return calls


@both_databases
async def test_a_deadlocked_payment_callback_is_retried_and_pays_once(api: Api,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    merchant, _, checkout = await _checkout(api)
    body, sig = gateway_for(api.db.settings).notification(
        payment_id=checkout["payment_id"], amount=checkout["amount"], currency="CNY", status="succeeded",
        gateway_ref="sbx_retry")
    calls = _fails_first(monkeypatch, payment, "handle_notification", 2)
    r = await api.call("POST", CALLBACK, expect=200, content=body, headers={SIGNATURE_HEADER: sig})
    assert r.json()["result"] == "paid" and len(calls) == 3
    balances = (await api.call("GET", "/api/v1/shops/mine/balances", merchant, expect=200)).json()
    assert balances["pending"] == 5000 - 150
    async with api.db.transaction() as s:
        report = await ledger.check(s)
    assert report.ok and report.entries == 1


async def test_a_callback_that_stays_deadlocked_is_told_to_come_back(api: Api,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, checkout = await _checkout(api)
    body, sig = gateway_for(api.db.settings).notification(
        payment_id=checkout["payment_id"], amount=checkout["amount"], currency="CNY", status="succeeded",
        gateway_ref="sbx_retry")
    _fails_first(monkeypatch, payment, "handle_notification", 99)
    r = await api.call("POST", CALLBACK, expect=503, content=body, headers={SIGNATURE_HEADER: sig})
    assert r.json()["code"] == "busy"
    async with api.db.transaction() as s:
        pay = (await s.execute(select(Payment).where(Payment.id == checkout["payment_id"]))).scalar_one()
        assert pay.status == "pending"
        assert (await ledger.check(s)).entries == 0


async def test_a_deadlocked_carrier_callback_is_retried(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    merchant, buyer, checkout = await _checkout(api)
    await api.pay(buyer, checkout["payment_id"])
    order_id = checkout["order_ids"][0]
    await api.call("POST", f"/api/v1/orders/{order_id}/ship", merchant, expect=200,
                   json={"carrier": "SF", "tracking_no": f"SF{order_id:06d}"})
    body, sig = logistics.delivery_notification(api.db.settings, order_id, f"SF{order_id:06d}")
    calls = _fails_first(monkeypatch, lifecycle, "deliver_order", 1)
    r = await api.call("POST", "/api/v1/logistics/sandbox/callback", expect=200, content=body,
                       headers={logistics.SIGNATURE_HEADER: sig})
    assert r.json()["status"] == "delivered" and len(calls) == 2
    async with api.db.transaction() as s:
        assert (await s.get(Order, order_id, populate_existing=True)).status == "delivered"  # type: ignore[union-attr]
