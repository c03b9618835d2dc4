"""Request and response models of share links, tracking links, channels, postbacks and external earnings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from laotie.kit.types import MAX_FEN, Name, RefId

ExternalOrderId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class LinkIn(BaseModel):
    product_id: RefId


class LinkOut(BaseModel):
    token: str
    url: str = Field(description="path on this laotie: /s/<token> for a share link, /go/<token> for a tracking link")
    creator_id: int
    product_id: int
    issued_at: datetime
    channel: str | None = None
    attribution_hours: int | None = Field(None, description="share links: a purchase this long after opening counts")


class ChannelIn(BaseModel):
    code: Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
    name: Name
    secret: Annotated[str, Field(min_length=32, max_length=200, pattern=r"^[\x21-\x7e]+$")] | None = Field(
        None, description="the shared HMAC key agreed with the channel; generated when left out")


class ChannelOut(BaseModel):
    id: int
    code: str
    name: str
    status: str
    secret_set_at: datetime
    secret: str | None = Field(None, description="shown once, when the channel is registered")


class PostbackIn(BaseModel):
    """A channel's signed report: a sale (status reported) or its outcome (confirmed, cancelled)."""

    nonce: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
    timestamp: Annotated[int, Field(ge=0, le=4_102_444_800, description="unix seconds when the channel sent it")]
    status: Literal["reported", "confirmed", "cancelled"] = "reported"
    external_order_id: ExternalOrderId
    click_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    amount: Annotated[int, Field(ge=1, le=MAX_FEN, description="what the buyer paid, in fen")] | None = None
    commission: Annotated[int, Field(ge=0, le=MAX_FEN, description="the creator's commission, in fen")] | None = None


class ConversionOut(BaseModel):
    id: int
    channel: str
    external_order_id: str
    product_id: int
    amount: int
    commission: int
    status: str
    reported_at: datetime
    decided_at: datetime | None


class ExternalEarningsOut(BaseModel):
    """Commission external channels reported: they pay it, so it never enters laotie's ledger or balances."""

    reported: int = Field(description="reported, awaiting the channel's confirmation")
    confirmed: int = Field(description="confirmed by the channel, which pays it")
    cancelled: int
    conversions: list[ConversionOut]


class PostbackOut(BaseModel):
    conversion_id: int
    status: str
