"""A purchase of coins through the payment gateway; credited once, when its payment succeeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class CoinPurchase(IdMixin, CreatedMixin, Base):
    __tablename__ = "coin_purchases"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True, nullable=False)
    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id"), unique=True, nullable=False)
    coins: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)  # fen
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")  # pending | credited
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
