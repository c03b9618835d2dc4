"""Secret, rotatable stream keys: one per creator or merchant; only the SHA-256 is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class StreamKey(IdMixin, CreatedMixin, Base):
    __tablename__ = "stream_keys"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), unique=True, nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Live permission: while this is in the future, publishing is refused.
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
