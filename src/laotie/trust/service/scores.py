"""The shop experience score in the database (店铺体验分): facts from SQL, recompute, history, the read interface.

Other domains read the score only through these (never the `shop_scores` table):

- `trust_view(s, shop_ids) -> dict[shop_id, TrustView]`: band, total, the traffic multiplier,
  and whether the shop may register for promotions and festivals (活动报名), join the
  alliance (好物联盟) and buy ads (磁力金牛). Shops without a stored score are NEW.
- `owner_multipliers(s) -> dict[owner_user_id, float]`: the discovery feed's trust multiplier
  per merchant account (feed it to `traffic.policy.StaticPolicy`).
- `reliable_products(s, product_ids) -> set[product_id]` and `product_boosts(s, product_ids)`:
  reliable goods (靠谱好货) and their traffic boost.

How a score day D is computed (`recompute`): days are calendar days in Asia/Shanghai
(`SCORE_TZ`), where the platform's buyers and shops live. The window is the
`window_days` days ending with D: orders paid from 00:00 on D - (window_days - 1) up to the
end of D, or up to now while D is today. Everything is judged as of that moment (`as_of`), so
recomputing a past day gives the same facts. Per order (`gather_facts`):

- left out: orders excluded as fake (`excluded_orders`, 刷单 rings), which count nowhere;
- quality_return: an after-sale for quality, not_as_described, damaged or wrong_item that
  ended refunded;
- product/logistics/service_negative_review: a visible review of the order rated 2 stars or
  fewer on that dimension (NaN without a review; hidden reviews do not count);
- counterfeit_upheld: a counterfeit claim (假一赔十) on the order was upheld;
- shipped_within_48h: 1 if shipped within 48 h of payment; 0 if shipped later, still unshipped
  after 48 h, or cancelled unshipped after 48 h; NaN only while the 48 h have not run out
  (or when it was cancelled unshipped inside them);
- delivery_hours: carrier delivery time − shipping time;
- first_reply_within_3min: from the order's messages (`feedback.service.messages`);
- refund_handling_hours: mean over the order's refund requests of decision (or close, unless
  the buyer withdrew) − request; NaN without one;
- dispute_lost: a platform-arbitrated dispute on the order went to the buyer.

Peers are shops of the same main category: the top-level category (一级类目) under which the
shop lists most of its products; leaf categories would leave many shops alone in their
ranking. Every shop gets a row for the day (shops without orders: NEW), so the latest row
per shop is always the shop's current standing, and the rows are the history.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, distinct, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.feedback.service import messages as feedback_messages
from laotie.feedback.service import reviews as feedback_reviews
from laotie.identity.auth import require_role
from laotie.kit.db import dialect_insert
from laotie.kit.errors import DomainError
from laotie.kit.events import record_event, record_events
from laotie.models import (
    Aftersale,
    Category,
    CounterfeitClaim,
    ExcludedOrder,
    Order,
    OrderLine,
    PlatformSetting,
    Product,
    Shop,
    User,
    utcnow,
)
from laotie.models import ShopScore as ShopScoreRow
from laotie.models.base import table_of
from laotie.trust.score import (
    DEFAULT_SETTINGS,
    INDICATORS,
    Band,
    Diagnosis,
    IndicatorScore,
    OrderFacts,
    ScoreSettings,
    ShopScore,
    compute_scores,
    diagnose,
    display_score,
    traffic_multiplier,
)
from laotie.trust.score.indicators import BY_NAME, DIMENSIONS

SCORE_TZ = ZoneInfo("Asia/Shanghai")
SETTINGS_KEY = "trust.score_settings"
POLICY_KEY = "trust.score_policy"
RECOMPUTE_COOLDOWN = timedelta(minutes=10)
QUALITY_REASONS = ("quality", "not_as_described", "damaged", "wrong_item")
REFUND_KINDS = ("refund_only", "return_refund")
SHIP_WITHIN_S = 48 * 3600.0
_TOLERANCE_S = 1e-3  # timestamps travel as floats; a parcel shipped at exactly 48 h is on time
_WRITE_CHUNK = 500
NO_CATEGORY = 0  # shops without products rank among themselves


class ScoreInvalid(DomainError):
    code = "invalid_request"
    status = 422


class ScoreFresh(DomainError):
    """On-demand recomputes are rate-limited: the score is at most 10 minutes old already."""

    code = "score_recently_computed"
    status = 429


# ---- policy: eligibility and reliable goods ---------------------------------------------------


def _bands(name: str, values: Iterable[Any]) -> tuple[Band, ...]:
    try:
        return tuple(sorted({Band(v) for v in values}, key=lambda b: b.value))
    except ValueError:
        raise ScoreInvalid(f"{name}: bands are 优, 良, 差 or new", field=name) from None


@dataclass(frozen=True)
class ReliableGoodsRule:
    """When a product carries the reliable-goods label (靠谱好货) and its traffic boost.

    Over the last ``window_days``: at least ``min_reviews`` visible reviews whose mean product
    rating is ≥ ``min_rating``; at most ``max_quality_return_rate`` of its paid orders
    refunded for quality; and its shop in one of ``shop_bands`` (default 优 only: the label
    promises good service too, which a product alone cannot show).
    """

    min_rating: float = 4.6
    min_reviews: int = 10
    max_quality_return_rate: float = 0.01
    shop_bands: tuple[Band, ...] = (Band.EXCELLENT,)
    window_days: int = 90
    traffic_boost: float = 1.1

    def __post_init__(self) -> None:
        if not (isinstance(self.min_rating, int | float) and 1 <= self.min_rating <= 5):
            raise ScoreInvalid("min_rating: between 1 and 5", field="min_rating")
        if not (isinstance(self.min_reviews, int) and 1 <= self.min_reviews <= 100_000):
            raise ScoreInvalid("min_reviews: a whole number ≥ 1", field="min_reviews")
        if not (isinstance(self.max_quality_return_rate, int | float) and 0 <= self.max_quality_return_rate <= 1):
            raise ScoreInvalid("max_quality_return_rate: a share between 0 and 1", field="max_quality_return_rate")
        if not (isinstance(self.window_days, int) and 1 <= self.window_days <= 365):
            raise ScoreInvalid("window_days: 1 to 365", field="window_days")
        if not (isinstance(self.traffic_boost, int | float) and 1 <= self.traffic_boost <= 3):
            raise ScoreInvalid("traffic_boost: between 1 and 3", field="traffic_boost")
        object.__setattr__(self, "shop_bands", _bands("shop_bands", self.shop_bands))


@dataclass(frozen=True)
class ScorePolicy:
    """Which bands may do what. 差 is shut out of all three by default; a shop without a score
    yet (new) may join the alliance and buy ads, so new merchants can find an audience, but
    registering for platform promotions and festivals needs a score of 良 or better."""

    promotions: tuple[Band, ...] = (Band.EXCELLENT, Band.GOOD)
    alliance: tuple[Band, ...] = (Band.EXCELLENT, Band.GOOD, Band.NEW)
    ads: tuple[Band, ...] = (Band.EXCELLENT, Band.GOOD, Band.NEW)
    reliable: ReliableGoodsRule = field(default_factory=ReliableGoodsRule)

    def __post_init__(self) -> None:
        for name in ("promotions", "alliance", "ads"):
            object.__setattr__(self, name, _bands(name, getattr(self, name)))

    def to_json(self) -> dict[str, Any]:
        rule = self.reliable
        return {"promotions": [b.value for b in self.promotions], "alliance": [b.value for b in self.alliance],
                "ads": [b.value for b in self.ads],
                "reliable": {"min_rating": rule.min_rating, "min_reviews": rule.min_reviews,
                             "max_quality_return_rate": rule.max_quality_return_rate,
                             "shop_bands": [b.value for b in rule.shop_bands], "window_days": rule.window_days,
                             "traffic_boost": rule.traffic_boost}}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ScorePolicy:
        value = dict(value)
        reliable = value.pop("reliable", {})
        if not isinstance(reliable, Mapping):
            raise ScoreInvalid("reliable: an object", field="reliable")
        try:
            return cls(**value, reliable=ReliableGoodsRule(**reliable))
        except TypeError as exc:
            raise ScoreInvalid(f"unknown policy field ({exc})", field="policy") from None


def settings_to_json(settings: ScoreSettings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, Mapping):
            value = {str(getattr(k, "value", k)): v for k, v in value.items()}
        out[f.name] = value
    return out


def settings_from_json(value: Mapping[str, Any]) -> ScoreSettings:
    try:
        return ScoreSettings(**value)
    except TypeError as exc:
        raise ScoreInvalid(f"unknown score setting ({exc})", field="score") from None
    except ValueError as exc:
        message = str(exc)
        raise ScoreInvalid(message, field=message.split(":", 1)[0]) from None


async def score_settings(s: AsyncSession) -> ScoreSettings:
    """The operator's score settings, or the defaults (validated when they were saved)."""
    row = await s.get(PlatformSetting, SETTINGS_KEY)
    return DEFAULT_SETTINGS if row is None else settings_from_json(row.value)


async def score_policy(s: AsyncSession) -> ScorePolicy:
    row = await s.get(PlatformSetting, POLICY_KEY)
    return ScorePolicy() if row is None else ScorePolicy.from_json(row.value)


async def update_settings(s: AsyncSession, operator: User, *, score: Mapping[str, Any] | None = None,
                          policy: Mapping[str, Any] | None = None) -> tuple[ScoreSettings, ScorePolicy]:
    """Change the score settings or the policy (fields not given keep their value).

    Everything is validated before anything is stored: a bad policy fails here, with the
    field named, not as a strange score tomorrow. Scores change at the next recompute.
    """
    require_role(operator, "operator")
    settings, pol = await score_settings(s), await score_policy(s)
    if score:
        settings = settings_from_json({**settings_to_json(settings), **score})
        await _put(s, SETTINGS_KEY, settings_to_json(settings), operator)
    if policy:
        merged = pol.to_json()
        merged.update({k: v for k, v in policy.items() if k != "reliable"})
        if isinstance(policy.get("reliable"), Mapping):
            merged["reliable"] = {**merged["reliable"], **policy["reliable"]}
        pol = ScorePolicy.from_json(merged)
        await _put(s, POLICY_KEY, pol.to_json(), operator)
    await record_event(s, "trust.score_settings_changed", {"by": operator.id, "score": dict(score or {}),
                                                           "policy": dict(policy or {})})
    return settings, pol


async def _put(s: AsyncSession, key: str, value: Any, operator: User) -> None:
    row = await s.get(PlatformSetting, key)
    if row is None:
        s.add(PlatformSetting(key=key, value=value, updated_by=operator.id, updated_at=utcnow()))
    else:
        row.value, row.updated_by, row.updated_at = value, operator.id, utcnow()
    await s.flush()


# ---- the window and the facts ------------------------------------------------------------------


def score_day(now: datetime) -> date:
    """The calendar day (Asia/Shanghai) a moment belongs to: the day a score is stored under."""
    return now.astimezone(SCORE_TZ).date()


@dataclass(frozen=True)
class Window:
    """Orders paid in [start, as_of) count; every fact is judged as of `as_of`."""

    day: date
    start: datetime
    cutoff: datetime  # the end of `day`
    as_of: datetime  # the cutoff, or now while the day is still running


def window_for(day: date, settings: ScoreSettings, now: datetime) -> Window:
    if day > score_day(now):
        raise ScoreInvalid("day: a day that has not started has no score yet", field="day")
    cutoff = datetime.combine(day + timedelta(days=1), time(0), SCORE_TZ).astimezone(UTC)
    return Window(day=day, start=cutoff - timedelta(days=settings.window_days), cutoff=cutoff,
                  as_of=min(now, cutoff))


def _epoch(s: AsyncSession, column: Any) -> ColumnElement[float]:
    """Unix seconds in SQL: a million orders come back as floats, not parsed datetimes."""
    if s.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Float)
    # SQLite stores UTC text, "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's format). julianday()
    # would parse it, but as a double of days it keeps only ~40 µs; whole seconds from '%s'
    # plus the ".ffffff" from character 20 on are exact to the microsecond.
    return cast(cast(func.strftime("%s", column), Integer) + cast(func.substr(column, 20), Float), Float)


async def float_rows(s: AsyncSession, q: Any, width: int) -> np.ndarray[Any, Any]:
    """A SELECT of numbers (NULL → NaN) as one float64 array, straight from the driver's rows.

    A million SQLAlchemy Row objects cost more than the query; numpy reads the DBAPI's plain
    tuples in a tenth of the time. Only for columns without result processing (numbers).
    """
    result = await (await s.connection()).execute(q)
    raw = result.cursor.fetchall() if result.cursor is not None else []
    rows = raw if not raw or type(raw[0]) is tuple else [tuple(r) for r in raw]
    return np.array(rows, dtype=np.float64).reshape(-1, width)


async def shop_categories(s: AsyncSession) -> dict[int, int]:
    """Each shop's main category: the top-level category holding most of its products
    (ties: the lower id). Shops without products are left out (`NO_CATEGORY`)."""
    parents = {int(i): p for i, p in (await s.execute(select(Category.id, Category.parent_id))).all()}

    def root(category_id: int) -> int:
        seen = 0
        while parents.get(category_id) is not None and seen < 64:  # a cycle cannot hang us
            category_id = int(parents[category_id])  # type: ignore[arg-type]
            seen += 1
        return category_id

    counts: dict[int, Counter[int]] = {}
    rows = await s.execute(select(Product.shop_id, Product.category_id, func.count())
                           .group_by(Product.shop_id, Product.category_id))
    for shop_id, category_id, n in rows.all():
        counts.setdefault(int(shop_id), Counter())[root(int(category_id))] += int(n)
    return {shop: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for shop, c in counts.items()}


async def gather_facts(s: AsyncSession, window: Window, categories: Mapping[int, int], *,
                       shop_ids: Sequence[int] | None = None) -> tuple[OrderFacts, np.ndarray[Any, Any]]:
    """Per-order facts of the window (see the module docstring), and the order ids in the same order.

    One SELECT over the window's orders, with the reviews, after-sales and claims of those
    orders aggregated per order in joined subqueries; one more for the messages. Everything
    else is numpy over the columns.
    """
    w, e = window, (lambda column: _epoch(s, column))
    reviews = feedback_reviews.negative_review_flags(w.start, w.as_of).subquery()
    handled = func.coalesce(Aftersale.decided_at, case((Aftersale.status != "cancelled", Aftersale.closed_at)))
    refund_hours = case((and_(Aftersale.kind.in_(REFUND_KINDS), handled.is_not(None), handled < w.as_of),
                         (e(handled) - e(Aftersale.created_at)) / 3600.0))
    after = (select(Aftersale.order_id.label("order_id"),
                    func.max(case((and_(Aftersale.reason.in_(QUALITY_REASONS), Aftersale.status == "refunded",
                                        Aftersale.closed_at < w.as_of), 1), else_=0)).label("quality_return"),
                    func.max(case((and_(Aftersale.dispute == "buyer_won", Aftersale.decided_at < w.as_of), 1),
                                  else_=0)).label("dispute_lost"),
                    func.avg(refund_hours).label("refund_hours"))
             .where(Aftersale.created_at >= w.start, Aftersale.created_at < w.as_of)
             .group_by(Aftersale.order_id).subquery())
    claims = (select(CounterfeitClaim.order_id.label("order_id"), literal(1).label("upheld"))
              .where(CounterfeitClaim.status == "upheld", CounterfeitClaim.decided_at < w.as_of).subquery())
    q = (select(Order.id, Order.shop_id, e(Order.paid_at), e(Order.shipped_at), e(Order.delivered_at),
                e(Order.cancelled_at), reviews.c.product_negative, reviews.c.logistics_negative,
                reviews.c.service_negative, after.c.quality_return, after.c.dispute_lost, after.c.refund_hours,
                claims.c.upheld)
         .select_from(Order)
         .outerjoin(reviews, reviews.c.order_id == Order.id)
         .outerjoin(after, after.c.order_id == Order.id)
         .outerjoin(claims, claims.c.order_id == Order.id)
         .where(Order.paid_at >= w.start, Order.paid_at < w.as_of,
                ~exists().where(ExcludedOrder.order_id == Order.id)))
    if shop_ids is not None:
        q = q.where(Order.shop_id.in_(list(shop_ids)))
    a = await float_rows(s, q, 13)
    (order_id, shop, paid, shipped, delivered, cancelled, p_neg, l_neg, s_neg, quality, lost, refund,
     upheld) = a.T
    start, as_of = w.start.timestamp(), w.as_of.timestamp()

    n_days = round((w.cutoff - w.start).total_seconds() / 86400)
    day_index = np.clip(np.floor((paid - start) / 86400.0), 0, n_days - 1)
    day_age = (n_days - 1 - day_index).astype(np.int64)

    with np.errstate(invalid="ignore"):  # NaN timestamps (not yet shipped …) compare False, as meant
        shipped_known = shipped < as_of
        unshipped = ~shipped_known
        cancelled_known = cancelled < as_of
        limit = SHIP_WITHIN_S + _TOLERANCE_S
        within_48h = np.full(len(a), np.nan)
        within_48h[shipped_known] = (shipped[shipped_known] - paid[shipped_known] <= limit).astype(np.float64)
        late = unshipped & ((cancelled_known & (cancelled - paid > limit))
                            | (~cancelled_known & (as_of - paid > limit)))
        within_48h[late] = 0.0
        delivered_known = shipped_known & (delivered < as_of)
    delivery_hours = np.where(delivered_known, np.maximum(delivered - shipped, 0.0) / 3600.0, np.nan)

    ask_orders, replied = await feedback_messages.first_reply_facts(
        s, since=w.start, as_of=w.as_of, hours=await feedback_messages.opening_hours(s), shop_ids=shop_ids)
    ids = order_id.astype(np.int64)
    first_reply = np.full(len(a), np.nan)
    if ask_orders.size:
        at = np.searchsorted(ask_orders, ids)
        hit = at < ask_orders.size
        hit[hit] = ask_orders[at[hit]] == ids[hit]
        first_reply[hit] = replied[at[hit]]

    shop_ids_int = shop.astype(np.int64)
    unique_shops, inverse = np.unique(shop_ids_int, return_inverse=True)
    category_of = np.array([categories.get(int(x), NO_CATEGORY) for x in unique_shops.tolist()], dtype=np.int64)
    facts = OrderFacts(
        shop_id=shop_ids_int, category_id=category_of[inverse.reshape(-1)] if len(a) else np.zeros(0, np.int64),
        day_age=day_age, quality_return=np.nan_to_num(quality), product_negative_review=p_neg,
        counterfeit_upheld=np.nan_to_num(upheld), shipped_within_48h=within_48h, delivery_hours=delivery_hours,
        logistics_negative_review=l_neg, first_reply_within_3min=first_reply,
        refund_handling_hours=np.maximum(refund, 0.0), dispute_lost=np.nan_to_num(lost),
        service_negative_review=s_neg)
    return facts, ids


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
        raise ScoreFresh(f"your score was computed less than 10 minutes ago; try again in {wait} s",
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
