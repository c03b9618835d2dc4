"""Orders that no longer count (from a confirmed fake-order ring): not in sales, reviews or the score."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, UTCDateTime


class ExcludedOrder(Base):
    __tablename__ = "excluded_orders"

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(60), nullable=False)  # e.g. fraud_ring:12
    excluded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
