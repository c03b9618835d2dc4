"""Order request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from laotie.kit.types import Name, Quantity, RefId
from laotie.orders.service.checkout import PHONE_PATTERN

Phone = Annotated[str, Field(pattern=PHONE_PATTERN)]
Line = Annotated[str, Field(min_length=1, max_length=300)]


class AddressIn(BaseModel):
    recipient: Name
    phone: Phone
    address: Line


class ItemIn(BaseModel):
    sku_id: RefId
    quantity: Quantity


class CheckoutIn(BaseModel):
    items: list[ItemIn] = Field(min_length=1, max_length=50)
    address: AddressIn
    # A live coupon the buyer claimed: it comes off the order from the coupon's shop.
    coupon_id: RefId | None = None


class CartCheckoutIn(BaseModel):
    address: AddressIn
    sku_ids: list[RefId] | None = Field(None, max_length=200)


class CartItemIn(BaseModel):
    sku_id: RefId
    quantity: Quantity


class CartQuantityIn(BaseModel):
    quantity: Annotated[int, Field(ge=0, le=999)]


class CheckoutOut(BaseModel):
    payment_id: int
    order_ids: list[int]
    amount: int
    pay_url: str
    replayed: bool


class ShipIn(BaseModel):
    carrier: Annotated[str, Field(min_length=1, max_length=40)]
    tracking_no: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{4,60}$")]


class OrderLineOut(BaseModel):
    sku_id: int
    product_id: int
    title: str
    sku_attributes: dict[str, Any]
    unit_price: int
    quantity: int
    commission: int


class OrderOut(BaseModel):
    id: int
    status: str
    shop_id: int
    buyer_id: int
    payment_id: int
    total: int
    commission: int
    discount: int
    source: str
    carrier: str | None
    tracking_no: str | None
    pay_deadline: datetime
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    lines: list[OrderLineOut] = Field(default_factory=list)


class CartLineOut(BaseModel):
    sku_id: int
    product_id: int
    title: str
    shop_id: int
    unit_price: int
    quantity: int
    stock: int


class NotificationOut(BaseModel):
    payment_id: int
    result: str
    paid_order_ids: list[int]
    refunded_order_ids: list[int]


class BalancesOut(BaseModel):
    shop_id: int
    pending: int
    available: int
