"""The lowest alliance commission a category allows (类目佣金下限), set by operators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, UTCDateTime


class AllianceFloor(Base):
    __tablename__ = "alliance_floors"

    category_id: Mapped[int] = mapped_column(BigId, ForeignKey("categories.id"), primary_key=True)
    floor_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    set_by: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
