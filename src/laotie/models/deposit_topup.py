"""A merchant paying into its deposit through the gateway; credited when the payment succeeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class DepositTopup(IdMixin, CreatedMixin, Base):
    __tablename__ = "deposit_topups"

    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True, nullable=False)
    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id"), unique=True, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")  # pending | credited
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
