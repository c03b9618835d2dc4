"""Coupons a streamer pushes in a live room (直播间优惠券): amount off, minimum spend, a limited count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

COUPON_STATUSES = ("created", "pushed")


class LiveCoupon(IdMixin, CreatedMixin, Base):
    __tablename__ = "live_coupons"
    __table_args__ = (
        CheckConstraint("claimed >= 0 AND claimed <= total", name="claimed_within_total"),
        # The order is never free because of a coupon: what the buyer pays stays above zero.
        CheckConstraint("amount_off > 0 AND min_spend > amount_off", name="amount_below_min_spend"),
    )

    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_sessions.id"), index=True, nullable=False)
    # The shop that funds the discount: a merchant coupon reduces this shop's receivable.
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), nullable=False)
    amount_off: Mapped[int] = mapped_column(BigInteger, nullable=False)
    min_spend: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    claimed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # Only products in this session's live cart count towards the minimum spend (else: the whole shop).
    live_cart_only: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="created")
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
