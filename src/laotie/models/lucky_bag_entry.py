"""Viewers entered in a lucky bag by an action (commenting its keyword), one row each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, UTCDateTime


class LuckyBagEntry(Base):
    __tablename__ = "lucky_bag_entries"

    bag_id: Mapped[int] = mapped_column(BigId, ForeignKey("lucky_bags.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
