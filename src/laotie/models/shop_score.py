"""A shop's experience score (店铺体验分) as computed for one day; the history is every row."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class ShopScore(IdMixin, CreatedMixin, Base):
    __tablename__ = "shop_scores"
    __table_args__ = (UniqueConstraint("shop_id", "day"),)

    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    orders_in_window: Mapped[int] = mapped_column(Integer, nullable=False)
    total: Mapped[float | None] = mapped_column(Float)  # None: a new shop, no score yet
    band: Mapped[str] = mapped_column(String(10), nullable=False)  # 优 | 良 | 差 | new
    dimensions: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    indicators: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
