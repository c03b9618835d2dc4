"""Stock-keeping units: the thing actually bought, with price and stock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class Sku(IdMixin, CreatedMixin, Base):
    __tablename__ = "skus"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True, nullable=False)
    code: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    stock: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Most units one buyer may hold across unpaid and paid orders; None = no limit.
    purchase_limit: Mapped[int | None] = mapped_column(Integer)

    def label(self) -> str:
        return " / ".join(f"{v}" for v in self.attributes.values()) or "default"
