"""One item served in a feed to one viewer, with why: its source and the components of its score."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, IdMixin, UTCDateTime


class Impression(IdMixin, Base):
    __tablename__ = "impressions"
    __table_args__ = (
        Index("ix_impressions_owner_served", "owner_id", "served_at"),
        Index("ix_impressions_viewer_served", "viewer_id", "served_at"),
        Index("ix_impressions_served", "served_at"),
    )

    request_id: Mapped[str] = mapped_column(String(32), nullable=False)
    viewer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    feed: Mapped[str] = mapped_column(String(20), nullable=False)  # following | discovery
    item_kind: Mapped[str] = mapped_column(String(10), nullable=False)  # live | video
    item_id: Mapped[int] = mapped_column(BigId, nullable=False)
    owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    # following | discovery | cold_start | ad_slot | ad
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    components: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    served_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
