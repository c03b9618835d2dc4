"""After-sales request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from laotie.kit.types import MAX_FEN, RefId, ShortText

Reason = Literal["no_reason", "quality", "not_as_described", "wrong_item", "damaged", "not_received", "other"]


class AftersaleIn(BaseModel):
    order_id: RefId
    kind: Literal["refund_only", "return_refund", "exchange"]
    reason: Reason
    amount: Annotated[int, Field(ge=1, le=MAX_FEN)] | None = None
    line_id: RefId | None = None
    description: ShortText = ""


class DecisionIn(BaseModel):
    approve: bool
    reason: ShortText = ""


class ReturnShippedIn(BaseModel):
    carrier: Annotated[str, Field(min_length=1, max_length=40)]
    tracking_no: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{4,60}$")]


class ArbitrationIn(BaseModel):
    for_buyer: bool
    reason: Annotated[str, Field(min_length=1, max_length=300)]


class AftersaleOut(BaseModel):
    id: int
    order_id: int
    kind: str
    reason: str
    amount: int
    status: str
    guarantee: str | None
    deadline: datetime | None
    refunded: int
    shipping_compensation: int
    dispute: str | None
    reject_reason: str | None
    created_at: datetime


class PolicyIn(BaseModel):
    refund_without_return: bool
    no_return_threshold: Annotated[int, Field(ge=0, le=MAX_FEN)] = 5000
    return_shipping_funded_by: Literal["merchant", "platform"] = "platform"


class PolicyOut(PolicyIn):
    shop_id: int


class ClaimIn(BaseModel):
    order_id: RefId
    statement: Annotated[str, Field(min_length=10, max_length=2000)]


class ClaimDecisionIn(BaseModel):
    uphold: bool
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ClaimOut(BaseModel):
    id: int
    order_id: int
    shop_id: int
    status: str
    refunded: int
    compensation: int
    decision_reason: str | None
    created_at: datetime


class StandingOut(BaseModel):
    good: bool
    reasons: list[str]
