"""The facts a shop score is computed from, gathered from the order tables for one window.

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

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.feedback.service import messages as feedback_messages
from laotie.feedback.service import reviews as feedback_reviews
from laotie.models import (
    Aftersale,
    Category,
    CounterfeitClaim,
    ExcludedOrder,
    Order,
    Product,
)
from laotie.trust.score.core import OrderFacts, ScoreSettings
from laotie.trust.score.service.settings import ScoreInvalid

SCORE_TZ = ZoneInfo("Asia/Shanghai")
QUALITY_REASONS = ("quality", "not_as_described", "damaged", "wrong_item")
REFUND_KINDS = ("refund_only", "return_refund")
SHIP_WITHIN_S = 48 * 3600.0
_TOLERANCE_S = 1e-3  # timestamps travel as floats; a parcel shipped at exactly 48 h is on time
NO_CATEGORY = 0  # shops without products rank among themselves


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


# No shop can have sold anything earlier; days before it would take the window out of the calendar.
FIRST_SCORE_DAY = date(2000, 1, 1)


def window_for(day: date, settings: ScoreSettings, now: datetime) -> Window:
    if day > score_day(now):
        raise ScoreInvalid("day: a day that has not started has no score yet", field="day")
    if day < FIRST_SCORE_DAY:
        raise ScoreInvalid(f"day: scores start on {FIRST_SCORE_DAY.isoformat()}", field="day")
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
