"""Live request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from laotie.kit.types import Name, PositiveFen, RefId
from laotie.orders.schemas import AddressIn


class StreamKeyOut(BaseModel):
    stream_key: str
    rtmp_url: str
    note: str = "Keep the key secret. Rotating it makes the old one stop working at once."


class SessionIn(BaseModel):
    title: Name
    scheduled_for: AwareDatetime | None = None


class SessionOut(BaseModel):
    id: int
    host_id: int
    shop_id: int | None
    title: str
    status: str
    playback_url: str
    scheduled_for: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    pinned_product_id: int | None
    cart_product_ids: list[int] = Field(default_factory=list)


class CartIn(BaseModel):
    product_id: RefId


class CartOrderIn(BaseModel):
    product_ids: list[RefId] = Field(max_length=200)


class PinIn(BaseModel):
    product_id: RefId | None


class CutIn(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=30)]


class SuspendIn(BaseModel):
    until: AwareDatetime


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


class MinuteOut(BaseModel):
    minute: datetime
    viewers: int  # the highest concurrent count seen in the minute
    entries: int
    comments: int
    likes: int
    orders: int  # placed in the minute
    gmv: int  # fen: paid totals of the orders placed in the minute
    conversion: float | None  # orders ÷ entries


class ProductSalesOut(BaseModel):
    product_id: int
    title: str
    quantity: int
    gmv: int


class SummaryOut(BaseModel):
    duration_seconds: int
    peak_viewers: int
    entries: int
    comments: int
    likes: int
    orders: int
    gmv: int
    conversion: float | None
    top_products: list[ProductSalesOut]


class TotalsOut(BaseModel):
    viewers_now: int
    peak_viewers: int
    entries: int
    comments: int
    likes: int
    orders: int
    gmv: int
    conversion: float | None


class AnalyticsOut(BaseModel):
    session_id: int
    status: str
    series: list[MinuteOut]
    totals: TotalsOut
    summary: SummaryOut | None  # kept when the session ended


class CouponIn(BaseModel):
    amount_off: PositiveFen
    min_spend: PositiveFen
    total: Annotated[int, Field(ge=1, le=1_000_000)]
    valid_until: AwareDatetime
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


class PkIn(BaseModel):
    opponent_session_id: RefId
    metric: Annotated[str, Field(pattern="^(gmv|likes)$")]
    duration_seconds: Annotated[int, Field(ge=60, le=3600)] = 300


class PkOut(BaseModel):
    """A contest's public state: anyone may read it; scores are the latest announced, final once finished."""

    id: int
    status: str
    metric: str
    duration_seconds: int
    challenger_session_id: int
    challenger_host_id: int
    opponent_session_id: int
    opponent_host_id: int
    expires_at: datetime
    started_at: datetime | None
    ends_at: datetime | None
    challenger_score: int
    opponent_score: int
    winner_session_id: int | None  # None once finished means a draw
    end_reason: str | None


# ---- coins and gifts ---------------------------------------------------------------------


class GiftOut(BaseModel):
    code: str
    name: str
    emoji: str
    coins: int


class CoinPurchaseIn(BaseModel):
    coins: Annotated[int, Field(ge=1, le=100_000)]


class CoinPurchaseOut(BaseModel):
    id: int
    coins: int
    amount: int
    status: str
    payment_id: int
    pay_url: str


class WalletOut(BaseModel):
    coins: int
    coin_value_fen: int
    packs: list[int]


class GiftSendIn(BaseModel):
    gift: Annotated[str, Field(min_length=1, max_length=20)]
    count: Annotated[int, Field(ge=1, le=99)] = 1


class GiftSentOut(BaseModel):
    id: int
    gift: str
    count: int
    coins: int
    balance: int


class RankEntryOut(BaseModel):
    rank: int
    user_id: int
    name: str
    coins: int


class GiftRankingOut(BaseModel):
    session_id: int
    total_coins: int
    ranking: list[RankEntryOut]


class GiftEarningsOut(BaseModel):
    earnings: int  # fen
    creator_share_bps: int
