"""Room moderation: moderators a host appoints, and mutes and bans in a host's rooms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class RoomRestriction(IdMixin, CreatedMixin, Base):
    __tablename__ = "room_restrictions"
    __table_args__ = (Index("ix_room_restrictions_host_user", "host_id", "user_id"),)

    host_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    # moderator (appointed by the host) | mute (until) | ban (no end)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
