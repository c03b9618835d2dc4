"""The official tag (官方打标): an operator marks a live room's host or a video as subsidised or brand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, UTCDateTime


class OfficialTag(Base):
    __tablename__ = "official_tags"

    item_kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # video | host
    item_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    label: Mapped[str] = mapped_column(String(40), nullable=False)  # e.g. 官方补贴, 品牌
    tagged_by: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    tagged_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
