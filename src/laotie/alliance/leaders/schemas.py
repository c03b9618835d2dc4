"""Group-leader request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from laotie.kit.types import RefId

# Bounded only against overflow here: the 0–9000 rule is the service's, with its own code.
FeeBps = Annotated[int, Field(ge=-(2**31), le=2**31, description="basis points of the commission, 0–9000")]
OfferStatusIn = Literal["proposed", "accepted", "declined", "ended"]


class OfferIn(BaseModel):
    listing_id: RefId
    fee_bps: FeeBps


class OfferDecisionIn(BaseModel):
    accept: bool


class OfferOut(BaseModel):
    id: int
    listing_id: int
    leader_id: int
    shop_id: int
    fee_bps: int
    status: str
    created_at: datetime
    decided_at: datetime | None


class LeaderOfferOut(OfferOut):
    """An offer with what a leader or merchant needs beside it."""

    product_id: int
    title: str
    shop_name: str
    rate_bps: int
    listing_status: str


class SubLibraryItemOut(BaseModel):
    listing_id: int
    product_id: int
    title: str
    shop_id: int
    shop_name: str
    price: int
    rate_bps: int
    leader_fee_bps: int
    earnings_per_order: int = Field(description="what a creator keeps of one order at the lowest price, in fen")
    needs_approval: bool


class CreatorSalesOut(BaseModel):
    """One creator's sales through this leader: the lines, their value, and the leader's fee on them."""

    creator_id: int
    lines: int
    gmv: int = Field(description="what buyers paid for the lines, in fen")
    refunded: int
    fee_estimated: int
    fee_standing: int
    fee_settled: int


class LeaderSalesOut(BaseModel):
    fee_estimated: int
    fee_standing: int
    fee_settled: int
    pending_balance: int
    available_balance: int
    creators: list[CreatorSalesOut]
