"""Who follows whom (关注): the private-domain graph that traffic follows first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, UTCDateTime


class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (Index("ix_follows_followee_created", "followee_id", "created_at"),)

    follower_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    followee_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
