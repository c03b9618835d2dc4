"""Request and response models for the live cart, flash sales, coupons and lucky bags."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from laotie.kit.types import Instant, PositiveFen, RefId
from laotie.orders.schemas import AddressIn


class CartIn(BaseModel):
    product_id: RefId


class CartOrderIn(BaseModel):
    product_ids: list[RefId] = Field(max_length=200)


class PinIn(BaseModel):
    product_id: RefId | None


class FlashIn(BaseModel):
    sku_id: RefId
    live_price: Annotated[int, Field(ge=1, le=10**12)]
    live_stock: Annotated[int, Field(ge=1, le=1_000_000)]
    per_buyer_cap: Annotated[int, Field(ge=1, le=100)] = 1
    countdown_seconds: Annotated[int, Field(ge=0, le=600)] = 3
    duration_seconds: Annotated[int, Field(ge=1, le=86_400)] | None = None


class FlashOut(BaseModel):
    id: int
    session_id: int
    sku_id: int
    live_price: int
    live_stock: int
    sold: int
    left: int
    per_buyer_cap: int
    opens_at: datetime
    closes_at: datetime | None
    status: str
    returned: int
    server_now: datetime


class FlashBuyIn(BaseModel):
    quantity: Annotated[int, Field(ge=1, le=100)] = 1
    address: AddressIn


class FlashTapIn(BaseModel):
    """A tap sent over the room's socket: {"type": "flash.buy", "flash_id", "request_id", "quantity", "address"}.

    `request_id` comes back with the answer, and a tap repeated with the same one (over the
    socket or as the Idempotency-Key of the HTTP route) gets the same answer.
    """

    flash_id: RefId
    request_id: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[\x21-\x7e]+$")]
    quantity: Annotated[int, Field(ge=1, le=100)] = 1
    address: AddressIn


class FlashBuyOut(BaseModel):
    # "placed": the order exists (DB mode); "accepted": reserved in Redis, the order follows.
    status: str
    left: int
    reservation_id: str | None = None
    status_url: str | None = None
    payment_id: int | None = None
    order_ids: list[int] = Field(default_factory=list)
    pay_url: str | None = None


class ReservationOut(BaseModel):
    status: str  # pending | placed | failed
    payment_id: int | None = None
    order_ids: list[int] = Field(default_factory=list)
    pay_url: str | None = None
    code: str | None = None


class CouponIn(BaseModel):
    amount_off: PositiveFen
    min_spend: PositiveFen
    total: Annotated[int, Field(ge=1, le=1_000_000)]
    valid_until: Instant
    live_cart_only: bool = False


class CouponOut(BaseModel):
    id: int
    session_id: int
    shop_id: int
    amount_off: int
    min_spend: int
    total: int
    claimed: int
    left: int
    valid_until: datetime
    live_cart_only: bool
    status: str


class ClaimOut(BaseModel):
    coupon_id: int
    user_id: int
    status: str  # claimed | used
    order_id: int | None


class LuckyBagIn(BaseModel):
    sku_id: RefId
    prizes: Annotated[int, Field(ge=1, le=100)]
    condition: Annotated[str, Field(pattern="^(comment|watch|follow)$")]
    keyword: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    watch_minutes: Annotated[int, Field(ge=1, le=600)] | None = None
    duration_seconds: Annotated[int, Field(ge=10, le=86_400)]


class LuckyBagOut(BaseModel):
    """The bag and, once drawn, its public record: re-run draw(seed, entrants, prizes) to check the winners."""

    id: int
    session_id: int
    sku_id: int
    prizes: int
    condition: str
    keyword: str | None
    watch_minutes: int | None
    ends_at: datetime
    status: str
    seed: str | None
    entrants: list[int]
    winners: list[int]
    prize_order_ids: list[int]
    returned: int
    verified: bool | None  # draw(seed, entrants, prizes) == winners, recomputed on every read

