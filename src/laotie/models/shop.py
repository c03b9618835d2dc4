"""Shops (小店), each owned by one merchant account."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class Shop(IdMixin, CreatedMixin, Base):
    __tablename__ = "shops"

    owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
