"""Sample requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from laotie.kit.types import ShortText
from laotie.orders.schemas import AddressIn, ShipIn

__all__ = ["EligibilityOut", "SampleDecisionIn", "SampleIn", "SampleOut", "ShipIn"]


class SampleIn(BaseModel):
    """Where the sample goes."""

    address: AddressIn


class SampleDecisionIn(BaseModel):
    approve: bool
    reason: Annotated[ShortText, Field(max_length=200)] = ""


class SampleOut(BaseModel):
    id: int
    listing_id: int
    product_id: int
    shop_id: int
    creator_id: int
    status: str
    recipient: str
    phone: str
    address: str
    decline_reason: str | None
    carrier: str | None
    tracking_no: str | None
    created_at: datetime
    decided_at: datetime | None
    shipped_at: datetime | None
    promote_by: datetime | None
    fulfilled_at: datetime | None
    fulfilled_by: str | None
    lapsed_at: datetime | None


class EligibilityOut(BaseModel):
    eligible: bool
    sales_30d: int
    min_sales: int
    fans: int
    min_fans: int
    lapsed_90d: int
    lapse_limit: int
