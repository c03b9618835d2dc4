"""A confirmed fake-order ring forfeits the commission on its orders and opens one case per promoter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from laotie.alliance.governance import service as alliance_governance
from laotie.alliance.service import commissions
from laotie.identity import service as identity
from laotie.ledger import service as ledger
from laotie.models import CommissionLine, FraudRing, JournalEntry, OrderLine, ViolationCase, utcnow
from laotie.orders.service import refunds
from laotie.orders.service.checkout import Address, LineRequest, checkout
from tests.support import ADDRESS, Api
from tests.web.test_pages import sign_in


async def _user(api: Api, token: str) -> Any:
    async with api.db.transaction() as s:
        user = await identity.user_for_token(s, token)
        assert user is not None
        return user


async def _world(api: Api) -> dict[str, Any]:
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    merchant, product, sku = await api.merchant_with_product(cat, price=10_000, stock=50)
    listing = (await api.call("POST", "/api/v1/alliance/listings", merchant, expect=201,
                              json={"product_id": product, "rate_bps": 2_000})).json()["id"]
    creator = await api.user("creator")
    await api.call("POST", f"/api/v1/alliance/listings/{listing}/take", creator, expect=201)
    return {"op": op, "merchant": merchant, "sku": sku, "creator": creator,
            "creator_id": (await _user(api, creator)).id}


async def _sale(api: Api, w: dict[str, Any], *, complete: bool = False) -> tuple[int, str]:
    """One paid order from the creator's showcase (optionally shipped and received); (order id, buyer token)."""
    buyer_token = await api.user()
    buyer = await _user(api, buyer_token)
    async with api.db.transaction() as s:
        result = await checkout(s, api.db.settings, buyer, [LineRequest(w["sku"], 1)], Address(**ADDRESS),
                                source=f"profile:{w['creator_id']}")
    await api.pay(buyer_token, result.payment_id)
    order_id = result.order_ids[0]
    if complete:
        await api.call("POST", f"/api/v1/orders/{order_id}/ship", w["merchant"], expect=200,
                       json={"carrier": "SF", "tracking_no": f"SF{order_id:08d}"})
        await api.call("POST", f"/api/v1/orders/{order_id}/confirm-receipt", buyer_token, expect=200)
        await api.settle()
    return order_id, buyer_token


async def _ring(api: Api, order_ids: list[int], w: dict[str, Any]) -> int:
    async with api.db.transaction() as s:
        line = (await s.execute(select(CommissionLine).where(CommissionLine.order_id == order_ids[0]))).scalar_one()
        ring = FraudRing(status="suspected", score=9.0, density=3.0, buyer_ids=[], shop_ids=[line.shop_id],
                         creator_ids=[w["creator_id"]], order_ids=order_ids, evidence=[])
        s.add(ring)
        await s.flush()
        return int(ring.id)


async def _lines(api: Api, order_ids: list[int]) -> dict[int, CommissionLine]:
    async with api.db.transaction() as s:
        rows = (await s.execute(select(CommissionLine).where(CommissionLine.order_id.in_(order_ids)))).scalars()
        return {ln.order_id: ln for ln in rows}


async def _promoter_cases(api: Api, user_id: int) -> list[ViolationCase]:
    async with api.db.transaction() as s:
        return list((await s.execute(select(ViolationCase).where(ViolationCase.subject_id == user_id)
                                     .order_by(ViolationCase.id))).scalars())


async def _entries(api: Api) -> int:
    async with api.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(JournalEntry))).scalar_one())


async def test_a_confirmed_ring_forfeits_commissions_before_and_after_settlement(api: Api) -> None:
    w = await _world(api)
    paid, _ = await _sale(api, w)  # estimated, order open: a reversal against the merchant's pending
    completed, _ = await _sale(api, w, complete=True)  # estimated, order completed: merchant's available
    settled, _ = await _sale(api, w, complete=True)
    async with api.db.transaction() as s:
        await s.execute(CommissionLine.__table__.update()  # type: ignore[attr-defined]
                        .where(CommissionLine.order_id == completed).values(settle_after=utcnow() + timedelta(days=30)))
    async with api.db.transaction() as s:
        assert await commissions.settle_due(s, utcnow() + timedelta(days=8)) == 1  # the third is paid out
    honest, _ = await _sale(api, w)  # not in the ring: untouched
    lines = await _lines(api, [paid, completed, settled, honest])
    assert [lines[o].status for o in (paid, completed, settled, honest)] == ["estimated", "estimated", "settled",
                                                                              "estimated"]
    shop_id = lines[paid].shop_id
    async with api.db.transaction() as s:
        balances = await ledger.commission_balances(s, w["creator_id"])
    assert (balances.pending, balances.available) == (3 * 1_800, 1_800)

    ring_id = await _ring(api, [paid, completed, settled], w)
    # The evidence before the decision: ¥20 of commission per order (¥18 the creator's, ¥2 the fee).
    ring = (await api.call("GET", f"/api/v1/fraud/rings/{ring_id}", w["op"], expect=200)).json()
    assert ring["commissions"] == {"total": 6_000, "standing": 6_000, "lines": 3, "promoters": [
        {"user_id": w["creator_id"], "name": ring["commissions"]["promoters"][0]["name"], "lines": 3,
         "commission": 5_400}]}
    await api.call("POST", f"/api/v1/fraud/rings/{ring_id}/confirm", w["op"], expect=200,
                   json={"reason": "device farm"})
    await api.settle()

    lines = await _lines(api, [paid, completed, settled, honest])
    for o in (paid, completed, settled):
        ln = lines[o]
        assert ln.status == "forfeited" and (ln.cur_creator, ln.cur_platform) == (0, 0), o
        assert ln.est_creator == 1_800  # what it was stays on record
    assert lines[settled].set_creator == 1_800 and lines[honest].status == "estimated"
    async with api.db.transaction() as s:
        balances = await ledger.commission_balances(s, w["creator_id"])
        shop = await ledger.shop_balances(s, shop_id)
    # Reversed from pending, clawed back from available; the honest sale still stands.
    assert (balances.pending, balances.available) == (1_800, 0)
    # The merchant has its ¥20 back on each ring order: ¥95 pending on the open one, ¥95 available on the
    # two completed ones; the honest open order keeps ¥75 pending.
    assert (shop.pending, shop.available) == (9_500 + 7_500, 2 * 9_500)
    assert await api.ledger_ok()

    cases = await _promoter_cases(api, w["creator_id"])
    assert [(c.violation_code, c.source, c.evidence["ring_id"], c.evidence["role"], c.evidence["orders"],
             c.evidence["commission"]) for c in cases] == [("fake_orders", "fraud_ring", ring_id, "promoter", 3,
                                                            5_400)]

    # The event again (a redelivery): nothing moves twice, no second case.
    entries = await _entries(api)
    async with api.db.transaction() as s:
        again = await alliance_governance.forfeit_ring_commissions(s, ring_id, [paid, completed, settled], "again")
    assert (again.lines, again.total, again.cases) == (0, 0, [])
    assert await _entries(api) == entries
    assert len(await _promoter_cases(api, w["creator_id"])) == 1

    # A refund of a forfeited order's line gives back no commission it no longer has.
    async with api.db.transaction() as s:
        await refunds.refund_order(s, api.db.settings, paid, 10_000, reason="test", ref="after-ring")
    await api.settle()
    assert (await _lines(api, [paid]))[paid].status == "forfeited"
    async with api.db.transaction() as s:
        assert (await ledger.commission_balances(s, w["creator_id"])).pending == 1_800
    assert await api.ledger_ok()

    ring = (await api.call("GET", f"/api/v1/fraud/rings/{ring_id}", w["op"], expect=200)).json()
    assert (ring["commissions"]["total"], ring["commissions"]["standing"]) == (6_000, 0)
    # The creator sees the forfeited lines among their earnings, reversed.
    earnings = (await api.call("GET", "/api/v1/alliance/earnings", w["creator"], expect=200)).json()
    assert (earnings["estimated"], earnings["standing"], earnings["reversed"]) == (4 * 1_800, 1_800, 3 * 1_800)
    assert sorted(ln["status"] for ln in earnings["lines"]) == ["estimated", "forfeited", "forfeited", "forfeited"]


async def test_an_order_in_two_rings_moves_once_and_its_promoter_answers_for_each(api: Api) -> None:
    w = await _world(api)
    first, _ = await _sale(api, w)
    second, _ = await _sale(api, w)
    ring_a = await _ring(api, [first], w)
    ring_b = await _ring(api, [first, second], w)
    for ring_id in (ring_a, ring_b):
        await api.call("POST", f"/api/v1/fraud/rings/{ring_id}/confirm", w["op"], expect=200,
                       json={"reason": "same accounts"})
        await api.settle()
    cases = await _promoter_cases(api, w["creator_id"])
    assert sorted((c.evidence["ring_id"], c.evidence["orders"]) for c in cases) == [(ring_a, 1), (ring_b, 2)]
    async with api.db.transaction() as s:
        balances = await ledger.commission_balances(s, w["creator_id"])
        kinds = (await s.execute(select(JournalEntry.ref).where(JournalEntry.kind == "alliance.reversed"))).scalars()
        refs = sorted(kinds)
    assert balances.pending == 0
    lines = await _lines(api, [first, second])
    assert refs == sorted(f"cl:{lines[o].id}:ring" for o in (first, second))  # one entry per line
    assert await api.ledger_ok()


async def test_the_operator_page_shows_the_commission_evidence(api: Api) -> None:
    w = await _world(api)
    order, _ = await _sale(api, w)
    ring_id = await _ring(api, [order], w)
    async with api.db.transaction() as s:
        await identity.register_user(s, api.db.settings, username="ringop", password="password123",
                                     roles={"operator"}, self_serve=False)
    await sign_in(api, "ringop")
    page = await api.client.get("/operator/fraud")
    assert page.status_code == 200
    card = page.text.split(f'data-ring="{ring_id}"', 1)[1]
    assert 'data-commissions="2000"' in card and f'data-promoter="{w["creator_id"]}"' in card
    assert "¥20.00" in card and "¥18.00" in card


async def test_the_group_leader_loses_their_fee_on_ring_orders_too(api: Api) -> None:
    w = await _world(api)
    leader_token = await api.user("creator")
    leader = await _user(api, leader_token)
    buyer_token = await api.user()
    buyer = await _user(api, buyer_token)
    async with api.db.transaction() as s:
        result = await checkout(s, api.db.settings, buyer, [LineRequest(w["sku"], 1)], Address(**ADDRESS),
                                source=f"profile:{w['creator_id']}")
        # As if the creator took the product through this leader's offer: 10% of what the fee leaves.
        line_row = (await s.execute(select(OrderLine).where(OrderLine.order_id == result.order_ids[0]))).scalar_one()
        assert line_row.attribution is not None
        line_row.attribution = {**line_row.attribution, "leader_id": leader.id, "leader_bps": 1_000}
    await api.pay(buyer_token, result.payment_id)
    order_id = result.order_ids[0]
    line = (await _lines(api, [order_id]))[order_id]
    assert (line.est_creator, line.est_leader, line.est_platform) == (1_620, 180, 200)
    async with api.db.transaction() as s:
        assert (await ledger.commission_balances(s, leader.id)).pending == 180
    ring_id = await _ring(api, [order_id], w)
    await api.call("POST", f"/api/v1/fraud/rings/{ring_id}/confirm", w["op"], expect=200, json={"reason": "farm"})
    await api.settle()
    async with api.db.transaction() as s:
        assert (await ledger.commission_balances(s, leader.id)).pending == 0
        assert (await ledger.commission_balances(s, w["creator_id"])).pending == 0
        assert (await ledger.shop_balances(s, line.shop_id)).pending == 10_000 - 500
    assert await api.ledger_ok()
