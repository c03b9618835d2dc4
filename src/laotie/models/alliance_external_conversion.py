"""A sale an external channel reported for a creator's tracking link: the channel pays its commission, not laotie."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, IdMixin, UTCDateTime

# reported: the channel says it sold; confirmed: the channel says the commission stands (it
# pays it); cancelled: the channel withdrew it (refund, fraud on its side).
CONVERSION_STATUSES = ("reported", "confirmed", "cancelled")


class AllianceExternalConversion(IdMixin, Base):
    __tablename__ = "alliance_external_conversions"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_order_id"),
        Index("ix_alliance_external_conversions_creator", "creator_id", "reported_at"),
        CheckConstraint("amount > 0 AND commission >= 0 AND commission <= amount", name="amounts_sane"),
    )

    channel_id: Mapped[int] = mapped_column(BigId, ForeignKey("alliance_channels.id"), nullable=False)
    click_id: Mapped[int] = mapped_column(BigId, ForeignKey("alliance_link_clicks.id"), index=True, nullable=False)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), nullable=False)
    external_order_id: Mapped[str] = mapped_column(String(64), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    commission: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="reported")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
