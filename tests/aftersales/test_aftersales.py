"""Every after-sales path and guarantee, each ending with the ledger check."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from laotie.aftersales.tasks import apply_deadlines
from laotie.ledger import accounts as acct
from laotie.ledger import repository as ledger_repo
from laotie.models import Aftersale, Order, Shop, Sku, User, utcnow
from laotie.orders import logistics
from laotie.orders.service import refunds
from laotie.orders.tasks import auto_confirm
from tests.support import Api

PRICE = 9_900  # fen; the category's rate is 5% → commission 495


@dataclass
class World:
    merchant: str
    buyer: str
    sku: int
    shop_id: int
    buyer_id: int


async def world(api: Api, *, good_standing: bool = True, price: int = PRICE) -> World:
    op = await api.operator()
    merchant, _, sku = await api.merchant_with_product(await api.category(op), price=price, stock=20)
    buyer = await api.user()
    me = (await api.call("GET", "/api/v1/me", buyer, expect=200)).json()
    async with api.db.transaction() as s:
        shop_id = (await s.execute(select(Sku.product_id).where(Sku.id == sku))).scalar_one()
        from laotie.models import Product

        shop_id = (await s.execute(select(Product.shop_id).where(Product.id == shop_id))).scalar_one()
        if good_standing:  # an account 30 days old with one completed order behind it
            await s.execute(update(User).where(User.id == me["id"]).values(created_at=utcnow() - timedelta(days=30)))
    w = World(merchant, buyer, sku, shop_id, me["id"])
    if good_standing:
        history = await paid_order(api, w)
        await ship(api, w, history, deliver=True)
        await api.call("POST", f"/api/v1/orders/{history}/confirm-receipt", buyer, expect=200)
    return w


async def paid_order(api: Api, w: World) -> int:
    c = (await api.buy(w.buyer, w.sku)).json()
    await api.pay(w.buyer, c["payment_id"])
    return int(c["order_ids"][0])


async def ship(api: Api, w: World, order_id: int, *, deliver: bool = False) -> None:
    await api.call("POST", f"/api/v1/orders/{order_id}/ship", w.merchant, expect=200,
                   json={"carrier": "SF", "tracking_no": f"SF{order_id:06d}"})
    if deliver:
        body, sig = logistics.delivery_notification(api.db.settings, order_id, f"SF{order_id:06d}")
        await api.call("POST", "/api/v1/logistics/sandbox/callback", expect=200, content=body,
                       headers={logistics.SIGNATURE_HEADER: sig})


async def ask(api: Api, w: World, order_id: int, kind: str, expect: int | None = 201, **extra):
    return await api.call("POST", "/api/v1/aftersales", w.buyer, expect=expect,
                          json={"order_id": order_id, "kind": kind, "reason": "quality", **extra})


async def balances(api: Api, w: World) -> dict[str, int]:
    codes = {"pending": acct.shop_pending(w.shop_id)[0], "available": acct.shop_available(w.shop_id)[0],
             "commission": acct.COMMISSION_REVENUE[0], "clearing": acct.GATEWAY_CLEARING[0],
             "guarantee": acct.GUARANTEE_EXPENSE[0], "deposit": acct.shop_deposit(w.shop_id)[0]}
    async with api.db.transaction() as s:
        got = await ledger_repo.balances(s, list(codes.values()))
    signs = {"pending": -1, "available": -1, "commission": -1, "clearing": 1, "guarantee": 1, "deposit": -1}
    return {k: signs[k] * got.get(code, 0) for k, code in codes.items()}


async def order_row(api: Api, order_id: int) -> Order:
    async with api.db.transaction() as s:
        order = await s.get(Order, order_id)
        assert order is not None
        return order


async def test_instant_refund_for_an_unshipped_order_of_a_buyer_in_good_standing(api: Api) -> None:
    w = await world(api)
    before = await balances(api, w)
    order_id = await paid_order(api, w)
    a = (await ask(api, w, order_id, "refund_only")).json()
    assert (a["status"], a["guarantee"], a["refunded"]) == ("refunded", "instant", PRICE)
    order = await order_row(api, order_id)
    assert (order.status, order.cancel_reason, order.refunded) == ("cancelled", "refunded", PRICE)
    async with api.db.transaction() as s:
        assert (await s.get(Sku, w.sku)).stock == 20 - 1  # only the earlier completed order's unit is gone
    assert await balances(api, w) == before  # the refunded order left no money anywhere
    assert await api.ledger_ok()


async def test_guarantees_cannot_be_farmed_by_a_new_account(api: Api) -> None:
    w = await world(api, good_standing=False)
    standing = (await api.call("GET", "/api/v1/me/standing", w.buyer, expect=200)).json()
    assert standing["good"] is False and any("younger" in r for r in standing["reasons"])
    order_id = await paid_order(api, w)
    a = (await ask(api, w, order_id, "refund_only")).json()
    assert (a["status"], a["guarantee"]) == ("requested", None)
    a = (await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=200,
                        json={"approve": True})).json()
    assert (a["status"], a["refunded"]) == ("refunded", PRICE)
    assert (await order_row(api, order_id)).status == "cancelled"
    assert await api.ledger_ok()


async def test_partial_refunds_reverse_commission_pro_rata_before_and_after_completion(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    base = await balances(api, w)
    a = (await ask(api, w, order_id, "refund_only", amount=3000)).json()
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=200, json={"approve": True})
    got = await balances(api, w)
    # 495 × 3000 // 9900 = 150 of commission comes back; the merchant gives back 2850.
    assert got["commission"] - base["commission"] == -150
    assert got["pending"] - base["pending"] == -2850
    await api.call("POST", f"/api/v1/orders/{order_id}/confirm-receipt", w.buyer, expect=200)
    got = await balances(api, w)
    assert got["available"] - base["available"] == (PRICE - 3000) - (495 - 150)  # 6555 settled
    # After completion the rest comes from the available balance; the commission adds up to 495 exactly.
    a = (await ask(api, w, order_id, "refund_only")).json()
    assert a["amount"] == PRICE - 3000
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=200, json={"approve": True})
    got = await balances(api, w)
    assert got["available"] == base["available"] and got["commission"] == base["commission"] - 495
    assert (await order_row(api, order_id)).refunded == PRICE
    r = await ask(api, w, order_id, "refund_only", expect=409)
    assert r.json()["code"] == "aftersale_not_allowed"
    assert await api.ledger_ok()


async def test_nobody_is_refunded_more_than_was_paid_even_concurrently(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)

    async def refund(i: int) -> bool:
        try:
            async with api.db.transaction() as s:
                await refunds.refund_order(s, api.db.settings, order_id, 3000, reason="test", ref=f"race:{i}")
            return True
        except Exception as exc:  # the refusal is a DomainError with a stable code
            assert getattr(exc, "code", "") == "refund_exceeds_paid", exc
            return False

    results = await asyncio.gather(*(refund(i) for i in range(5)))
    assert Counter(results) == {True: 3, False: 2}
    assert (await order_row(api, order_id)).refunded == 9000
    assert await api.ledger_ok()


async def test_return_and_refund_with_shipping_compensation_from_the_platform(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    base = await balances(api, w)
    a = (await ask(api, w, order_id, "return_refund")).json()
    a = (await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=200,
                        json={"approve": True})).json()
    assert a["status"] == "awaiting_return"
    r = await api.call("POST", f"/api/v1/aftersales/{a['id']}/return", w.buyer, expect=422,
                       json={"carrier": "SF", "tracking_no": "!"})
    assert r.json()["field"] == "tracking_no"
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/return", w.buyer, expect=200,
                   json={"carrier": "SF", "tracking_no": "SFRET001"})
    r = await api.call("POST", f"/api/v1/aftersales/{a['id']}/received", w.buyer, expect=None)
    assert r.status_code in (400, 403)  # only the shop confirms its goods came back
    a = (await api.call("POST", f"/api/v1/aftersales/{a['id']}/received", w.merchant, expect=200)).json()
    assert (a["status"], a["refunded"], a["shipping_compensation"]) == ("refunded", PRICE, 1000)
    got = await balances(api, w)
    assert got["guarantee"] - base["guarantee"] == 1000  # the platform paid the ¥10
    assert got["pending"] == base["pending"] - (PRICE - 495)
    assert await api.ledger_ok()


async def test_exchange_pays_shipping_from_the_merchant_when_it_says_so(api: Api) -> None:
    w = await world(api, good_standing=False)
    await api.call("PUT", "/api/v1/shops/mine/policy", w.merchant, expect=200, json={
        "refund_without_return": False, "return_shipping_funded_by": "merchant"})
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    base = await balances(api, w)
    a = (await ask(api, w, order_id, "exchange")).json()
    assert a["amount"] == 0
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=200, json={"approve": True})
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/return", w.buyer, expect=200,
                   json={"carrier": "YTO", "tracking_no": "YT12345"})
    a = (await api.call("POST", f"/api/v1/aftersales/{a['id']}/received", w.merchant, expect=200)).json()
    assert (a["status"], a["refunded"], a["shipping_compensation"]) == ("exchanged", 0, 1000)
    got = await balances(api, w)
    assert got["pending"] - base["pending"] == -1000 and got["guarantee"] == base["guarantee"]
    assert await api.ledger_ok()


async def test_refund_without_return_on_shops_that_opt_in(api: Api) -> None:
    w = await world(api)
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    a = (await ask(api, w, order_id, "return_refund")).json()
    assert a["status"] == "requested"  # the shop has not opted in
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/cancel", w.buyer, expect=200)
    await api.call("PUT", "/api/v1/shops/mine/policy", w.merchant, expect=200, json={
        "refund_without_return": True, "no_return_threshold": 10_000})
    a = (await ask(api, w, order_id, "return_refund")).json()
    assert (a["status"], a["guarantee"], a["refunded"], a["shipping_compensation"]) == (
        "refunded", "no_return", PRICE, 0)
    assert await api.ledger_ok()


async def test_deadlines_approve_close_and_confirm(api: Api) -> None:
    w = await world(api, good_standing=False)
    silent, unshipped, unconfirmed = [await paid_order(api, w) for _ in range(3)]
    for oid in (unshipped, unconfirmed):
        await ship(api, w, oid, deliver=True)
    a1 = (await ask(api, w, silent, "refund_only")).json()
    a2 = (await ask(api, w, unshipped, "return_refund")).json()
    a3 = (await ask(api, w, unconfirmed, "return_refund")).json()
    for a in (a2, a3):
        await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=200,
                       json={"approve": True})
    await api.call("POST", f"/api/v1/aftersales/{a3['id']}/return", w.buyer, expect=200,
                   json={"carrier": "SF", "tracking_no": "SFRET002"})
    assert await apply_deadlines(api.db, utcnow() + timedelta(hours=47)) == 0  # nothing due yet
    assert await apply_deadlines(api.db, utcnow() + timedelta(days=8)) == 3
    async with api.db.transaction() as s:
        got = {a.id: (a.status, a.refunded, a.decided_by)
               for a in (await s.execute(select(Aftersale))).scalars()}
    assert got[a1["id"]] == ("refunded", PRICE, None)  # the merchant never answered: approved
    assert got[a2["id"]][:2] == ("closed", 0)  # the buyer never sent it back
    assert got[a3["id"]][:2] == ("refunded", PRICE)  # returned, never acknowledged: confirmed
    assert await apply_deadlines(api.db, utcnow() + timedelta(days=30)) == 0  # once only
    assert await api.ledger_ok()


async def test_rejection_dispute_and_arbitration(api: Api) -> None:
    w = await world(api, good_standing=False)
    op = await api.operator()
    first, second = await paid_order(api, w), await paid_order(api, w)
    for oid in (first, second):
        await ship(api, w, oid, deliver=True)
    a = (await ask(api, w, first, "refund_only")).json()
    r = await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=422,
                       json={"approve": False})
    assert r.json()["field"] == "reason"
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=200,
                   json={"approve": False, "reason": "used and damaged by the buyer"})
    r = await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=409,
                       json={"approve": True})
    assert r.json()["code"] == "aftersale_wrong_state"
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/escalate", w.buyer, expect=200)
    r = await api.call("POST", f"/api/v1/aftersales/{a['id']}/arbitration", w.merchant, expect=None,
                       json={"for_buyer": False, "reason": "mine"})
    assert r.status_code == 403
    a = (await api.call("POST", f"/api/v1/aftersales/{a['id']}/arbitration", op, expect=200,
                        json={"for_buyer": True, "reason": "photos show a defect"})).json()
    assert (a["status"], a["dispute"], a["refunded"]) == ("refunded", "buyer_won", PRICE)

    b = (await ask(api, w, second, "refund_only")).json()
    await api.call("POST", f"/api/v1/aftersales/{b['id']}/decision", w.merchant, expect=200,
                   json={"approve": False, "reason": "outside the policy"})
    await api.call("POST", f"/api/v1/aftersales/{b['id']}/escalate", w.buyer, expect=200)
    b = (await api.call("POST", f"/api/v1/aftersales/{b['id']}/arbitration", op, expect=200,
                        json={"for_buyer": False, "reason": "policy was clear"})).json()
    assert (b["status"], b["dispute"], b["refunded"]) == ("closed", "merchant_won", 0)
    assert await api.ledger_ok()


async def test_refusals_leave_nothing_behind(api: Api) -> None:
    w = await world(api, good_standing=False)
    stranger = await api.user()
    order_id = await paid_order(api, w)
    r = await api.call("POST", "/api/v1/aftersales", stranger, expect=403,
                       json={"order_id": order_id, "kind": "refund_only", "reason": "quality"})
    assert r.json()["code"] == "not_your_order"
    r = await ask(api, w, order_id, "exchange", expect=409)
    assert r.json()["code"] == "aftersale_not_allowed"
    r = await ask(api, w, order_id, "refund_only", expect=422, amount=PRICE + 1)
    assert (r.json()["field"], r.json()["details"]) == ("amount", {"refundable": PRICE})
    for bad in ({"kind": "teleport"}, {"reason": "because"}, {"amount": 0}, {"order_id": 0}):
        body = {"order_id": order_id, "kind": "refund_only", "reason": "quality", **bad}
        r = await api.call("POST", "/api/v1/aftersales", w.buyer, expect=422, json=body)
        assert r.json()["field"] == next(iter(bad))
    # Two requests at once for one order: one is taken, the other told a request is open.
    rs = await asyncio.gather(*(ask(api, w, order_id, "refund_only", expect=None, amount=100) for _ in range(2)))
    assert sorted(r.status_code for r in rs) == [201, 409]
    a = next(r.json() for r in rs if r.status_code == 201)
    other = await api.user("merchant")
    await api.call("POST", "/api/v1/shops", other, expect=201, json={"name": "another shop"})
    r = await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", other, expect=403, json={"approve": True})
    assert r.json()["code"] == "not_your_aftersale"
    async with api.db.transaction() as s:
        assert len((await s.execute(select(Aftersale))).scalars().all()) == 1
        assert (await s.get(Order, order_id)).refunded == 0
    assert await api.ledger_ok()


async def test_counterfeit_claim_pays_ten_times_from_the_deposit(api: Api) -> None:
    w = await world(api, good_standing=False)
    op = await api.operator()
    order_id = await paid_order(api, w)
    r = await api.call("POST", "/api/v1/claims", w.buyer, expect=409,
                       json={"order_id": order_id, "statement": "the label is a fake print"})
    assert r.json()["code"] == "aftersale_not_allowed"  # not received yet
    await ship(api, w, order_id, deliver=True)
    await api.call("POST", "/api/v1/claims", w.buyer, expect=422, json={"order_id": order_id, "statement": "fake"})
    claim = (await api.call("POST", "/api/v1/claims", w.buyer, expect=201,
                            json={"order_id": order_id, "statement": "the label is a fake print"})).json()
    r = await api.call("POST", "/api/v1/claims", w.buyer, expect=409,
                       json={"order_id": order_id, "statement": "the label is a fake print"})
    assert r.json()["code"] == "claim_exists"
    await api.call("GET", "/api/v1/claims", w.buyer, expect=403)
    queue = (await api.call("GET", "/api/v1/claims", op, expect=200)).json()
    assert [c["id"] for c in queue] == [claim["id"]]
    base = await balances(api, w)
    decided = (await api.call("POST", f"/api/v1/claims/{claim['id']}/decision", op, expect=200,
                              json={"uphold": True, "reason": "lab report: counterfeit"})).json()
    assert (decided["status"], decided["refunded"], decided["compensation"]) == ("upheld", PRICE, 10 * PRICE)
    got = await balances(api, w)
    assert got["deposit"] - base["deposit"] == -10 * PRICE  # below zero: owed, and new listings frozen
    deposit = (await api.call("GET", "/api/v1/shops/mine/deposit", w.merchant, expect=200)).json()
    assert deposit["balance"] == -10 * PRICE
    r = await api.call("POST", f"/api/v1/claims/{claim['id']}/decision", op, expect=409,
                       json={"uphold": True, "reason": "again"})
    assert r.json()["code"] == "claim_exists"
    # The shop faces a 售假 violation case, appealable like any other.
    await api.settle()
    mine = (await api.call("GET", "/api/v1/governance/mine", w.merchant, expect=200)).json()
    assert [(c["violation_code"], c["source"]) for c in mine["cases"]] == [("counterfeit", "claim")]
    assert await api.ledger_ok()


async def test_auto_confirm_settles_what_is_left_after_a_partial_refund(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    base = await balances(api, w)
    a = (await ask(api, w, order_id, "refund_only", amount=1000)).json()
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=200, json={"approve": True})
    async with api.db.transaction() as s:
        await s.execute(update(Order).where(Order.id == order_id).values(delivered_at=utcnow() - timedelta(days=8)))
        shop = await s.get(Shop, w.shop_id)
        assert shop is not None
    assert await auto_confirm(api.db) == 1
    got = await balances(api, w)
    assert got["available"] - base["available"] == (PRICE - 1000) - (495 - 495 * 1000 // PRICE)
    assert got["pending"] == base["pending"] - (PRICE - 495)  # nothing of this order left pending
    assert await api.ledger_ok()
