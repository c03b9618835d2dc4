"""Units of a SKU a buyer holds in live (unpaid or paid) orders, for purchase limits."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId


class PurchaseCounter(Base):
    __tablename__ = "purchase_counters"

    buyer_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    sku_id: Mapped[int] = mapped_column(BigId, ForeignKey("skus.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
