"""The shop experience score in the database (店铺体验分): facts from SQL, recompute, history, the read interface.

Other domains read the score only through these (never the `shop_scores` table):

- `trust_view(s, shop_ids) -> dict[shop_id, TrustView]`: band, total, the traffic multiplier,
  and whether the shop may register for promotions and festivals (活动报名), join the
  alliance (好物联盟) and buy ads (磁力金牛). Shops without a stored score are NEW.
- `owner_multipliers(s) -> dict[owner_user_id, float]`: the discovery feed's trust multiplier
  per merchant account (feed it to `traffic.policy.StaticPolicy`).
- `reliable_products(s, product_ids) -> set[product_id]` and `product_boosts(s, product_ids)`:
  reliable goods (靠谱好货) and their traffic boost.

How a score day D is computed, and from which facts, is `score_facts`; the settings and the
policy operators edit are `score_config`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, distinct, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.feedback.service import reviews as feedback_reviews
from laotie.identity.auth import require_role
from laotie.kit.db import dialect_insert
from laotie.kit.errors import DomainError
from laotie.kit.events import record_events
from laotie.models import (
    Aftersale,
    Category,
    ExcludedOrder,
    Order,
    OrderLine,
    Product,
    Shop,
    User,
    utcnow,
)
from laotie.models import ShopScore as ShopScoreRow
from laotie.models.base import table_of
from laotie.trust.score.core import (
    INDICATORS,
    Band,
    Diagnosis,
    IndicatorScore,
    ScoreSettings,
    ShopScore,
    compute_scores,
    diagnose,
    display_score,
    traffic_multiplier,
)
from laotie.trust.score.core.indicators import BY_NAME, DIMENSIONS
from laotie.trust.score.repository import (
    NO_CATEGORY,
    QUALITY_REASONS,
    gather_facts,
    score_day,
    shop_categories,
    window_for,
)
from laotie.trust.score.service.settings import ScorePolicy, score_policy, score_settings

RECOMPUTE_COOLDOWN = timedelta(minutes=10)
_WRITE_CHUNK = 500


class ScoreFresh(DomainError):
    """On-demand recomputes are rate-limited: the score is at most 10 minutes old already."""

    code = "score_recently_computed"
    status = 429


# ---- recompute and store -----------------------------------------------------------------------


@dataclass(frozen=True)
class RecomputeResult:
    day: date
    shops: int  # rows written
    orders: int  # orders in the window
    bands: dict[str, int]
    changed: int  # shops whose band changed from their previous row


@dataclass(frozen=True)
class _Latest:
    day: date
    band: Band
    total: float | None
    computed_at: datetime


async def _latest(s: AsyncSession, shop_ids: Sequence[int] | None) -> dict[int, _Latest]:
    """The newest row per shop (all shops, or those given): the shop's standing now."""
    if shop_ids is not None and len(shop_ids) > _WRITE_CHUNK:  # bound-parameter limits
        out: dict[int, _Latest] = {}
        for i in range(0, len(shop_ids), _WRITE_CHUNK):
            out.update(await _latest(s, shop_ids[i:i + _WRITE_CHUNK]))
        return out
    last = select(ShopScoreRow.shop_id, func.max(ShopScoreRow.day).label("day")).group_by(ShopScoreRow.shop_id)
    if shop_ids is not None:
        if not shop_ids:
            return {}
        last = last.where(ShopScoreRow.shop_id.in_(list(shop_ids)))
    sub = last.subquery()
    q = (select(ShopScoreRow.shop_id, ShopScoreRow.day, ShopScoreRow.band, ShopScoreRow.total,
                ShopScoreRow.created_at)
         .join(sub, and_(ShopScoreRow.shop_id == sub.c.shop_id, ShopScoreRow.day == sub.c.day)))
    return {int(sid): _Latest(day, Band(band), total, created) for sid, day, band, total, created
            in (await s.execute(q)).all()}


def _clean(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def _indicator_json(ind: IndicatorScore) -> dict[str, Any]:
    return {"name": ind.name, "value": _clean(ind.value), "orders_counted": ind.orders_counted,
            "percentile": _clean(ind.percentile), "score": _clean(ind.score), "weight": ind.weight,
            "peers": ind.peers}


_EMPTY_INDICATORS = [{"name": i.name, "value": None, "orders_counted": 0, "percentile": None, "score": None,
                      "weight": 0.0, "peers": 0} for i in INDICATORS]


async def recompute(s: AsyncSession, day: date | None = None, settings: ScoreSettings | None = None, *,
                    shop_ids: Sequence[int] | None = None, now: datetime | None = None,
                    categories: Mapping[int, int] | None = None) -> RecomputeResult:
    """Score every shop (or the shops given, which must be whole categories) for `day` and store it.

    Idempotent per day: running it again replaces that day's rows; other days' rows are the
    history and stay. Shops whose band changes get a `shop_score.band_changed` event, which
    is how the feed and the promotion gates learn of it.
    """
    now = now or utcnow()
    settings = settings or await score_settings(s)
    day = day or score_day(now)
    window = window_for(day, settings, now)
    categories = categories if categories is not None else await shop_categories(s)
    facts, _ = await gather_facts(s, window, categories, shop_ids=shop_ids)
    table = compute_scores(facts, settings)

    if shop_ids is None:
        scope = [int(x) for x in (await s.execute(select(Shop.id))).scalars().all()]
    else:
        scope = sorted({int(x) for x in shop_ids})
    scope = sorted(set(scope) | set(table.shop_id.tolist()))
    before = await _latest(s, None if shop_ids is None else scope)
    computed = {sc.shop_id: sc for sc in table.shops()}
    rows: list[dict[str, Any]] = []
    bands: Counter[str] = Counter()
    events: list[tuple[str, dict[str, Any]]] = []
    for shop_id in scope:
        sc = computed.get(shop_id)
        if sc is None:
            row = {"shop_id": shop_id, "day": day, "orders_in_window": 0, "total": None, "band": Band.NEW.value,
                   "dimensions": {d: None for d in DIMENSIONS}, "indicators": _EMPTY_INDICATORS,
                   "created_at": now}
        else:
            row = {"shop_id": shop_id, "day": day, "orders_in_window": sc.orders_in_window, "total": sc.total,
                   "band": sc.band.value, "dimensions": {d: _clean(v) for d, v in sc.dimensions.items()},
                   "indicators": [_indicator_json(i) for i in sc.indicators], "created_at": now}
        rows.append(row)
        bands[str(row["band"])] += 1
        old = before.get(shop_id)
        if (old.band.value if old else Band.NEW.value) != row["band"]:
            events.append(("shop_score.band_changed", {"shop_id": shop_id, "day": day.isoformat(),
                                                       "from": old.band.value if old else None, "to": row["band"]}))
    t = table_of(ShopScoreRow)
    ins = dialect_insert(s, t)
    upsert = ins.on_conflict_do_update(
        index_elements=[t.c.shop_id, t.c.day],
        set_={c: ins.excluded[c] for c in ("orders_in_window", "total", "band", "dimensions", "indicators",
                                           "created_at")})
    for i in range(0, len(rows), _WRITE_CHUNK):
        await s.execute(upsert, rows[i:i + _WRITE_CHUNK])
    events.append(("shop_scores.recomputed", {"day": day.isoformat(), "shops": len(rows), "orders": len(facts),
                                              "bands": dict(bands)}))
    await record_events(s, events)
    return RecomputeResult(day=day, shops=len(rows), orders=len(facts), bands=dict(bands), changed=len(events) - 1)


async def recompute_all(s: AsyncSession, operator: User, day: date | None = None) -> RecomputeResult:
    """An operator's on-demand full recompute (after changing the settings, say)."""
    require_role(operator, "operator")
    return await recompute(s, day)


async def recompute_mine(s: AsyncSession, merchant: User, *, now: datetime | None = None) -> StoredScore:
    """A merchant's on-demand recompute of today's score, at most once per 10 minutes.

    Only the shop's category is scored (categories are independent, so its shops get exactly
    the scores a full run would give them), which keeps the request cheap.
    """
    now = now or utcnow()
    shop = await catalog.my_shop(s, merchant)
    latest = (await _latest(s, [shop.id])).get(shop.id)
    if latest is not None and now - latest.computed_at < RECOMPUTE_COOLDOWN:
        wait = math.ceil((RECOMPUTE_COOLDOWN - (now - latest.computed_at)).total_seconds())
        raise ScoreFresh("your score was computed less than 10 minutes ago; try again in %(retry_after)s s",
                         retry_after=wait)
    categories = await shop_categories(s)
    mine = categories.get(shop.id, NO_CATEGORY)
    peers = [sid for sid, c in categories.items() if c == mine]
    if mine == NO_CATEGORY:
        peers = [shop.id]
    await recompute(s, shop_ids=sorted(set(peers) | {shop.id}), now=now, categories=categories)
    stored = await shop_score(s, shop.id)
    assert stored is not None
    return stored


# ---- reading scores ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredScore:
    """One stored day of a shop's score, as pages and the API show it."""

    shop_id: int
    day: date
    orders_in_window: int
    total: float | None
    band: Band
    dimensions: dict[str, float | None]
    indicators: tuple[IndicatorScore, ...]
    computed_at: datetime

    @property
    def total_display(self) -> float | None:
        return None if self.total is None else display_score(self.total)

    def as_shop_score(self, category_id: int = NO_CATEGORY) -> ShopScore:
        """The score core's object, for `diagnose`."""
        return ShopScore(shop_id=self.shop_id, category_id=category_id, orders_in_window=self.orders_in_window,
                         total=self.total, total_display=self.total_display, band=self.band,
                         dimensions=self.dimensions, indicators=self.indicators)


def _stored(row: ShopScoreRow) -> StoredScore:
    by_name = {item["name"]: item for item in row.indicators}
    indicators = []
    for ind in INDICATORS:
        item = by_name.get(ind.name, {})
        indicators.append(IndicatorScore(
            name=ind.name, dimension=ind.dimension, direction=ind.direction, value=item.get("value"),
            orders_counted=int(item.get("orders_counted", 0)), percentile=item.get("percentile"),
            score=item.get("score"), weight=float(item.get("weight", 0.0)), peers=int(item.get("peers", 0))))
    return StoredScore(shop_id=row.shop_id, day=row.day, orders_in_window=row.orders_in_window, total=row.total,
                       band=Band(row.band), dimensions={d: row.dimensions.get(d) for d in DIMENSIONS},
                       indicators=tuple(indicators), computed_at=row.created_at)


async def shop_score(s: AsyncSession, shop_id: int, day: date | None = None) -> StoredScore | None:
    """The shop's latest stored score (or that of `day`); None if it was never computed."""
    q = select(ShopScoreRow).where(ShopScoreRow.shop_id == shop_id)
    q = q.where(ShopScoreRow.day == day) if day is not None else q.order_by(ShopScoreRow.day.desc()).limit(1)
    row = (await s.execute(q)).scalar_one_or_none()
    return None if row is None else _stored(row)


@dataclass(frozen=True)
class HistoryPoint:
    day: date
    total: float | None
    band: Band
    orders_in_window: int


async def score_history(s: AsyncSession, shop_id: int, days: int = 90) -> list[HistoryPoint]:
    """The shop's stored days, oldest first (at most `days` of them)."""
    q = (select(ShopScoreRow.day, ShopScoreRow.total, ShopScoreRow.band, ShopScoreRow.orders_in_window)
         .where(ShopScoreRow.shop_id == shop_id).order_by(ShopScoreRow.day.desc()).limit(days))
    points = [HistoryPoint(d, None if t is None else display_score(t), Band(b), n)
              for d, t, b, n in (await s.execute(q)).all()]
    return points[::-1]


@dataclass(frozen=True)
class ScoreReport:
    """What the merchant's score page shows: the latest score, what to do, the history."""

    shop: Shop
    settings: ScoreSettings
    category: str | None
    score: StoredScore | None
    diagnosis: Diagnosis | None
    history: list[HistoryPoint]


async def my_score(s: AsyncSession, merchant: User) -> ScoreReport:
    shop = await catalog.my_shop(s, merchant)
    return await score_report(s, shop)


async def score_report(s: AsyncSession, shop: Shop) -> ScoreReport:
    settings = await score_settings(s)
    stored = await shop_score(s, shop.id)
    category_id = (await shop_categories(s)).get(shop.id)
    category = await s.get(Category, category_id) if category_id else None
    diagnosis = None if stored is None else diagnose(stored.as_shop_score(category_id or NO_CATEGORY), settings)
    return ScoreReport(shop=shop, settings=settings, category=category.name if category else None, score=stored,
                       diagnosis=diagnosis, history=await score_history(s, shop.id))


# ---- the one interface other domains read ------------------------------------------------------


@dataclass(frozen=True)
class TrustView:
    """What a shop's score means to the rest of the platform."""

    shop_id: int
    band: Band
    total: float | None  # as displayed (2 decimals); None for a new shop
    multiplier: float  # the feed's exposure multiplier for the band
    eligible_for_promotions: bool  # festivals, subsidies, platform activities (活动报名)
    eligible_for_alliance: bool  # listing in the alliance selection library (好物联盟)
    eligible_for_ads: bool  # buying promotion (磁力金牛 / 小店通)
    day: date | None  # the score day it comes from; None: never scored


def _view(shop_id: int, latest: _Latest | None, settings: ScoreSettings, policy: ScorePolicy) -> TrustView:
    band = latest.band if latest else Band.NEW
    total = None if latest is None or latest.total is None else display_score(latest.total)
    return TrustView(shop_id=shop_id, band=band, total=total, multiplier=traffic_multiplier(band, settings),
                     eligible_for_promotions=band in policy.promotions, eligible_for_alliance=band in policy.alliance,
                     eligible_for_ads=band in policy.ads, day=latest.day if latest else None)


async def trust_view(s: AsyncSession, shop_ids: Iterable[int]) -> dict[int, TrustView]:
    """Band, total, multiplier and eligibility per shop; shops never scored are NEW."""
    ids = sorted({int(x) for x in shop_ids})
    if not ids:
        return {}
    settings, policy = await score_settings(s), await score_policy(s)
    latest = await _latest(s, ids)
    return {sid: _view(sid, latest.get(sid), settings, policy) for sid in ids}


async def owner_multipliers(s: AsyncSession) -> dict[int, float]:
    """The feed's trust multiplier per merchant account, for every shop with a stored score."""
    settings = await score_settings(s)
    latest = await _latest(s, None)
    owners = {int(i): int(o) for i, o in (await s.execute(select(Shop.id, Shop.owner_id))).all()}
    return {int(owners[sid]): traffic_multiplier(v.band, settings) for sid, v in latest.items() if sid in owners}


async def reliable_products(s: AsyncSession, product_ids: Iterable[int], *, now: datetime | None = None) -> set[int]:
    """The products among these that carry the reliable-goods label (靠谱好货) now (see `ReliableGoodsRule`)."""
    ids = sorted({int(x) for x in product_ids})
    if not ids:
        return set()
    if len(ids) > _WRITE_CHUNK:  # a feed page's worth at a time keeps every IN list bounded
        found: set[int] = set()
        for i in range(0, len(ids), _WRITE_CHUNK):
            found |= await reliable_products(s, ids[i:i + _WRITE_CHUNK], now=now)
        return found
    rule = (await score_policy(s)).reliable
    since = (now or utcnow()) - timedelta(days=rule.window_days)
    ratings = await feedback_reviews.product_ratings(s, ids, since=since)
    rated = [pid for pid, r in ratings.items()
             if r.reviews >= rule.min_reviews and r.product_stars is not None
             and r.product_stars >= rule.min_rating - 1e-9]
    if not rated:
        return set()
    shop_of = {int(p): int(sh) for p, sh in
               (await s.execute(select(Product.id, Product.shop_id).where(Product.id.in_(rated)))).all()}
    views = await trust_view(s, shop_of.values())
    good_shop = [pid for pid in rated if pid in shop_of and views[shop_of[pid]].band in rule.shop_bands]
    if not good_shop:
        return set()
    counted = (OrderLine.product_id.in_(good_shop), Order.paid_at >= since,
               ~exists().where(ExcludedOrder.order_id == Order.id))
    paid = {int(p): int(n) for p, n in (await s.execute(
        select(OrderLine.product_id, func.count(distinct(Order.id))).join(Order, Order.id == OrderLine.order_id)
        .where(*counted).group_by(OrderLine.product_id))).all()}
    # A request about one line counts for that line's product; one about the whole order for all of its products.
    returned = {int(p): int(n) for p, n in (await s.execute(
        select(OrderLine.product_id, func.count(distinct(Aftersale.order_id)))
        .join(OrderLine, or_(Aftersale.order_line_id == OrderLine.id,
                             and_(Aftersale.order_line_id.is_(None), OrderLine.order_id == Aftersale.order_id)))
        .join(Order, Order.id == Aftersale.order_id)
        .where(*counted, Aftersale.reason.in_(QUALITY_REASONS), Aftersale.status == "refunded")
        .group_by(OrderLine.product_id))).all()}
    return {pid for pid in good_shop
            if returned.get(pid, 0) <= rule.max_quality_return_rate * paid.get(pid, 0) + 1e-9}


async def product_boosts(s: AsyncSession, product_ids: Iterable[int]) -> dict[int, float]:
    """The feed's multiplier for reliable goods (1.1 by default); products not listed get 1.0."""
    boost = (await score_policy(s)).reliable.traffic_boost
    return {pid: boost for pid in await reliable_products(s, product_ids)}


def indicator_label(name: str) -> tuple[str, str]:
    """(Chinese, English) label of an indicator, for pages."""
    meta = BY_NAME[name]
    return meta.label_zh, meta.label_en
