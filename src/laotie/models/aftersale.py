"""An after-sale request (售后): refund only, return and refund, or exchange, with its deadlines.

States: requested → approved (refund_only: refunded at once) | rejected
        approved (return_refund / exchange) → awaiting_return → return_shipped → refunded | exchanged
        any open state → cancelled (by the buyer). The deadline columns drive the jobs that
        approve for a silent merchant, close for a buyer who never ships, and confirm a return
        the merchant never acknowledges.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class Aftersale(IdMixin, CreatedMixin, Base):
    __tablename__ = "aftersales"
    __table_args__ = (
        Index("ix_aftersales_shop_status", "shop_id", "status"),
        Index("ix_aftersales_status_deadline", "status", "deadline"),
    )

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), index=True, nullable=False)
    order_line_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("order_lines.id"))
    buyer_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True, nullable=False)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # refund_only | return_refund | exchange
    reason: Mapped[str] = mapped_column(String(40), nullable=False)  # e.g. quality, not_as_described, no_reason
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)  # the refund asked for, fen
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="requested")
    # instant (极速退款) | no_return (退款不退货) | None: the guarantee that decided it, if any
    guarantee: Mapped[str | None] = mapped_column(String(20))
    # The deadline of the current state (merchant answer, buyer ships, merchant confirms receipt).
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_carrier: Mapped[str | None] = mapped_column(String(40))
    return_tracking: Mapped[str | None] = mapped_column(String(60))
    decided_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reject_reason: Mapped[str | None] = mapped_column(String(300))
    # Platform arbitration after a rejection: None | open | buyer_won | merchant_won (a lost dispute
    # counts against the merchant's service score).
    dispute: Mapped[str | None] = mapped_column(String(20))
    refunded: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    shipping_compensation: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evidence: Mapped[list[Any] | None] = mapped_column(JSON)
