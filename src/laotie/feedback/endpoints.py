"""HTTP for reviews and buyer–merchant messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from laotie.feedback.schemas import (
    ConversationOut,
    MessageIn,
    MessageOut,
    OpeningHoursIn,
    OpeningHoursOut,
    ProductReviewsOut,
    RatingOut,
    ReplyIn,
    ReviewIn,
    ReviewOut,
    ShopReviewsOut,
    ThreadOut,
)
from laotie.feedback.service import messages, reviews
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.limits import multipart_body, upload, uploaded_files
from laotie.kit.types import PathId
from laotie.models import Review
from laotie.trust.score.service import scores

router = APIRouter(prefix="/api/v1", tags=["feedback"])
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


def review_out(r: Review, buyer: str) -> ReviewOut:
    return ReviewOut(id=r.id, order_id=r.order_id, order_line_id=r.order_line_id, product_id=r.product_id,
                     shop_id=r.shop_id, buyer=reviews.masked(buyer), product_stars=r.product_stars,
                     logistics_stars=r.logistics_stars, service_stars=r.service_stars, text=r.body,
                     images=[f"/media/{p}" for p in r.images or []], reply=r.reply, replied_at=r.replied_at,
                     hidden=r.hidden, created_at=r.created_at)


def rating_out(r: reviews.Rating) -> RatingOut:
    def rounded(x: float | None) -> float | None:
        return None if x is None else round(x, 2)

    return RatingOut(reviews=r.reviews, product_stars=rounded(r.product_stars),
                     logistics_stars=rounded(r.logistics_stars), service_stars=rounded(r.service_stars),
                     negative=r.negative)


@router.post("/orders/{order_id}/reviews", status_code=201)
async def write_review(order_id: PathId, body: ReviewIn, user: CurrentUser, s: Session) -> ReviewOut:
    """Review one line of your delivered order: 1–5 stars for product, logistics and service, and text."""
    r = await reviews.write_review(s, user, order_id, line_id=body.line_id, product_stars=body.product_stars,
                                   logistics_stars=body.logistics_stars, service_stars=body.service_stars,
                                   body=body.text)
    return review_out(r, user.display_name)


@router.get("/orders/{order_id}/reviews")
async def order_reviews(order_id: PathId, user: CurrentUser, s: Session) -> list[ReviewOut]:
    return [review_out(r, name) for r, name in await reviews.order_reviews(s, user, order_id)]


@router.post("/reviews/{review_id}/reply")
async def reply(review_id: PathId, body: ReplyIn, user: CurrentUser, s: Session) -> ReviewOut:
    """The shop answers a review, once."""
    r = await reviews.reply_to_review(s, user, review_id, body.text)
    return review_out(*(await reviews.with_names(s, [r]))[0])


@router.post("/reviews/{review_id}/images",
             openapi_extra=multipart_body({"files": "JPEG, PNG or WebP images"}, required=("files",),
                                          many=("files",)))
@upload("image")
async def add_images(review_id: PathId, request: Request, user: CurrentUser, s: Session) -> ReviewOut:
    """Photos on your own review (JPEG, PNG or WebP; at most six per review)."""
    settings = get_db(request).settings
    data = [await f.read(settings.max_image_bytes + 1) for f in await uploaded_files(request, "files")]
    r = await reviews.add_review_images(s, user, review_id, data, media_dir=settings.media_dir,
                                        max_bytes=settings.max_image_bytes)
    return review_out(r, user.display_name)


@router.get("/products/{product_id}/reviews")
async def product_reviews(product_id: PathId, s: Session, limit: Limit = 20, offset: Offset = 0
                          ) -> ProductReviewsOut:
    """Visible reviews of a product, newest first, its rating, and whether it is reliable goods (靠谱好货)."""
    got, rating = await reviews.product_reviews(s, product_id, limit=limit, offset=offset)
    reliable = product_id in await scores.reliable_products(s, [product_id])
    return ProductReviewsOut(product_id=product_id, rating=rating_out(rating), reliable=reliable,
                             reviews=[review_out(r, name) for r, name in got])


@router.get("/shops/{shop_id}/reviews")
async def shop_reviews(shop_id: PathId, s: Session, limit: Limit = 20, offset: Offset = 0) -> ShopReviewsOut:
    shop, got, rating = await reviews.shop_reviews(s, shop_id, limit=limit, offset=offset)
    return ShopReviewsOut(shop_id=shop.id, rating=rating_out(rating), reviews=[review_out(r, n) for r, n in got])


def message_out(thread: messages.Thread) -> list[MessageOut]:
    return [MessageOut(id=m.id, order_id=m.order_id, sender_role=m.sender_role, text=m.body, created_at=m.created_at,
                       in_opening_hours=thread.in_hours(m), reply_seconds=thread.waits.get(m.id))
            for m in thread.messages]


@router.post("/orders/{order_id}/messages", status_code=201)
async def send_message(order_id: PathId, body: MessageIn, user: CurrentUser, s: Session) -> MessageOut:
    """Write to the other side of your order (the buyer or the shop)."""
    m = await messages.send_message(s, user, order_id, body.text)
    hours = await messages.opening_hours(s)
    return MessageOut(id=m.id, order_id=m.order_id, sender_role=m.sender_role, text=m.body, created_at=m.created_at,
                      in_opening_hours=hours.contains(m.created_at), reply_seconds=None)


@router.get("/orders/{order_id}/messages")
async def order_messages(order_id: PathId, user: CurrentUser, s: Session) -> ThreadOut:
    thread = await messages.order_thread(s, user, order_id)
    return ThreadOut(order_id=order_id, opening_hours=thread.hours.label(), messages=message_out(thread))


@router.get("/shops/mine/conversations")
async def awaiting(user: CurrentUser, s: Session) -> list[ConversationOut]:
    """Your shop's conversations waiting for your answer, longest wait first."""
    return [ConversationOut(order_id=o, last_message=b, waiting_since=c)
            for o, b, c in await messages.awaiting_reply(s, user)]


@router.get("/feedback/opening-hours")
async def get_opening_hours(s: Session) -> OpeningHoursOut:
    h = await messages.opening_hours(s)
    return OpeningHoursOut(start=f"{h.start:%H:%M}", end=f"{h.end:%H:%M}", tz=h.tz)


@router.put("/feedback/opening-hours")
async def put_opening_hours(body: OpeningHoursIn, user: CurrentUser, s: Session) -> OpeningHoursOut:
    """Operators: the customer-service hours the 3-minute reply rate is measured in."""
    h = await messages.set_opening_hours(s, user, start=body.start, end=body.end, tz=body.tz)
    return OpeningHoursOut(start=f"{h.start:%H:%M}", end=f"{h.end:%H:%M}", tz=h.tz)
