"""Units each buyer took from a flash listing, for the per-buyer cap."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId


class FlashPurchase(Base):
    __tablename__ = "flash_purchases"

    flash_id: Mapped[int] = mapped_column(BigId, ForeignKey("flash_listings.id"), primary_key=True)
    buyer_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
