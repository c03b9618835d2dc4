"""Who has been in a live room, when last, and for how long (watched time from contiguous heartbeats)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, UTCDateTime


class RoomPresence(Base):
    __tablename__ = "room_presence"

    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_sessions.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    watched_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
