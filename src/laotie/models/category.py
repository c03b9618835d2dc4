"""Product categories (a tree) with the platform commission rate (扣点)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class Category(IdMixin, CreatedMixin, Base):
    __tablename__ = "categories"

    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    commission_bps: Mapped[int] = mapped_column(Integer, nullable=False)
