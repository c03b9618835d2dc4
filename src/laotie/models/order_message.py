"""Buyer–merchant messages about one order (客服): the record the 3-minute reply rate is measured on."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class OrderMessage(IdMixin, CreatedMixin, Base):
    __tablename__ = "order_messages"
    __table_args__ = (Index("ix_order_messages_order_id", "order_id", "id"),)

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), nullable=False)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True, nullable=False)
    sender_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    sender_role: Mapped[str] = mapped_column(String(10), nullable=False)  # buyer | merchant
    body: Mapped[str] = mapped_column(String(1000), nullable=False)
