"""A withdrawal of settled alliance commission (佣金提现): requested, sent to the gateway, then paid or failed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

# processing: the money is in flight (out of the available balance, not yet at the payee);
# paid: the gateway confirmed it left the platform; failed: it went back to the available balance.
PAYOUT_STATUSES = ("processing", "paid", "failed")


class AlliancePayout(IdMixin, CreatedMixin, Base):
    __tablename__ = "alliance_payouts"
    __table_args__ = (
        Index("ix_alliance_payouts_user_created", "user_id", "created_at"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="processing")
    gateway: Mapped[str] = mapped_column(String(20), nullable=False)
    # The gateway's reference: given when it accepts the request, confirmed by its callback.
    gateway_ref: Mapped[str | None] = mapped_column(String(80))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failure_reason: Mapped[str | None] = mapped_column(String(200))
