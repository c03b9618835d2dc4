"""Order lines, with the price and commission rate as they were at checkout."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, IdMixin


class OrderLine(IdMixin, Base):
    __tablename__ = "order_lines"

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), index=True, nullable=False)
    sku_id: Mapped[int] = mapped_column(BigId, ForeignKey("skus.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True, nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    sku_attributes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    unit_price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    commission_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    commission: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # This line's share of the order's coupon discount; its commission is on amount - discount.
    discount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    # Bought at a live-only price from a '3-2-1 上车' flash listing.
    flash_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("flash_listings.id"))
    # Who promoted the line and the plan as it was at checkout (the alliance's attribution,
    # written by a registered order hook in the same insert); None for an unpromoted line.
    attribution: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity
