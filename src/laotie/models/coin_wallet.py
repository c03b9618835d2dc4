"""A viewer's coins (快币): spent on gifts in live rooms; changed only by conditional updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, UTCDateTime


class CoinWallet(Base):
    __tablename__ = "coin_wallets"
    __table_args__ = (CheckConstraint("coins >= 0", name="coins_not_negative"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    coins: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
