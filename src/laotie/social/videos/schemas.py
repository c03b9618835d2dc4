"""Short-video request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from laotie.kit.types import RefId, ShortText
from laotie.social.videos.service import MAX_CART_PRODUCTS, MAX_COMMENT


class VideoProductsIn(BaseModel):
    """The whole product cart, in the order shown; an empty list clears it."""

    product_ids: list[RefId] = Field(max_length=MAX_CART_PRODUCTS)


class CommentIn(BaseModel):
    text: Annotated[ShortText, Field(min_length=1, max_length=MAX_COMMENT)]


class CartProductOut(BaseModel):
    product_id: int
    title: str
    min_price: int
    image_url: str | None
    sku_id: int
    sold_out: bool
    # Checkout with the video recorded as the order's source.
    buy_url: str


class VideoOut(BaseModel):
    id: int
    owner_id: int
    owner_name: str
    caption: str
    video_url: str
    poster_url: str | None
    size_bytes: int
    duration_ms: int | None
    status: str
    plays: int
    likes: int
    comments: int
    created_at: datetime
    products: list[CartProductOut] = Field(default_factory=list)
    liked: bool = False
    page_url: str


class VideoListOut(BaseModel):
    items: list[VideoOut]
    # Pass as before_id for the next (older) page; null at the end.
    next_before_id: int | None


class LikeOut(BaseModel):
    liked: bool
    likes: int


class PlayOut(BaseModel):
    plays: int


class CommentOut(BaseModel):
    id: int
    user_id: int
    user_name: str
    text: str
    created_at: datetime


class CommentListOut(BaseModel):
    items: list[CommentOut]
    next_before_id: int | None


class ProductIdsOut(BaseModel):
    product_ids: list[int]
