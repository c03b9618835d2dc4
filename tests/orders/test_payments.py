"""Gateway callbacks: verified, idempotent, and never resurrecting a cancelled order."""

from __future__ import annotations

import json

from sqlalchemy import select

from laotie.ledger import service as ledger
from laotie.models import Order, Payment, PaymentRefund
from laotie.orders.gateway import SIGNATURE_HEADER, gateway_for
from tests.support import Api, both_databases

CALLBACK = "/api/v1/payments/sandbox/callback"


async def _setup(api: Api, price: int = 5000) -> tuple[str, str, dict]:
    op = await api.operator()
    cat = await api.category(op, rate_bps=300)
    merchant, _, sku = await api.merchant_with_product(cat, price=price, stock=10)
    buyer = await api.user()
    checkout = (await api.buy(buyer, sku)).json()
    return merchant, buyer, checkout


def _notification(api: Api, checkout: dict, **over: object) -> tuple[bytes, str]:
    fields = dict(payment_id=checkout["payment_id"], amount=checkout["amount"], currency="CNY",
                  status="succeeded", gateway_ref="sbx_fixed_ref")
    fields.update(over)
    return gateway_for(api.db.settings).notification(**fields)  # type: ignore[arg-type]


async def _post(api: Api, body: bytes, sig: str | None, expect: int):
    headers = {SIGNATURE_HEADER: sig} if sig is not None else {}
    return await api.call("POST", CALLBACK, expect=expect, content=body, headers=headers)


@both_databases
async def test_replayed_callback_is_one_payment(api: Api) -> None:
    merchant, _, checkout = await _setup(api)
    body, sig = _notification(api, checkout)
    first = await _post(api, body, sig, 200)
    again = await _post(api, body, sig, 200)
    assert first.json()["result"] == "paid"
    assert first.json()["paid_order_ids"] == checkout["order_ids"]
    assert again.json()["result"] == "already_processed"
    balances = (await api.call("GET", "/api/v1/shops/mine/balances", merchant, expect=200)).json()
    assert balances["pending"] == 5000 - 150  # 3% commission, credited once
    async with api.db.transaction() as s:
        entries = await ledger.check(s)
        assert entries.ok and entries.entries == 1


async def test_forged_signature_changes_nothing(api: Api) -> None:
    _, _, checkout = await _setup(api)
    body, sig = _notification(api, checkout)
    r = await _post(api, body, "0" * 64, 401)
    assert r.json()["code"] == "bad_signature"
    r = await _post(api, body, None, 401)
    assert r.json()["code"] == "bad_signature"
    tampered = body.replace(b'"amount": 5000', b'"amount": 1')
    assert tampered != body
    r = await _post(api, tampered, sig, 401)
    async with api.db.transaction() as s:
        assert (await s.get(Payment, checkout["payment_id"])).status == "pending"
        assert (await s.get(Order, checkout["order_ids"][0])).status == "pending_payment"


async def test_wrong_amount_or_currency_is_refused(api: Api) -> None:
    _, _, checkout = await _setup(api)
    for over in ({"amount": checkout["amount"] - 1}, {"currency": "USD"}):
        body, sig = _notification(api, checkout, **over)
        r = await _post(api, body, sig, 400)
        assert r.json()["code"] == "amount_mismatch"
    async with api.db.transaction() as s:
        assert (await s.get(Payment, checkout["payment_id"])).status == "pending"
        assert (await ledger.check(s)).entries == 0


async def test_malformed_notification_is_refused(api: Api) -> None:
    gateway = gateway_for(api.db.settings)
    from laotie.kit import signing

    for body in (b"not json", b"{}", json.dumps({"payment_id": "x"}).encode(),
                 json.dumps({"payment_id": 1, "gateway_ref": "r", "amount": 1, "currency": "CNY",
                             "status": "refunded"}).encode()):
        r = await _post(api, body, signing.sign(gateway.secret, body), 400)
        assert r.json()["code"] == "bad_notification"
    body, sig = gateway.notification(payment_id=999999, amount=1, currency="CNY", status="succeeded")
    assert (await _post(api, body, sig, 404)).json()["code"] == "payment_not_found"


@both_databases
async def test_late_callback_after_cancel_refunds(api: Api) -> None:
    merchant, buyer, checkout = await _setup(api)
    order_id = checkout["order_ids"][0]
    await api.call("POST", f"/api/v1/orders/{order_id}/cancel", buyer, expect=200)
    body, sig = _notification(api, checkout)
    r = await _post(api, body, sig, 200)
    assert r.json()["paid_order_ids"] == []
    assert r.json()["refunded_order_ids"] == [order_id]
    again = await _post(api, body, sig, 200)
    assert again.json()["result"] == "already_processed"
    async with api.db.transaction() as s:
        assert (await s.get(Order, order_id)).status == "cancelled"
        refunds = (await s.execute(select(PaymentRefund))).scalars().all()
        assert [(x.order_id, x.amount, x.reason) for x in refunds] == [(order_id, 5000, "paid_after_cancel")]
        # money in and straight back out: the gateway clearing account nets to zero
        got = await ledger.platform_balances(s)
        assert got == {"gateway_clearing": 0, "commission_revenue": 0, "gift_revenue": 0}
        assert (await ledger.check(s)).ok
    balances = (await api.call("GET", "/api/v1/shops/mine/balances", merchant, expect=200)).json()
    assert (balances["pending"], balances["available"]) == (0, 0)


async def test_declined_then_approved(api: Api) -> None:
    _, buyer, checkout = await _setup(api)
    body, sig = _notification(api, checkout, status="declined", reason="insufficient funds")
    assert (await _post(api, body, sig, 200)).json()["result"] == "declined"
    async with api.db.transaction() as s:
        payment = await s.get(Payment, checkout["payment_id"])
        assert (payment.status, payment.last_decline) == ("pending", "insufficient funds")
    await api.pay(buyer, checkout["payment_id"])
    order = (await api.call("GET", f"/api/v1/orders/{checkout['order_ids'][0]}", buyer, expect=200)).json()
    assert order["status"] == "paid"


async def test_second_different_charge_is_refunded(api: Api) -> None:
    _, _, checkout = await _setup(api)
    body, sig = _notification(api, checkout)
    await _post(api, body, sig, 200)
    body2, sig2 = _notification(api, checkout, gateway_ref="sbx_other_charge")
    assert (await _post(api, body2, sig2, 200)).json()["result"] == "refunded_duplicate"
    async with api.db.transaction() as s:
        assert (await ledger.check(s)).ok
        clearing = (await ledger.platform_balances(s))["gateway_clearing"]
        assert clearing == checkout["amount"]  # only the first charge is kept
