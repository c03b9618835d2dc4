"""Short videos (短视频): an uploaded mp4 with its poster frame, caption and counters."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class Video(IdMixin, CreatedMixin, Base):
    __tablename__ = "videos"
    __table_args__ = (Index("ix_videos_owner_created", "owner_id", "created_at"),)

    owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    caption: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    # Stored under the media folder; names are random, never the uploader's file name.
    file_name: Mapped[str] = mapped_column(String(100), nullable=False)
    poster_name: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="published")  # published | removed
    plays: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
