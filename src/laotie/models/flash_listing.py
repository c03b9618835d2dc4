"""'3-2-1 上车' flash listings: a countdown, then live-only price, live stock and a per-buyer cap."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

FLASH_STATUSES = ("scheduled", "open", "closed")


class FlashListing(IdMixin, CreatedMixin, Base):
    __tablename__ = "flash_listings"
    __table_args__ = (
        CheckConstraint("sold >= 0 AND sold <= live_stock", name="sold_within_stock"),
        CheckConstraint("live_price > 0", name="live_price_positive"),
    )

    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_sessions.id"), index=True, nullable=False)
    sku_id: Mapped[int] = mapped_column(BigId, ForeignKey("skus.id"), nullable=False)
    live_price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    live_stock: Mapped[int] = mapped_column(Integer, nullable=False)
    sold: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    per_buyer_cap: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="scheduled")
    return_unsold: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    returned: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
