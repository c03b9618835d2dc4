"""One payment per checkout; it may cover several shops' orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class Payment(IdMixin, CreatedMixin, Base):
    __tablename__ = "payments"

    buyer_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    gateway: Mapped[str] = mapped_column(String(20), nullable=False)
    # What the money buys: "orders" (a checkout) or another product such as "coins".
    purpose: Mapped[str] = mapped_column(String(20), nullable=False, default="orders", server_default="orders")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    gateway_ref: Mapped[str | None] = mapped_column(String(80), unique=True)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Refused attempts (declines) do not change the status; the last one is kept for the page.
    last_decline: Mapped[str | None] = mapped_column(String(200))
