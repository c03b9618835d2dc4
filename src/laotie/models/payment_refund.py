"""Money sent back to a buyer through the gateway."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class PaymentRefund(IdMixin, CreatedMixin, Base):
    __tablename__ = "payment_refunds"

    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id"), index=True, nullable=False)
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(80), nullable=False)
    gateway_ref: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
