"""Orders: one per shop per checkout."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

ORDER_STATUSES = ("pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")


class Order(IdMixin, CreatedMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_shop_status", "shop_id", "status"),
        Index("ix_orders_buyer_created", "buyer_id", "created_at"),
        Index("ix_orders_status_deadline", "status", "pay_deadline"),
        # PK contests score a room's paid sales in a time window several times a minute.
        Index("ix_orders_source_created", "source", "created_at"),
        # Nobody is refunded more than was paid, whatever the code above the database does.
        CheckConstraint("refunded >= 0 AND refunded <= total", name="refund_within_total"),
    )

    buyer_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), nullable=False)
    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id"), index=True, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending_payment")
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    commission: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Taken off by a merchant coupon: `total` is what the buyer pays, already net of it.
    discount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    # Where the buyer came from: "direct", later "live:<id>", "video:<id>", "profile:<id>".
    source: Mapped[str] = mapped_column(String(40), nullable=False, default="direct")
    # Refunded so far through after-sales; a refund that would pass `total` is refused.
    refunded: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    # A hash of the buyer's device (from the page that placed it), for fake-order detection.
    device_fp: Mapped[str | None] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(60), nullable=False)
    phone: Mapped[str] = mapped_column(String(30), nullable=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False)
    carrier: Mapped[str | None] = mapped_column(String(40))
    tracking_no: Mapped[str | None] = mapped_column(String(60))
    pay_deadline: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(80))
