"""Withdrawals of settled commission: in flight at once, then paid or failed by the gateway's signed callback."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import func, select

from laotie.alliance.service import commissions
from laotie.identity import service as identity
from laotie.ledger import accounts as acct
from laotie.ledger import service as ledger
from laotie.models import AlliancePayout, JournalEntry, User, utcnow
from laotie.orders.gateway import SIGNATURE_HEADER, gateway_for
from laotie.orders.service import refunds
from laotie.orders.service.checkout import Address, LineRequest, checkout
from tests.support import ADDRESS, Api, both_databases

URL = "/api/v1/alliance/payouts"
CALLBACK = f"{URL}/sandbox/callback"


async def _user(api: Api, token: str) -> User:
    async with api.db.transaction() as s:
        user = await identity.user_for_token(s, token)
    assert user is not None
    return user


async def earn(api: Api, price: int = 10_000, rate_bps: int = 2_000) -> dict[str, int | str]:
    """A creator sells one unit from their showcase, the order completes and the commission settles.

    ¥100 at 20%: ¥20 commission, the platform keeps 10%: ¥18 available to the creator.
    """
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    merchant, product, sku = await api.merchant_with_product(cat, price=price, stock=50)
    creator_token = await api.user("creator")
    listing = (await api.call("POST", "/api/v1/alliance/listings", merchant, expect=201,
                              json={"product_id": product, "rate_bps": rate_bps})).json()["id"]
    await api.call("POST", f"/api/v1/alliance/listings/{listing}/take", creator_token, expect=201)
    creator = await _user(api, creator_token)
    buyer_token = await api.user()
    buyer = await _user(api, buyer_token)
    async with api.db.transaction() as s:
        result = await checkout(s, api.db.settings, buyer, [LineRequest(sku, 1)], Address(**ADDRESS),
                                source=f"profile:{creator.id}")
    await api.pay(buyer_token, result.payment_id)
    order_id = result.order_ids[0]
    await api.call("POST", f"/api/v1/orders/{order_id}/ship", merchant, expect=200,
                   json={"carrier": "SF", "tracking_no": f"SF{order_id:08d}"})
    await api.call("POST", f"/api/v1/orders/{order_id}/confirm-receipt", buyer_token, expect=200)
    await api.settle()
    async with api.db.transaction() as s:
        assert await commissions.settle_due(s, utcnow() + timedelta(days=8)) == 1
    return {"creator": creator_token, "creator_id": creator.id, "order_id": order_id, "merchant": merchant,
            "product": product, "sku": sku, "listing": listing}


async def balances(api: Api, user_id: int) -> tuple[int, int]:
    """(available, in flight) as owed to the user."""
    async with api.db.transaction() as s:
        available = (await ledger.commission_balances(s, user_id)).available
        code = acct.payout_in_flight(user_id)[0]
        from laotie.ledger import repository as ledger_repository

        in_flight = -(await ledger_repository.balances(s, [code])).get(code, 0)
    return available, in_flight


async def clearing(api: Api) -> int:
    async with api.db.transaction() as s:
        return (await ledger.platform_balances(s))["gateway_clearing"]


async def entries(api: Api) -> int:
    async with api.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(JournalEntry))).scalar_one())


def signed(api: Api, payout: dict[str, object], status: str, **changes: object) -> tuple[bytes, dict[str, str]]:
    body, signature = gateway_for(api.db.settings).payout_notification(
        payout_id=int(payout["id"]),  # type: ignore[call-overload]
        amount=int(changes.get("amount", payout["amount"])),  # type: ignore[call-overload]
        currency=str(payout["currency"]), status=status, gateway_ref=str(payout["gateway_ref"]))
    return body, {SIGNATURE_HEADER: signature}


@both_databases
async def test_a_withdrawal_is_in_flight_then_paid_by_the_sandbox(api: Api) -> None:
    w = await earn(api)
    creator, creator_id = str(w["creator"]), int(w["creator_id"])
    assert await balances(api, creator_id) == (1_800, 0)
    before_clearing = await clearing(api)

    payout = (await api.call("POST", URL, creator, expect=201, json={"amount": 1_500})).json()
    assert (payout["status"], payout["amount"], payout["currency"]) == ("processing", 1_500, "CNY")
    assert await balances(api, creator_id) == (300, 1_500)
    await api.settle()  # the gateway is asked after commit
    payout = (await api.call("GET", f"{URL}/{payout['id']}", creator, expect=200)).json()
    assert payout["gateway_ref"] and payout["sent_at"]

    await api.call("POST", f"{URL}/{payout['id']}/sandbox-decision", creator, expect=202,
                   json={"outcome": "paid"})
    await api.settle()
    payout = (await api.call("GET", f"{URL}/{payout['id']}", creator, expect=200)).json()
    assert (payout["status"], payout["failure_reason"]) == ("paid", None)
    assert await balances(api, creator_id) == (300, 0)
    assert await clearing(api) == before_clearing - 1_500  # the money left the platform
    mine = (await api.call("GET", URL, creator, expect=200)).json()
    assert [p["id"] for p in mine] == [payout["id"]]
    # Decided: a second decision is refused.
    r = await api.call("POST", f"{URL}/{payout['id']}/sandbox-decision", creator, expect=409,
                       json={"outcome": "failed"})
    assert r.json()["code"] == "payout_already_decided"
    assert await api.ledger_ok()


@both_databases
async def test_a_failed_withdrawal_returns_the_money(api: Api) -> None:
    w = await earn(api)
    creator, creator_id = str(w["creator"]), int(w["creator_id"])
    before_clearing = await clearing(api)
    payout = (await api.call("POST", URL, creator, expect=201, json={"amount": 1_800})).json()
    await api.settle()
    assert await balances(api, creator_id) == (0, 1_800)
    await api.call("POST", f"{URL}/{payout['id']}/sandbox-decision", creator, expect=202,
                   json={"outcome": "failed"})
    await api.settle()
    payout = (await api.call("GET", f"{URL}/{payout['id']}", creator, expect=200)).json()
    assert payout["status"] == "failed" and payout["failure_reason"]
    assert await balances(api, creator_id) == (1_800, 0)
    assert await clearing(api) == before_clearing
    # The money is back and can be withdrawn again.
    await api.call("POST", URL, creator, expect=201, json={"amount": 1_800})
    assert await balances(api, creator_id) == (0, 1_800)
    assert await api.ledger_ok()


@both_databases
async def test_replayed_forged_and_malformed_callbacks_change_nothing(api: Api) -> None:
    w = await earn(api, price=20_000)  # ¥36 available
    creator, creator_id = str(w["creator"]), int(w["creator_id"])
    payout = (await api.call("POST", URL, creator, expect=201, json={"amount": 1_000})).json()
    await api.settle()
    payout = (await api.call("GET", f"{URL}/{payout['id']}", creator, expect=200)).json()

    body, headers = signed(api, payout, "paid")
    r = await api.call("POST", CALLBACK, expect=200, content=body, headers=headers)
    assert r.json() == {"payout_id": payout["id"], "result": "paid"}
    after = (await balances(api, creator_id), await clearing(api), await entries(api))
    assert after[0] == (2_600, 0)

    r = await api.call("POST", CALLBACK, expect=200, content=body, headers=headers)  # replayed
    assert r.json()["result"] == "already_processed"
    # The opposite outcome for a paid payout: refused.
    fail_body, fail_headers = signed(api, payout, "failed")
    r = await api.call("POST", CALLBACK, expect=409, content=fail_body, headers=fail_headers)
    assert r.json()["code"] == "payout_already_decided"

    # A second withdrawal, still in flight, takes the forgeries.
    other = (await api.call("POST", URL, creator, expect=201, json={"amount": 1_000})).json()
    await api.settle()
    other = (await api.call("GET", f"{URL}/{other['id']}", creator, expect=200)).json()
    snapshot = (await balances(api, creator_id), await clearing(api), await entries(api))
    good_body, good_headers = signed(api, other, "paid")
    forged = json.loads(good_body)
    forged["status"] = "failed"
    cases: list[tuple[bytes, dict[str, str], int, str]] = [
        (json.dumps(forged, sort_keys=True).encode(), good_headers, 401, "bad_signature"),  # body changed
        (good_body, {SIGNATURE_HEADER: "0" * 64}, 401, "bad_signature"),
        (good_body, {}, 401, "bad_signature"),
        (b"not json", {SIGNATURE_HEADER: gateway_for(api.db.settings).payout_notification(
            payout_id=1, amount=1, currency="CNY", status="paid")[1]}, 401, "bad_signature"),
    ]
    for body_, headers_, status, code in cases:
        r = await api.call("POST", CALLBACK, expect=status, content=body_, headers=headers_)
        assert r.json()["code"] == code
    # Correctly signed but malformed, unknown, or for the wrong amount.
    from laotie.kit import signing

    secret = gateway_for(api.db.settings).secret
    for raw, status, code in [
        (b"[1, 2]", 400, "bad_notification"),
        (b"{\"kind\": \"payout\"}", 400, "bad_notification"),
        (json.dumps({**json.loads(good_body), "status": "maybe"}).encode(), 400, "bad_notification"),
        (json.dumps({**json.loads(good_body), "kind": "payment"}).encode(), 400, "bad_notification"),
        (json.dumps({**json.loads(good_body), "amount": 1e400}).encode(), 400, "bad_notification"),
        (json.dumps({**json.loads(good_body), "payout_id": 10**9}).encode(), 404, "payout_not_found"),
        (json.dumps({**json.loads(good_body), "amount": 1}).encode(), 400, "amount_mismatch"),
    ]:
        r = await api.call("POST", CALLBACK, expect=status, content=raw,
                           headers={SIGNATURE_HEADER: signing.sign(secret, raw)})
        assert r.json()["code"] == code, raw
    # A payment notification is not a payout notification.
    pay_body, pay_sig = gateway_for(api.db.settings).notification(payment_id=other["id"], amount=1_000,
                                                                  currency="CNY", status="succeeded")
    r = await api.call("POST", CALLBACK, expect=400, content=pay_body, headers={SIGNATURE_HEADER: pay_sig})
    assert r.json()["code"] == "bad_notification"
    assert (await balances(api, creator_id), await clearing(api), await entries(api)) == snapshot
    assert (await api.call("GET", f"{URL}/{other['id']}", creator, expect=200)).json()["status"] == "processing"
    assert await api.ledger_ok()


@both_databases
async def test_refused_withdrawals_change_nothing(api: Api) -> None:
    w = await earn(api)
    creator, creator_id = str(w["creator"]), int(w["creator_id"])
    snapshot = (await balances(api, creator_id), await entries(api))
    for amount, status, code in [(999, 400, "payout_below_minimum"), (1_801, 409, "insufficient_balance")]:
        r = await api.call("POST", URL, creator, expect=status, json={"amount": amount})
        assert r.json()["code"] == code
    for bad in ({"amount": 0}, {"amount": -5}, {"amount": "lots"}, {}, {"amount": 10**13}):
        r = await api.call("POST", URL, creator, expect=422, json=bad)
    assert (await balances(api, creator_id), await entries(api)) == snapshot
    # Someone else's payout, or none at all: not found.
    payout = (await api.call("POST", URL, creator, expect=201, json={"amount": 1_000})).json()
    stranger = await api.user("creator")
    for url in (f"{URL}/{payout['id']}", f"{URL}/999999"):
        assert (await api.call("GET", url, stranger, expect=404)).json()["code"] == "payout_not_found"
    r = await api.call("POST", f"{URL}/{payout['id']}/sandbox-decision", stranger, expect=404,
                       json={"outcome": "paid"})
    assert (await api.call("GET", URL, stranger, expect=200)).json() == []
    # A user who never earned: nothing available.
    r = await api.call("POST", URL, stranger, expect=409, json={"amount": 1_000})
    assert r.json()["code"] == "insufficient_balance"
    assert await api.ledger_ok()


@both_databases
async def test_a_balance_below_zero_after_a_clawback_cannot_be_withdrawn(api: Api) -> None:
    w = await earn(api)
    creator, creator_id = str(w["creator"]), int(w["creator_id"])
    payout = (await api.call("POST", URL, creator, expect=201, json={"amount": 1_800})).json()
    await api.settle()
    await api.call("POST", f"{URL}/{payout['id']}/sandbox-decision", creator, expect=202, json={"outcome": "paid"})
    await api.settle()
    async with api.db.transaction() as s:  # the whole order refunded after settlement and payout
        await refunds.refund_order(s, api.db.settings, int(w["order_id"]), 10_000, reason="test", ref="all")
    await api.settle()
    assert await balances(api, creator_id) == (-1_800, 0)
    snapshot = await entries(api)
    r = await api.call("POST", URL, creator, expect=409, json={"amount": 1_000})
    assert r.json()["code"] == "balance_negative"
    assert await entries(api) == snapshot
    assert await api.ledger_ok()


@both_databases
async def test_two_concurrent_withdrawals_of_the_whole_balance_one_succeeds(api: Api) -> None:
    w = await earn(api)
    creator, creator_id = str(w["creator"]), int(w["creator_id"])
    first, second = await asyncio.gather(
        api.call("POST", URL, creator, json={"amount": 1_800}),
        api.call("POST", URL, creator, json={"amount": 1_800}),
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    refused = first if first.status_code == 409 else second
    assert refused.json()["code"] == "insufficient_balance"
    assert await balances(api, creator_id) == (0, 1_800)
    async with api.db.transaction() as s:
        count = (await s.execute(select(func.count()).select_from(AlliancePayout)
                                 .where(AlliancePayout.user_id == creator_id))).scalar_one()
    assert count == 1
    assert await api.ledger_ok()


@both_databases
async def test_earnings_by_day_for_the_chart(api: Api) -> None:
    w = await earn(api)
    creator = str(w["creator"])
    days = (await api.call("GET", "/api/v1/alliance/earnings/daily?days=30", creator, expect=200)).json()
    assert len(days) == 30
    today = utcnow().date().isoformat()
    assert days[-1]["day"] == today
    assert (days[-1]["estimated"], days[-1]["reversed"]) == (1_800, 0)
    # Settled on the (test's) settlement day, a week ahead: outside the chart of the past.
    assert sum(d["settled"] for d in days) == 0
    assert sum(d["estimated"] for d in days[:-1]) == 0
    for bad in ("days=0", "days=367", "days=x"):
        await api.call("GET", f"/api/v1/alliance/earnings/daily?{bad}", creator, expect=422)
    other = await api.user("creator")
    assert sum(d["estimated"] for d in (await api.call("GET", "/api/v1/alliance/earnings/daily?days=7", other,
                                                       expect=200)).json()) == 0


@both_databases
async def test_earnings_by_day_put_settlement_on_its_own_day(api: Api) -> None:
    from laotie.alliance.payouts import service

    w = await earn(api)
    creator = await _user(api, str(w["creator"]))
    async with api.db.transaction() as s:
        days = await service.earnings_by_day(s, creator, 10, now=utcnow() + timedelta(days=8))
    # Sold 8 days before that "now" (the chart's 2nd day), settled on its last day.
    assert [(d.estimated, d.settled, d.reversed) for d in days if d.estimated or d.settled] == [
        (1_800, 0, 0), (0, 1_800, 0)]
    assert (days[1].estimated, days[-1].settled) == (1_800, 1_800)
    async with api.db.transaction() as s:  # a partial refund after settlement: reversed on the sale's day
        await refunds.refund_order(s, api.db.settings, int(w["order_id"]), 5_000, reason="test", ref="half")
    await api.settle()
    async with api.db.transaction() as s:
        days = await service.earnings_by_day(s, creator, 10, now=utcnow() + timedelta(days=8))
    assert (days[1].estimated, days[1].reversed, days[-1].settled) == (1_800, 900, 1_800)
    assert await api.ledger_ok()
