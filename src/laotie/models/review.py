"""A review of one order line (评价): product, logistics and service stars, text, images, the shop's reply."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class Review(IdMixin, CreatedMixin, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_product_created", "product_id", "created_at"),
        Index("ix_reviews_shop_created", "shop_id", "created_at"),
    )

    order_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("order_lines.id"), unique=True, nullable=False)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), index=True, nullable=False)
    buyer_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True, nullable=False)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), nullable=False)
    product_stars: Mapped[int] = mapped_column(Integer, nullable=False)
    logistics_stars: Mapped[int] = mapped_column(Integer, nullable=False)
    service_stars: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[str] = mapped_column(String(2000), nullable=False, default="")
    images: Mapped[list[Any] | None] = mapped_column(JSON)
    reply: Mapped[str | None] = mapped_column(String(1000))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Hidden reviews (from fake orders, or removed by an operator) count nowhere.
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(80))
