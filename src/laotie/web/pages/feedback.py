"""Review and message pages: write a review, the shop's reply, the order's conversation.

The order and product pages load these as htmx fragments (their templates hold one include
each), so the pages that own those routes need not know about reviews or messages. Routes
live under /feedback/ because /orders/{id}/{action} belongs to the order page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from laotie.feedback.errors import FeedbackInvalid
from laotie.feedback.service import messages, reviews
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.limits import upload
from laotie.kit.types import PathId
from laotie.orders.service import queries
from laotie.trust.score.service import scores
from laotie.web.i18n import N_
from laotie.web.render import Form, MaybeUser, PageUser, attempt, number, render, text

router = APIRouter(include_in_schema=False)

STAR_LABELS = (("product_stars", N_("Product 商品")), ("logistics_stars", N_("Logistics 物流")),
               ("service_stars", N_("Service 服务")))


async def _reviews_card(request: Request, s: Session, user: PageUser, order_id: int, status_code: int = 200,
                        **extra: object) -> Response:
    view = await queries.order_view(s, user, order_id)
    by_line = {r.order_line_id: (r, name) for r, name in await reviews.order_reviews(s, user, order_id)}
    return render(request, "feedback/_reviews_card.html", status_code=status_code, user=user, view=view,
                  by_line=by_line, star_labels=STAR_LABELS, reviewable=view.order.status in reviews.REVIEWABLE,
                  masked=reviews.masked, **extra)


@router.get("/feedback/orders/{order_id}/reviews")
async def reviews_card(request: Request, order_id: PathId, s: Session, user: PageUser) -> Response:
    """The order page's review card: a form per line for the buyer, the reviews and reply forms for the shop."""
    return await _reviews_card(request, s, user, order_id)


@router.post("/feedback/orders/{order_id}/reviews")
@upload("image")
async def post_review(request: Request, order_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    settings = get_db(request).settings
    uploads = [f for f in (await request.form()).getlist("images") if isinstance(f, UploadFile) and f.filename]
    try:
        async with attempt(s):
            line_id = number(data, "line_id", lo=1, hi=2**62)
            if line_id is None:
                raise FeedbackInvalid("choose the item", field="line_id")
            review = await reviews.write_review(
                s, user, order_id, line_id=line_id, product_stars=number(data, "product_stars", lo=0, hi=9),
                logistics_stars=number(data, "logistics_stars", lo=0, hi=9),
                service_stars=number(data, "service_stars", lo=0, hi=9), body=text(data, "text", 2000))
            if uploads:
                images = [await f.read(settings.max_image_bytes + 1) for f in uploads]
                await reviews.add_review_images(s, user, review.id, images, media_dir=settings.media_dir,
                                                max_bytes=settings.max_image_bytes)
    except DomainError as exc:
        # 200, not the refusal's status: htmx swaps only successful answers into the page.
        return await _reviews_card(request, s, user, order_id, error=exc.message,
                                   error_code=exc.code, error_line=data.get("line_id"))
    return await _reviews_card(request, s, user, order_id, notice=N_("Thank you for your review 感谢评价"))


@router.post("/feedback/reviews/{review_id}/reply")
async def post_reply(request: Request, review_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    review = await reviews.get_review(s, review_id)
    try:
        async with attempt(s):
            await reviews.reply_to_review(s, user, review.id, text(data, "text", 2000))
    except DomainError as exc:
        return await _reviews_card(request, s, user, review.order_id, error=exc.message, error_code=exc.code)
    return await _reviews_card(request, s, user, review.order_id, notice=N_("Reply posted 已回复"))


async def _thread(request: Request, s: Session, user: PageUser, order_id: int, template: str,
                  status_code: int = 200, **extra: object) -> Response:
    thread = await messages.order_thread(s, user, order_id)
    return render(request, template, status_code=status_code, user=user, thread=thread, **extra)


@router.get("/feedback/orders/{order_id}/messages")
async def messages_card(request: Request, order_id: PathId, s: Session, user: PageUser) -> Response:
    """The order's conversation; `?list=1` is only the messages, which the card polls for."""
    template = "feedback/_messages_list.html" if request.query_params.get("list") else "feedback/_messages_card.html"
    return await _thread(request, s, user, order_id, template)


@router.post("/feedback/orders/{order_id}/messages")
async def post_message(request: Request, order_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            await messages.send_message(s, user, order_id, text(data, "text", 2000))
    except DomainError as exc:
        return await _thread(request, s, user, order_id, "feedback/_messages_card.html", error=exc.message,
                             error_code=exc.code, draft=data.get("text", "")[:1000])
    return await _thread(request, s, user, order_id, "feedback/_messages_card.html")


@router.get("/feedback/products/{product_id}/reviews")
async def product_reviews(request: Request, product_id: PathId, s: Session, user: MaybeUser) -> Response:
    """The product page's reviews: the rating, the reliable-goods label (靠谱好货) and the latest reviews."""
    got, rating = await reviews.product_reviews(s, product_id, limit=5)
    reliable = product_id in await scores.reliable_products(s, [product_id])
    return render(request, "feedback/_product_reviews.html", user=user, product_id=product_id, reviews=got,
                  rating=rating, reliable=reliable, masked=reviews.masked)


@router.get("/merchant/messages")
async def merchant_messages(request: Request, s: Session, user: PageUser) -> Response:
    """Conversations waiting for the shop's answer: the 3-minute reply rate is measured on these."""
    waiting = await messages.awaiting_reply(s, user)
    return render(request, "feedback/merchant_messages.html", user=user, waiting=waiting,
                  hours=await messages.opening_hours(s))
