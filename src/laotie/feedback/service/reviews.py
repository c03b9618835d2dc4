"""Reviews (评价): one per delivered order line, three ratings, text and images, one reply from the shop.

Reviews feed the shop experience score (a rating of 2 stars or fewer is a negative review
of that dimension) and the reliable-goods label, so what may be written is strict: only the
order's buyer, only once the goods arrived (delivered or completed), one per line. Reviews
from orders later found to be fake (刷单) are hidden by `hide_reviews_of_orders`, which the
fraud side calls; hidden reviews are shown nowhere and counted nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.feedback import repository
from laotie.feedback.errors import (
    FeedbackInvalid,
    NotYourReview,
    ReplyExists,
    ReviewExists,
    ReviewNotAllowed,
    ReviewNotFound,
    TooManyImages,
)
from laotie.kit.events import record_event
from laotie.models import OrderLine, Review, Shop, User, utcnow
from laotie.orders.auth import ensure_buyer, ensure_party
from laotie.orders.service.lifecycle import get_order

REVIEWABLE = ("delivered", "completed")
MAX_TEXT = 1000
MAX_IMAGES = 6
STAR_FIELDS = ("product_stars", "logistics_stars", "service_stars")


@dataclass(frozen=True)
class Rating:
    """A product's or a shop's visible reviews summed up (means None without reviews)."""

    reviews: int = 0
    product_stars: float | None = None
    logistics_stars: float | None = None
    service_stars: float | None = None
    negative: int = 0


def _text(value: str, field: str, *, required: bool) -> str:
    value = value.replace("\x00", "").strip()
    if required and not value:
        raise FeedbackInvalid("write something", field=field)
    if len(value) > MAX_TEXT:
        raise FeedbackInvalid("at most %(max_length)s characters", field=field, max_length=MAX_TEXT)
    return value


def _stars(values: dict[str, object]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in STAR_FIELDS:
        value = values[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            raise FeedbackInvalid("give 1 to 5 stars", field=name)
        out[name] = value
    return out


async def write_review(s: AsyncSession, buyer: User, order_id: int, *, line_id: int, product_stars: object,
                       logistics_stars: object, service_stars: object, body: str = "") -> Review:
    """The buyer reviews one line of a delivered order; a second review of the line is refused (409)."""
    stars = _stars({"product_stars": product_stars, "logistics_stars": logistics_stars,
                    "service_stars": service_stars})
    text = _text(body, "text", required=False)
    order = await get_order(s, order_id)
    ensure_buyer(buyer, order)
    if order.status not in REVIEWABLE:
        raise ReviewNotAllowed("reviews open once the order is delivered")
    line = await s.get(OrderLine, line_id)
    if line is None or line.order_id != order.id:
        raise FeedbackInvalid("that line is not part of this order", field="line_id")
    if await repository.review_for_line(s, line.id) is not None:
        raise ReviewExists("this item is already reviewed")
    # A review of an order already excluded as fake is kept for the record but never shown.
    excluded = await repository.order_excluded(s, order.id)
    review = Review(order_line_id=line.id, order_id=order.id, buyer_id=buyer.id, shop_id=order.shop_id,
                    product_id=line.product_id, body=text, images=[], hidden=excluded,
                    hidden_reason="excluded_order" if excluded else None, **stars)
    try:
        async with s.begin_nested():  # two submissions racing: the unique line id lets one through
            s.add(review)
            await s.flush()
    except IntegrityError:
        raise ReviewExists("this item is already reviewed") from None
    await record_event(s, "review.written", {"review_id": review.id, "order_id": order.id, "shop_id": order.shop_id,
                                             "product_id": line.product_id, **stars})
    return review


async def get_review(s: AsyncSession, review_id: int) -> Review:
    review = await s.get(Review, review_id)
    if review is None:
        raise ReviewNotFound("no such review")
    return review


async def reply_to_review(s: AsyncSession, merchant: User, review_id: int, body: str) -> Review:
    """The shop answers a review once (商家回复); the answer is public next to the review."""
    text = _text(body, "text", required=True)
    review = await get_review(s, review_id)
    shop = await catalog.my_shop(s, merchant)
    if review.shop_id != shop.id:
        raise NotYourReview("that review is not of your shop")
    if not await repository.set_reply(s, review.id, text, utcnow()):
        raise ReplyExists("this review already has your reply")
    await s.refresh(review)
    await record_event(s, "review.replied", {"review_id": review.id, "shop_id": shop.id})
    return review


async def add_review_images(s: AsyncSession, buyer: User, review_id: int, images: Sequence[bytes], *,
                            media_dir: Path, max_bytes: int) -> Review:
    """Photos of what arrived, on the buyer's own review; checked by their bytes, at most six."""
    review = await get_review(s, review_id)
    if review.buyer_id != buyer.id:
        raise NotYourReview("that is not your review")
    have = list(review.images or [])
    if len(have) + len(images) > MAX_IMAGES:
        raise TooManyImages("at most %(max_images)s photos per review", max_images=MAX_IMAGES)
    have += catalog.store_photos(images, media_dir=media_dir, folder=f"reviews/{review.id}", max_bytes=max_bytes)
    review.images = have
    await s.flush()
    return review


async def order_reviews(s: AsyncSession, user: User, order_id: int) -> list[tuple[Review, str]]:
    """Reviews of one order with the buyer's name, for its buyer or its shop (hidden ones included, marked)."""
    await ensure_party(s, user, await get_order(s, order_id))
    return await with_names(s, list(await repository.reviews_of_order(s, order_id)))


async def with_names(s: AsyncSession, got: Sequence[Review]) -> list[tuple[Review, str]]:
    names = await repository.names(s, [r.buyer_id for r in got])
    return [(r, names.get(r.buyer_id, "")) for r in got]


async def product_reviews(s: AsyncSession, product_id: int, *, limit: int = 20, offset: int = 0
                          ) -> tuple[list[tuple[Review, str]], Rating]:
    await catalog.product_view(s, product_id)  # 404 for drafts and unknown products
    reviews = await repository.public_reviews(s, product_id=product_id, limit=limit, offset=offset)
    return reviews, (await product_ratings(s, [product_id])).get(product_id, Rating())


async def shop_reviews(s: AsyncSession, shop_id: int, *, limit: int = 20, offset: int = 0
                       ) -> tuple[Shop, list[tuple[Review, str]], Rating]:
    shop = await catalog.get_shop(s, shop_id)
    reviews = await repository.public_reviews(s, shop_id=shop.id, limit=limit, offset=offset)
    got = await repository.ratings(s, Review.shop_id, [shop.id])
    return shop, reviews, Rating(*got[shop.id]) if shop.id in got else Rating()


async def product_ratings(s: AsyncSession, product_ids: Sequence[int], *, since: datetime | None = None
                          ) -> dict[int, Rating]:
    """Visible-review summaries per product (products without reviews are left out)."""
    got = await repository.ratings(s, Review.product_id, list(product_ids), since)
    return {pid: Rating(*values) for pid, values in got.items()}


async def hide_reviews_of_orders(s: AsyncSession, order_ids: Sequence[int], reason: str) -> int:
    """Hide every review of these orders (e.g. a confirmed fake-order ring, reason "fraud_ring:12").

    Idempotent: reviews already hidden keep their first reason. Returns how many were hidden now.
    """
    hidden = await repository.hide_of_orders(s, sorted({int(o) for o in order_ids}), reason)
    if hidden:
        await record_event(s, "reviews.hidden", {"review_ids": hidden, "reason": reason[:80]})
    return len(hidden)


def masked(name: str) -> str:
    """Reviews are public: show the first character of the buyer's name only (张**)."""
    name = name.strip()
    return (name[:1] or "*") + "**"


def negative_review_flags(since: datetime, as_of: datetime) -> Select[Any]:
    """For the shop experience score: per order with a visible review written in [since, as_of),
    columns product_negative, logistics_negative and service_negative (1 if any line of the order
    was rated 2 stars or fewer on it, else 0). Use as a subquery joined on order_id."""
    return repository.negative_review_flags(since, as_of)
