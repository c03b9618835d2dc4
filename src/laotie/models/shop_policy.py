"""A shop's guarantee settings (信任购): refund without return, who pays return shipping."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId


class ShopPolicy(Base):
    __tablename__ = "shop_policies"

    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), primary_key=True)
    refund_without_return: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Orders up to this amount qualify for refund without return (fen).
    no_return_threshold: Mapped[int] = mapped_column(BigInteger, nullable=False, default=5000)
    # Who funds return-shipping compensation (退货补运费): "merchant" (its insurance fee) or "platform".
    return_shipping_funded_by: Mapped[str] = mapped_column(String(20), nullable=False, default="platform")
