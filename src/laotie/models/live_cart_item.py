"""The live cart (直播间购物车): products offered in a session, in the host's order."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class LiveCartItem(IdMixin, CreatedMixin, Base):
    __tablename__ = "live_cart_items"
    __table_args__ = (UniqueConstraint("session_id", "product_id"),)

    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_sessions.id"), index=True, nullable=False)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
