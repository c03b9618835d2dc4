"""Comments under a short video."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class VideoComment(IdMixin, CreatedMixin, Base):
    __tablename__ = "video_comments"
    __table_args__ = (Index("ix_video_comments_video_id", "video_id", "id"),)

    video_id: Mapped[int] = mapped_column(BigId, ForeignKey("videos.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    body: Mapped[str] = mapped_column(String(500), nullable=False)
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
