"""Review and message request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from laotie.kit.types import RefId


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Stars = Annotated[int, Field(ge=1, le=5, description="1 (worst) to 5 (best)")]
ReviewText = Annotated[str, Field(max_length=1000), AfterValidator(_no_nul)]
MessageText = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_no_nul)]


class ReviewIn(BaseModel):
    line_id: RefId
    product_stars: Stars
    logistics_stars: Stars
    service_stars: Stars
    # "text", not "body": a field named body would be reported as "body.body" in a 422.
    text: ReviewText = ""


class ReplyIn(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_no_nul)]


class ReviewOut(BaseModel):
    id: int
    order_id: int
    order_line_id: int
    product_id: int
    shop_id: int
    buyer: str  # masked display name: reviews are public
    product_stars: int
    logistics_stars: int
    service_stars: int
    text: str
    images: list[str]  # URLs under /media
    reply: str | None
    replied_at: datetime | None
    hidden: bool
    created_at: datetime


class RatingOut(BaseModel):
    reviews: int
    product_stars: float | None
    logistics_stars: float | None
    service_stars: float | None
    negative: int  # reviews with a product rating of 2 stars or fewer (差评)


class ProductReviewsOut(BaseModel):
    product_id: int
    rating: RatingOut
    reliable: bool  # 靠谱好货
    reviews: list[ReviewOut]


class ShopReviewsOut(BaseModel):
    shop_id: int
    rating: RatingOut
    reviews: list[ReviewOut]


class MessageIn(BaseModel):
    text: MessageText


class MessageOut(BaseModel):
    id: int
    order_id: int
    sender_role: str  # buyer | merchant
    text: str
    created_at: datetime
    in_opening_hours: bool
    # On a buyer message that opens a wait: seconds until the shop's first reply (None: not yet).
    reply_seconds: float | None


class ThreadOut(BaseModel):
    order_id: int
    opening_hours: str
    messages: list[MessageOut]


class ConversationOut(BaseModel):
    order_id: int
    last_message: str
    waiting_since: datetime


class OpeningHoursIn(BaseModel):
    start: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
    end: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
    tz: Annotated[str, Field(min_length=1, max_length=60)] = "Asia/Shanghai"


class OpeningHoursOut(OpeningHoursIn):
    pass
