"""Live analytics response models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


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

