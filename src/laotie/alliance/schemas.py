"""Alliance request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from laotie.alliance.links.schemas import ExternalEarningsOut
from laotie.kit.types import RefId

Bps = Annotated[int, Field(ge=0, le=10_000, description="basis points: 100 = 1%")]


class ListingIn(BaseModel):
    product_id: RefId
    rate_bps: Bps
    needs_approval: bool = False
    exclusive_creator_id: RefId | None = None
    exclusive_days: Annotated[int, Field(ge=0, le=90)] = 0
    sample_min_sales: Annotated[int, Field(ge=0, le=10**12)] = 0
    sample_min_fans: Annotated[int, Field(ge=0, le=10**9)] = 0


class RateIn(BaseModel):
    rate_bps: Bps


class StatusIn(BaseModel):
    active: bool


class FloorIn(BaseModel):
    floor_bps: Bps


class ListingOut(BaseModel):
    id: int
    product_id: int
    shop_id: int
    category_id: int
    rate_bps: int
    previous_rate_bps: int | None
    rate_cut_at: datetime | None
    needs_approval: bool
    exclusive_creator_id: int | None
    exclusive_until: datetime | None
    status: str
    paused_reason: str | None


class LibraryItemOut(BaseModel):
    listing_id: int
    product_id: int
    title: str
    shop_id: int
    shop_name: str
    category_id: int
    price: int
    rate_bps: int
    sold: int = Field(description="units sold over the last 30 days")
    band: str | None = Field(description="the shop's score band: 优, 良, 差 or new")
    reliable: bool = Field(description="reliable goods (靠谱好货)")
    earnings_per_order: int = Field(description="what a creator keeps of one order at the lowest price, in fen")
    needs_approval: bool


class PromotionOut(BaseModel):
    id: int
    listing_id: int
    creator_id: int
    rate_bps: int
    status: str


class DecisionIn(BaseModel):
    approve: bool


class CommissionLineOut(BaseModel):
    id: int
    order_id: int
    order_line_id: int
    source: str
    source_id: int | None
    rate_bps: int
    base: int
    refunded: int
    status: str
    estimated: int
    standing: int
    settled: int | None
    created_at: datetime


class EarningsOut(BaseModel):
    estimated: int
    standing: int
    settled: int
    reversed: int
    pending_balance: int
    available_balance: int
    lines: list[CommissionLineOut]
    external: ExternalEarningsOut = Field(description="reported by external channels, which pay it: not in the "
                                                      "balances above nor in laotie's ledger")


BandIn = Literal["优", "良", "差", "new"]
LibrarySortIn = Literal["earnings", "rate", "sales", "price_low", "newest"]
