"""One like per viewer per video."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, UTCDateTime


class VideoLike(Base):
    __tablename__ = "video_likes"

    video_id: Mapped[int] = mapped_column(BigId, ForeignKey("videos.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
