"""Live sessions (直播场次): from publish to publish-done, with what was pinned and a summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

LIVE_STATUSES = ("scheduled", "live", "ended")


class LiveSession(IdMixin, CreatedMixin, Base):
    __tablename__ = "live_sessions"
    __table_args__ = (Index("ix_live_sessions_host_status", "host_id", "status"),)

    host_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    shop_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("shops.id"))
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    cover: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="scheduled")
    # The public name HLS is served under; never the secret stream key.
    playback_name: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(40))
    pinned_product_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("products.id"))
    peak_viewers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
