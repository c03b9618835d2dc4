"""MCN request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from laotie.kit.types import Instant, RefId, ShortText

# Bounded only against overflow here: the 0–10000 rule is the service's, with its own code.
ShareBps = Annotated[int, Field(ge=-(2**31), le=2**31,
                                description="basis points of the creator's commission after the platform fee")]
ContractStatusIn = Literal["offered", "active", "declined", "withdrawn", "ended"]


class ContractIn(BaseModel):
    creator_id: RefId
    share_bps: ShareBps
    starts_at: Instant | None = Field(None, description="default: now")
    ends_at: Instant


class ViolationIn(BaseModel):
    reason: Annotated[ShortText, Field(min_length=1, max_length=200)]


class ContractOut(BaseModel):
    id: int
    mcn_id: int
    creator_id: int
    share_bps: int
    starts_at: datetime
    ends_at: datetime
    status: str
    accepted_at: datetime | None
    end_requested_by: int | None
    ended_at: datetime | None
    end_reason: str | None


class McnCreatorOut(BaseModel):
    """One creator's sales that carry this MCN's share."""

    creator_id: int
    lines: int
    gmv: int = Field(description="what buyers paid for the lines, in fen")
    refunded: int
    commission_estimated: int = Field(description="the creator's part when paid")
    commission_standing: int
    commission_settled: int
    share_estimated: int = Field(description="the MCN's part when paid")
    share_standing: int
    share_settled: int


class McnLineOut(BaseModel):
    id: int
    order_id: int
    order_line_id: int
    source: str
    rate_bps: int
    mcn_bps: int
    base: int
    refunded: int
    status: str
    commission_estimated: int
    commission_standing: int
    commission_settled: int | None
    share_estimated: int
    share_standing: int
    share_settled: int | None
    created_at: datetime


class McnEarningsOut(BaseModel):
    pending_balance: int
    available_balance: int
    creators: list[McnCreatorOut]
