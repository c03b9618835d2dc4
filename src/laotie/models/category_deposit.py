"""The deposit (保证金) a shop selling in a category must hold."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId


class CategoryDeposit(Base):
    __tablename__ = "category_deposits"

    category_id: Mapped[int] = mapped_column(BigId, ForeignKey("categories.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)  # fen
