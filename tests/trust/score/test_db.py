"""The shop experience score through the database: a hand-computed fixture, stored and read back.

The fixture (rows written directly, with chosen timestamps): score day D = 2024-06-30
(Asia/Shanghai), computed the next day, so everything is judged as of D 24:00 (+08:00).
Half-life 7 days: orders paid on D weigh 1, orders paid on D-7 weigh 1/2. Minimum 4 orders.
Linear percentile-to-score mapping (exponent 1), so the expected scores are plain fractions.

Category 果蔬 (with a child category 苹果, which ranks with its parent):
  A (4 orders)  A1 D-7: shipped after 24 h, delivered 48 h later, review 5/5/5, a buyer
                message at 11:00 answered in 2 min · A2 D-7: shipped after 60 h (late),
                delivered 24 h later, refunded for quality 5 h after the request · A3 D:
                not shipped yet (14 h: not due), a message at 23:00 (outside opening hours)
                never answered · A4 D: shipped after 3 h
  B (4 orders)  B1 D-7: shipped 10 h, delivered 30 h, review 2/4/1, a message answered in
                10 min · B2 D-7: shipped 10 h, delivered 30 h, review 4/2/5, a quality
                return the shop rejected and lost in arbitration 30 h after the request ·
                B3 D: shipped 2 h, refunded (no reason) 1 h after the request · B4 D:
                cancelled unshipped after 2 h (inside its 48 h: no shipping fact)
  C (4 counted) products in 苹果. C1 D-7: shipped 20 h, delivered 40 h, review 5/5/5, a
                message answered in 1 min · C2 D-7: shipped after 50 h, delivered 40 h ·
                C3 D: shipped 1 h, a 1-star review that is hidden · C4 D: unshipped, an
                upheld counterfeit claim · C5 D: excluded as a fake order (refund, 1-star
                review, claim: none of it counts) · C6: paid 31 days before D (outside the
                window) · C7: never paid
  N (3 orders)  new: every order awful, and it must not move anyone's percentile
  F             a shop with a product and no orders: a row with band new
Category 茶 : E alone, 4 orders on D, shipped 1 h, delivered 10 h, nothing else.

Per-order facts (weights 1/2, 1/2, 1, 1 for the orders listed in that order):
  quality_return     A 0,1,0,0 → (1/2)/3 = 1/6   B 0,1,0,0 → 1/6   C 0 → 0
  product_negative   A1 0 → 0                    B1 1, B2 0 → 1/2  C1 0 → 0 (C3 hidden)
  counterfeit        A 0  B 0  C4 1 → 1/3
  shipped_48h        A 1,0,NaN,1 → (1/2 + 1)/2 = 3/4   B 1,1,1,NaN → 1   C 1,0,1,NaN → 3/4
  delivery_hours     A 48, 24 → 36   B 30   C 40
  logistics_negative A 0   B 0, 1 → 1/2   C 0
  reply_3min         A 1 (A3 out of hours)   B 0   C 1
  refund_hours       A 5   B 30 (w 1/2), 1 (w 1) → 16/(3/2) = 32/3   C none
  dispute_lost       A 0   B 1/6   C 0
  service_negative   A 0   B 1/2   C 0

Ranks among A, B, C (positions 0, 1/2, 1; ties share the midrank; an ideal value ranks top):
  quality A, B tie at the bottom → 1/4 (3.5), C ideal → 5
  product_negative B 0 → 3; A, C ideal → 5        counterfeit C 0 → 3; A, B → 5
  shipped_48h A, C tie at the bottom → 3.5; B ideal → 5
  delivery C 40 → 3, A 36 → 4, B 30 → 5            logistics_negative B → 3; A, C → 5
  reply B → 3; A, C → 5        refund (A, B only) B → 3, A → 5
  dispute B → 3; A, C → 5      service_negative B → 3; A, C → 5
Dimensions and totals (0.4 / 0.2 / 0.4):
  A product (3.5+5+5)/3 = 9/2, logistics (3.5+4+5)/3 = 25/6, service 5 → 139/30 = 4.633 → 良
  B product (3.5+3+5)/3 = 23/6, logistics (5+5+3)/3 = 13/3, service 3 → 108/30 = 3.60 → 差
  C product (5+5+3)/3 = 13/3, logistics (3.5+3+5)/3 = 23/6, service 5 → 135/30 = 4.50 → 良
  E alone: ideal values → 5; delivery alone → 1/2 → 4; product 5, logistics 9/2, service 5
    → 2 + 0.9 + 2 = 4.90 → 优
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction as F
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import Database
from laotie.models import (
    Aftersale,
    Category,
    CounterfeitClaim,
    ExcludedOrder,
    Order,
    OrderLine,
    OrderMessage,
    Payment,
    Product,
    Review,
    Shop,
    Sku,
    User,
)
from laotie.models import ShopScore as ShopScoreRow
from laotie.trust.score.core import Band, ScoreSettings
from laotie.trust.score.service import scores
from laotie.trust.score.service import settings as score_config
from tests.support import Api

SH = ZoneInfo("Asia/Shanghai")
D = date(2024, 6, 30)
NOW = datetime.combine(D + timedelta(days=1), time(9, 0), SH).astimezone(UTC)  # the morning after D
SETTINGS = ScoreSettings(min_orders=4, half_life_days=7, percentile_exponent=1.0)
_ids = itertools.count(1)


def at(day: date, hour: float) -> datetime:
    """A moment on a Shanghai calendar day, in UTC."""
    return (datetime.combine(day, time(0), SH) + timedelta(hours=hour)).astimezone(UTC)


def exact(fraction: F) -> object:
    return pytest.approx(float(fraction), rel=0, abs=1e-9)


@dataclass
class Builder:
    """Writes the rows a real flow would have written, with the timestamps the fixture needs."""

    s: AsyncSession
    buyer: int = 0
    payment: int = 0
    shops: dict[str, int] = field(default_factory=dict)
    skus: dict[str, tuple[int, int]] = field(default_factory=dict)  # shop → (product, sku)
    orders: dict[str, int] = field(default_factory=dict)

    async def setup(self) -> None:
        buyer = User(username=f"buyer{next(_ids)}", display_name="张三", password_hash="!", roles="consumer")
        self.s.add(buyer)
        await self.s.flush()
        self.buyer = buyer.id
        pay = Payment(buyer_id=buyer.id, amount=1, currency="CNY", gateway="sandbox", status="succeeded")
        self.s.add(pay)
        await self.s.flush()
        self.payment = pay.id

    async def category(self, name: str, parent: int | None = None) -> int:
        c = Category(name=name, commission_bps=500, parent_id=parent)
        self.s.add(c)
        await self.s.flush()
        return c.id

    async def shop(self, key: str, category_id: int) -> int:
        owner = User(username=f"m{key}{next(_ids)}", display_name=key, password_hash="!", roles="merchant")
        self.s.add(owner)
        await self.s.flush()
        shop = Shop(owner_id=owner.id, name=f"shop {key} {next(_ids)}")
        self.s.add(shop)
        await self.s.flush()
        product = Product(shop_id=shop.id, category_id=category_id, title=f"{key} goods", status="published")
        self.s.add(product)
        await self.s.flush()
        sku = Sku(product_id=product.id, price=1000, stock=100)
        self.s.add(sku)
        await self.s.flush()
        self.shops[key], self.skus[key] = shop.id, (product.id, sku.id)
        return shop.id

    async def order(self, name: str, shop: str, paid: datetime | None, *, shipped_h: float | None = None,
                    delivered_h: float | None = None, cancelled_h: float | None = None) -> int:
        """An order paid at `paid`; shipping `shipped_h` hours after payment, delivery `delivered_h` after that."""
        shipped = paid + timedelta(hours=shipped_h) if paid and shipped_h is not None else None
        delivered = shipped + timedelta(hours=delivered_h) if shipped and delivered_h is not None else None
        cancelled = paid + timedelta(hours=cancelled_h) if paid and cancelled_h is not None else None
        status = ("cancelled" if cancelled else "delivered" if delivered else "shipped" if shipped
                  else "paid" if paid else "pending_payment")
        created = (paid or at(D, 8)) - timedelta(minutes=1)
        o = Order(buyer_id=self.buyer, shop_id=self.shops[shop], payment_id=self.payment, status=status, total=1000,
                  commission=50, recipient="张三", phone="13800000000", address="临沂", created_at=created,
                  pay_deadline=created + timedelta(minutes=15), paid_at=paid, shipped_at=shipped,
                  delivered_at=delivered, cancelled_at=cancelled)
        self.s.add(o)
        await self.s.flush()
        product, sku = self.skus[shop]
        self.s.add(OrderLine(order_id=o.id, sku_id=sku, product_id=product, title="goods", unit_price=1000,
                             quantity=1, commission_bps=500, commission=50))
        await self.s.flush()
        self.orders[name] = o.id
        return o.id

    async def review(self, name: str, stars: tuple[int, int, int], when: datetime, *, hidden: bool = False) -> None:
        o = await self.s.get(Order, self.orders[name])
        assert o is not None
        line = (await self.s.execute(select(OrderLine).where(OrderLine.order_id == o.id))).scalar_one()
        self.s.add(Review(order_line_id=line.id, order_id=o.id, buyer_id=self.buyer, shop_id=o.shop_id,
                          product_id=line.product_id, product_stars=stars[0], logistics_stars=stars[1],
                          service_stars=stars[2], body="", images=[], hidden=hidden,
                          hidden_reason="operator" if hidden else None, created_at=when))
        await self.s.flush()

    async def aftersale(self, name: str, *, reason: str, requested: datetime, decided_h: float,
                        status: str = "refunded", kind: str = "refund_only", dispute: str | None = None) -> None:
        o = await self.s.get(Order, self.orders[name])
        assert o is not None
        decided = requested + timedelta(hours=decided_h)
        self.s.add(Aftersale(order_id=o.id, buyer_id=self.buyer, shop_id=o.shop_id, kind=kind, reason=reason,
                             amount=1000, status=status, decided_at=decided, closed_at=decided, dispute=dispute,
                             refunded=1000 if status == "refunded" else 0, created_at=requested))
        await self.s.flush()

    async def claim(self, name: str, decided: datetime) -> None:
        o = await self.s.get(Order, self.orders[name])
        assert o is not None
        self.s.add(CounterfeitClaim(order_id=o.id, buyer_id=self.buyer, shop_id=o.shop_id, statement="fake goods",
                                    status="upheld", decided_at=decided))
        await self.s.flush()

    async def messages(self, name: str, asked: datetime, reply_after_s: float | None) -> None:
        o = await self.s.get(Order, self.orders[name])
        assert o is not None
        shop = await self.s.get(Shop, o.shop_id)
        assert shop is not None
        self.s.add(OrderMessage(order_id=o.id, shop_id=o.shop_id, sender_id=self.buyer, sender_role="buyer",
                                body="在吗？", created_at=asked))
        if reply_after_s is not None:
            self.s.add(OrderMessage(order_id=o.id, shop_id=o.shop_id, sender_id=shop.owner_id, sender_role="merchant",
                                    body="在的", created_at=asked + timedelta(seconds=reply_after_s)))
        await self.s.flush()


async def seed(s: AsyncSession) -> Builder:
    b = Builder(s)
    await b.setup()
    fruit = await b.category("果蔬")
    apples = await b.category("苹果", parent=fruit)
    tea = await b.category("茶")
    for key, cat in (("A", fruit), ("B", fruit), ("C", apples), ("N", fruit), ("F", fruit), ("E", tea)):
        await b.shop(key, cat)
    d7, d0 = at(D - timedelta(days=7), 10), at(D, 10)

    await b.order("A1", "A", d7, shipped_h=24, delivered_h=48)
    await b.review("A1", (5, 5, 5), d7 + timedelta(days=4))
    await b.messages("A1", at(D - timedelta(days=7), 11), 120)
    await b.order("A2", "A", d7, shipped_h=60, delivered_h=24)
    await b.aftersale("A2", reason="quality", requested=d7 + timedelta(days=4), decided_h=5)
    await b.order("A3", "A", d0)
    await b.messages("A3", at(D, 23), None)
    await b.order("A4", "A", d0, shipped_h=3)

    await b.order("B1", "B", d7, shipped_h=10, delivered_h=30)
    await b.review("B1", (2, 4, 1), d7 + timedelta(days=3))
    await b.messages("B1", at(D - timedelta(days=7), 12), 600)
    await b.order("B2", "B", d7, shipped_h=10, delivered_h=30)
    await b.review("B2", (4, 2, 5), d7 + timedelta(days=3))
    await b.aftersale("B2", reason="quality", kind="return_refund", requested=d7 + timedelta(days=2), decided_h=30,
                      dispute="buyer_won")
    await b.order("B3", "B", d0, shipped_h=2)
    await b.aftersale("B3", reason="no_reason", requested=d0 + timedelta(hours=3), decided_h=1)
    await b.order("B4", "B", d0, cancelled_h=2)

    await b.order("C1", "C", d7, shipped_h=20, delivered_h=40)
    await b.review("C1", (5, 5, 5), d7 + timedelta(days=4))
    await b.messages("C1", at(D - timedelta(days=7), 15), 60)
    await b.order("C2", "C", d7, shipped_h=50, delivered_h=40)
    await b.order("C3", "C", d0, shipped_h=1)
    await b.review("C3", (1, 1, 1), d0 + timedelta(hours=5), hidden=True)
    await b.order("C4", "C", d0)
    await b.claim("C4", d0 + timedelta(hours=6))
    await b.order("C5", "C", d0, shipped_h=1, delivered_h=2)
    await b.review("C5", (1, 1, 1), d0 + timedelta(hours=4))
    await b.aftersale("C5", reason="quality", requested=d0 + timedelta(hours=4), decided_h=9)
    await b.claim("C5", d0 + timedelta(hours=7))
    s.add(ExcludedOrder(order_id=b.orders["C5"], reason="fraud_ring:1", excluded_at=d0 + timedelta(hours=8)))
    await b.order("C6", "C", at(D - timedelta(days=31), 10), shipped_h=100)
    await b.order("C7", "C", None)

    for i in range(3):
        await b.order(f"N{i}", "N", d0, shipped_h=1, delivered_h=1)
        await b.review(f"N{i}", (1, 1, 1), d0 + timedelta(hours=4))
        await b.claim(f"N{i}", d0 + timedelta(hours=5))
    for i in range(4):
        await b.order(f"E{i}", "E", d0, shipped_h=1, delivered_h=10)
    await s.flush()
    return b


def _values(stored: scores.StoredScore) -> dict[str, tuple[float | None, float | None, float | None]]:
    return {i.name: (i.value, i.percentile, i.score) for i in stored.indicators}


async def test_hand_computed_fixture_is_stored_exactly(api: Api) -> None:
    db: Database = api.db
    async with db.transaction() as s:
        b = await seed(s)
        result = await scores.recompute(s, D, SETTINGS, now=NOW)
    assert result.day == D and result.orders == 4 + 4 + 4 + 3 + 4
    assert result.bands == {"良": 2, "差": 1, "优": 1, "new": 2}

    async with db.transaction() as s:
        a, bb, c, e, n, f = [await scores.shop_score(s, b.shops[k]) for k in "ABCENF"]
    assert a and bb and c and e and n and f
    assert _values(a) == {
        "quality_return_rate": (exact(F(1, 6)), 0.25, 3.5),
        "product_negative_review_rate": (0.0, 1.0, 5.0),
        "counterfeit_claim_rate": (0.0, 1.0, 5.0),
        "shipped_within_48h_rate": (exact(F(3, 4)), 0.25, 3.5),
        "delivery_hours": (exact(F(36)), 0.5, 4.0),
        "logistics_negative_review_rate": (0.0, 1.0, 5.0),
        "reply_within_3min_rate": (1.0, 1.0, 5.0),
        "refund_handling_hours": (exact(F(5)), 1.0, 5.0),
        "dispute_lost_rate": (0.0, 1.0, 5.0),
        "service_negative_review_rate": (0.0, 1.0, 5.0),
    }
    assert _values(bb) == {
        "quality_return_rate": (exact(F(1, 6)), 0.25, 3.5),
        "product_negative_review_rate": (0.5, 0.0, 3.0),
        "counterfeit_claim_rate": (0.0, 1.0, 5.0),
        "shipped_within_48h_rate": (1.0, 1.0, 5.0),
        "delivery_hours": (exact(F(30)), 1.0, 5.0),
        "logistics_negative_review_rate": (0.5, 0.0, 3.0),
        "reply_within_3min_rate": (0.0, 0.0, 3.0),
        "refund_handling_hours": (exact(F(32, 3)), 0.0, 3.0),
        "dispute_lost_rate": (exact(F(1, 6)), 0.0, 3.0),
        "service_negative_review_rate": (0.5, 0.0, 3.0),
    }
    assert _values(c) == {
        "quality_return_rate": (0.0, 1.0, 5.0),
        "product_negative_review_rate": (0.0, 1.0, 5.0),
        "counterfeit_claim_rate": (exact(F(1, 3)), 0.0, 3.0),
        "shipped_within_48h_rate": (exact(F(3, 4)), 0.25, 3.5),
        "delivery_hours": (exact(F(40)), 0.0, 3.0),
        "logistics_negative_review_rate": (0.0, 1.0, 5.0),
        "reply_within_3min_rate": (1.0, 1.0, 5.0),
        "refund_handling_hours": (None, None, None),
        "dispute_lost_rate": (0.0, 1.0, 5.0),
        "service_negative_review_rate": (0.0, 1.0, 5.0),
    }
    assert [i.peers for i in a.indicators] == [3, 3, 3, 3, 3, 3, 3, 2, 3, 3]  # N is not ranked
    assert [i.orders_counted for i in c.indicators] == [4, 1, 4, 3, 2, 1, 1, 0, 4, 1]

    assert a.dimensions == {"product": 4.5, "logistics": exact(F(25, 6)), "service": 5.0}
    assert bb.dimensions == {"product": exact(F(23, 6)), "logistics": exact(F(13, 3)), "service": 3.0}
    assert c.dimensions == {"product": exact(F(13, 3)), "logistics": exact(F(23, 6)), "service": 5.0}
    assert e.dimensions == {"product": 5.0, "logistics": 4.5, "service": 5.0}
    expected = {"A": (a, F(139, 30), 4.63, Band.GOOD, 4), "B": (bb, F(108, 30), 3.60, Band.POOR, 4),
                "C": (c, F(135, 30), 4.50, Band.GOOD, 4), "E": (e, F(49, 10), 4.90, Band.EXCELLENT, 4)}
    for key, (got, total, shown, band, orders) in expected.items():
        assert (got.total, got.total_display, got.band, got.orders_in_window) == (exact(total), shown, band,
                                                                                   orders), key
        assert got.day == D and got.computed_at == NOW
    assert (n.band, n.total, n.orders_in_window) == (Band.NEW, None, 3)
    assert (f.band, f.total, f.orders_in_window) == (Band.NEW, None, 0)

    # The diagnosis reads the stored row. B loses most on product reviews (2 points × 0.4/3 = 0.27),
    # then 0.20 each on quality returns (1.5 × 0.4/3) and four service indicators (2 × 0.4/4):
    # ties keep catalogue order.
    async with db.transaction() as s:
        shop = await s.get(Shop, b.shops["B"])
        assert shop is not None
        report = await scores.score_report(s, shop)
    assert report.category == "果蔬" and report.diagnosis is not None
    assert report.diagnosis.summary_zh.startswith("体验分3.60（差），距「良」还差0.80分")
    assert [x.indicator for x in report.diagnosis.findings] == [
        "product_negative_review_rate", "quality_return_rate", "reply_within_3min_rate"]
    assert [round(x.shortfall, 9) for x in report.diagnosis.findings] == [round(0.8 / 3, 9), 0.2, 0.2]


async def test_trust_view_gives_each_band_its_multiplier_and_eligibility(api: Api) -> None:
    async with api.db.transaction() as s:
        b = await seed(s)
        await scores.recompute(s, D, SETTINGS, now=NOW)
        never = await b.shop("X", await b.category("未评分"))
        views = await scores.trust_view(s, [*(b.shops[k] for k in "ABENF"), never])
        owners = await scores.owner_multipliers(s)
        owner_of = {int(i): int(o) for i, o in (await s.execute(select(Shop.id, Shop.owner_id))).all()}
    got = {k: views[b.shops[k]] for k in "ABENF"}
    assert {k: (v.band, v.total, v.multiplier) for k, v in got.items()} == {
        "A": (Band.GOOD, 4.63, 1.0), "B": (Band.POOR, 3.6, 0.7), "E": (Band.EXCELLENT, 4.9, 1.2),
        "N": (Band.NEW, None, 1.0), "F": (Band.NEW, None, 1.0)}
    assert {k: (v.eligible_for_promotions, v.eligible_for_alliance, v.eligible_for_ads) for k, v in got.items()} == {
        "A": (True, True, True), "B": (False, False, False), "E": (True, True, True),
        "N": (False, True, True), "F": (False, True, True)}
    assert (views[never].band, views[never].day, views[never].multiplier) == (Band.NEW, None, 1.0)
    assert owners[owner_of[b.shops["B"]]] == 0.7 and owners[owner_of[b.shops["E"]]] == 1.2
    assert owner_of[never] not in owners  # never scored: the feed's neutral default


async def test_history_is_kept_per_day_and_a_day_recomputed_is_replaced(api: Api) -> None:
    async with api.db.transaction() as s:
        b = await seed(s)
        await scores.recompute(s, D - timedelta(days=1), SETTINGS, now=NOW)
        await scores.recompute(s, D, SETTINGS, now=NOW)
        await scores.recompute(s, D, SETTINGS, now=NOW + timedelta(hours=1))  # the same day again
        history = await scores.score_history(s, b.shops["A"])
        rows = (await s.execute(select(func.count()).select_from(ShopScoreRow)
                                .where(ShopScoreRow.shop_id == b.shops["A"]))).scalar_one()
        latest = await scores.shop_score(s, b.shops["A"])
    assert rows == 2
    assert [(h.day, h.band) for h in history] == [(D - timedelta(days=1), Band.NEW), (D, Band.GOOD)]
    # On D-1 only A1, A2 (paid D-7) existed: 2 orders, under the minimum of 4.
    assert history[0].orders_in_window == 2 and history[1].total == 4.63
    assert latest is not None and latest.day == D and latest.computed_at == NOW + timedelta(hours=1)


async def test_a_future_day_is_refused(api: Api) -> None:
    async with api.db.transaction() as s:
        with pytest.raises(score_config.ScoreInvalid):
            await scores.recompute(s, date.today() + timedelta(days=2), SETTINGS)


async def test_new_shop_rule_29_orders_new_30_scored_default_settings(api: Api) -> None:
    async with api.db.transaction() as s:
        b = Builder(s)
        await b.setup()
        cat = await b.category("鞋")
        await b.shop("P", cat)
        await b.shop("Q", cat)
        for i in range(29):
            await b.order(f"P{i}", "P", at(D - timedelta(days=i % 30), 10), shipped_h=5, delivered_h=20)
            await b.order(f"Q{i}", "Q", at(D - timedelta(days=i % 30), 10), shipped_h=50, delivered_h=30)
        first = await scores.recompute(s, D, ScoreSettings(), now=NOW)
        await b.order("P29", "P", at(D, 9), shipped_h=5, delivered_h=20)
        await b.order("Q29", "Q", at(D, 9), shipped_h=50, delivered_h=30)
        second = await scores.recompute(s, D, ScoreSettings(), now=NOW)
        p = await scores.shop_score(s, b.shops["P"])
        q = await scores.shop_score(s, b.shops["Q"])
    assert first.bands == {"new": 2} and second.bands == {"优": 1, "良": 1}
    assert p and q and p.orders_in_window == 30 and p.band is Band.EXCELLENT and q.band is Band.GOOD
    # Two shops: P best everywhere it differs (5.0); Q at the bottom on 48 h and delivery
    # (logistics 3), its product and service at the ideal: 0.4·5 + 0.2·3 + 0.4·5 = 4.6 → 良.
    assert p.total == 5.0
    assert q.dimensions["logistics"] == 3.0 and q.total == pytest.approx(4.6, abs=1e-12)


async def test_a_merchant_recomputes_its_category_at_most_every_ten_minutes(api: Api) -> None:
    op = await api.operator()
    merchant, _, _ = await api.merchant_with_product(await api.category(op))
    r = await api.call("POST", "/api/v1/shops/mine/score/recompute", merchant, expect=200)
    assert (r.json()["band"], r.json()["orders_in_window"], r.json()["total"]) == ("new", 0, None)
    assert r.json()["diagnosis"]["summary_zh"] == "新店：近30天0单，满30单后开始计算体验分。"
    again = await api.call("POST", "/api/v1/shops/mine/score/recompute", merchant, expect=429)
    assert again.json()["code"] == "score_recently_computed"
    assert 0 < again.json()["details"]["retry_after"] <= 600
    mine = await api.call("GET", "/api/v1/shops/mine/score", merchant, expect=200)
    assert mine.json()["eligibility"] == {"multiplier": 1.0, "promotions": False, "alliance": True, "ads": True}
    public = await api.call("GET", f"/api/v1/shops/{mine.json()['shop_id']}/score", expect=200)
    assert public.json()["band"] == "new"
    # Operators only, for the full recompute and the settings.
    await api.call("POST", "/api/v1/scores/recompute", merchant, expect=403)
    done = await api.call("POST", "/api/v1/scores/recompute", op, expect=200, json={})
    assert done.json()["shops"] >= 1


async def test_a_recompute_for_a_day_before_any_score_is_refused_naming_the_day(api: Api) -> None:
    # Found by the fuzz test: day 0001-01-01 put the window's start before the calendar (a 500).
    op = await api.operator()
    await api.merchant_with_product(await api.category(op))
    for day in ("0001-01-01", "1999-12-31"):
        r = await api.call("POST", "/api/v1/scores/recompute", op, expect=422, json={"day": day})
        assert (r.json()["code"], r.json()["field"]) == ("invalid_request", "day")
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(ShopScoreRow))).scalar_one() == 0


async def test_operators_change_settings_validated_with_the_field_named(api: Api) -> None:
    op = await api.operator()
    bad = await api.call("PUT", "/api/v1/scores/settings", op, expect=422,
                         json={"score": {"dimension_weights": {"product": 0.5, "logistics": 0.2, "service": 0.4}}})
    assert bad.json()["field"] == "dimension_weights"
    bad = await api.call("PUT", "/api/v1/scores/settings", op, expect=422, json={"policy": {"ads": ["A+"]}})
    assert bad.json()["field"] == "ads"
    got = await api.call("PUT", "/api/v1/scores/settings", op, expect=200,
                         json={"score": {"min_orders": 10, "percentile_exponent": 0.6},
                               "policy": {"reliable": {"min_reviews": 5}}})
    assert got.json()["score"]["min_orders"] == 10 and got.json()["score"]["percentile_exponent"] == 0.6
    assert got.json()["score"]["window_days"] == 30  # untouched fields keep their value
    assert got.json()["policy"]["reliable"]["min_reviews"] == 5
    assert got.json()["policy"]["reliable"]["min_rating"] == 4.6
    read = await api.call("GET", "/api/v1/scores/settings", op, expect=200)
    assert read.json() == got.json()
    merchant = await api.user("merchant")
    await api.call("PUT", "/api/v1/scores/settings", merchant, expect=403, json={"score": {"min_orders": 1}})


async def test_the_daily_job_scores_every_shop_for_today(api: Api) -> None:
    from laotie.kit.jobs import scheduler
    from laotie.trust.score.tasks import recompute_scores

    assert scheduler.every["trust.recompute_scores"] == 86400
    async with api.db.transaction() as s:
        b = await seed(s)
    assert await recompute_scores(api.db, now=NOW) == 6  # every shop gets a row, new ones included
    async with api.db.transaction() as s:
        stored = await scores.shop_score(s, b.shops["E"])
    # Computed on D + 1 (the job's today): orders of D-7 and D are in its 30-day window.
    assert stored is not None and stored.day == D + timedelta(days=1) and stored.orders_in_window == 4
