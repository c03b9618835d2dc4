"""Review and message queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, Select, and_, case, cast, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import ExcludedOrder, Order, OrderMessage, Review, User

NEGATIVE_STARS = 2
"""A rating of this many stars or fewer is a negative review (差评)."""

_CHUNK = 500  # ids per IN list: far below every database's bound-parameter limit


def epoch_seconds(s: AsyncSession, column: Any) -> ColumnElement[float]:
    """A timestamp column as Unix seconds, computed in SQL so bulk reads skip datetime parsing."""
    if s.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Float)
    # SQLite stores UTC text, "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's format). julianday()
    # would parse it, but as a double of days it keeps only ~40 µs; whole seconds from '%s'
    # plus the ".ffffff" from character 20 on are exact to the microsecond.
    return cast(cast(func.strftime("%s", column), Integer) + cast(func.substr(column, 20), Float), Float)


def _visible() -> ColumnElement[bool]:
    """Shown and counted: not hidden, and not from an order excluded as fake (刷单)."""
    return and_(Review.hidden.is_(False), ~exists().where(ExcludedOrder.order_id == Review.order_id))


async def order_excluded(s: AsyncSession, order_id: int) -> bool:
    return (await s.execute(select(exists().where(ExcludedOrder.order_id == order_id)))).scalar_one()


async def review_for_line(s: AsyncSession, line_id: int) -> Review | None:
    return (await s.execute(select(Review).where(Review.order_line_id == line_id))).scalar_one_or_none()


async def reviews_of_order(s: AsyncSession, order_id: int) -> Sequence[Review]:
    q = select(Review).where(Review.order_id == order_id).order_by(Review.id)
    return (await s.execute(q)).scalars().all()


async def public_reviews(s: AsyncSession, *, product_id: int | None = None, shop_id: int | None = None,
                         limit: int = 20, offset: int = 0) -> list[tuple[Review, str]]:
    q = select(Review, User.display_name).join(User, User.id == Review.buyer_id).where(_visible())
    if product_id is not None:
        q = q.where(Review.product_id == product_id)
    if shop_id is not None:
        q = q.where(Review.shop_id == shop_id)
    q = q.order_by(Review.created_at.desc(), Review.id.desc()).limit(limit).offset(offset)
    return [(r, str(name)) for r, name in (await s.execute(q)).all()]


async def names(s: AsyncSession, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await s.execute(select(User.id, User.display_name).where(User.id.in_(set(user_ids))))
    return {int(i): str(n) for i, n in rows.all()}


async def ratings(s: AsyncSession, key: Any, ids: Sequence[int], since: datetime | None = None
                  ) -> dict[int, tuple[int, float | None, float | None, float | None, int]]:
    """Per product (key=Review.product_id) or shop: count, mean of each rating, negative product ratings."""
    out: dict[int, tuple[int, float | None, float | None, float | None, int]] = {}
    for i in range(0, len(ids), _CHUNK):
        q = (select(key, func.count(), func.avg(Review.product_stars), func.avg(Review.logistics_stars),
                    func.avg(Review.service_stars),
                    func.sum(case((Review.product_stars <= NEGATIVE_STARS, 1), else_=0)))
             .where(_visible(), key.in_(ids[i:i + _CHUNK])).group_by(key))
        if since is not None:
            q = q.where(Review.created_at >= since)
        for k, n, p, lg, sv, neg in (await s.execute(q)).all():
            out[int(k)] = (int(n), _f(p), _f(lg), _f(sv), int(neg or 0))
    return out


def _f(x: Any) -> float | None:
    return None if x is None else float(x)


async def set_reply(s: AsyncSession, review_id: int, body: str, now: datetime) -> bool:
    """Conditional: only a review without a reply takes one, so two clicks cannot both answer."""
    done = await s.execute(update(Review).where(Review.id == review_id, Review.reply.is_(None))
                           .values(reply=body, replied_at=now).returning(Review.id))
    return done.first() is not None


async def hide_of_orders(s: AsyncSession, order_ids: Sequence[int], reason: str) -> list[int]:
    hidden: list[int] = []
    for i in range(0, len(order_ids), _CHUNK):
        done = await s.execute(update(Review).where(Review.order_id.in_(order_ids[i:i + _CHUNK]),
                                                    Review.hidden.is_(False))
                               .values(hidden=True, hidden_reason=reason[:80]).returning(Review.id))
        hidden += [int(x) for x in done.scalars().all()]
    return hidden


def negative_review_flags(since: datetime, as_of: datetime) -> Select[Any]:
    """Per order with a visible review written in [since, as_of): 1/0 per rating being negative.

    An order with several reviewed lines counts as negative when any of its lines is.
    Hidden reviews are left out here; excluded orders are left out by the caller's order filter.
    """
    def negative(column: Any) -> Any:
        return func.max(case((column <= NEGATIVE_STARS, 1), else_=0))

    return (select(Review.order_id.label("order_id"),
                   negative(Review.product_stars).label("product_negative"),
                   negative(Review.logistics_stars).label("logistics_negative"),
                   negative(Review.service_stars).label("service_negative"))
            .where(Review.hidden.is_(False), Review.created_at >= since, Review.created_at < as_of)
            .group_by(Review.order_id))


async def messages_of_order(s: AsyncSession, order_id: int, limit: int = 500) -> Sequence[OrderMessage]:
    q = (select(OrderMessage).where(OrderMessage.order_id == order_id)
         .order_by(OrderMessage.created_at, OrderMessage.id).limit(limit))
    return (await s.execute(q)).scalars().all()


async def awaiting_reply(s: AsyncSession, shop_id: int, limit: int = 50) -> list[tuple[int, str, datetime]]:
    """Orders of a shop whose latest message is the buyer's, oldest wait first: (order, text, since)."""
    last = (select(OrderMessage.order_id, func.max(OrderMessage.id).label("last_id"))
            .where(OrderMessage.shop_id == shop_id).group_by(OrderMessage.order_id).subquery())
    q = (select(OrderMessage.order_id, OrderMessage.body, OrderMessage.created_at)
         .join(last, last.c.last_id == OrderMessage.id)
         .where(OrderMessage.sender_role == "buyer").order_by(OrderMessage.created_at).limit(limit))
    return [(int(o), str(b), c) for o, b, c in (await s.execute(q)).all()]


async def message_times(s: AsyncSession, *, since: datetime, as_of: datetime,
                        shop_ids: Sequence[int] | None) -> list[tuple[Any, ...]]:
    """(order_id, 1 if the buyer sent it, Unix seconds) for messages before `as_of` on orders
    paid in [since, as_of), in order and time order: what the 3-minute reply rate is measured on."""
    q = (select(OrderMessage.order_id, case((OrderMessage.sender_role == "buyer", 1), else_=0),
                epoch_seconds(s, OrderMessage.created_at))
         .join(Order, Order.id == OrderMessage.order_id)
         .where(Order.paid_at >= since, Order.paid_at < as_of, OrderMessage.created_at < as_of)
         .order_by(OrderMessage.order_id, OrderMessage.created_at, OrderMessage.id))
    if shop_ids is not None:
        q = q.where(Order.shop_id.in_(list(shop_ids)))
    # The driver's plain tuples: all numbers, nothing to process, and far cheaper than Row objects.
    result = await (await s.connection()).execute(q)
    raw = result.cursor.fetchall() if result.cursor is not None else []
    return [r if type(r) is tuple else tuple(r) for r in raw]
