"""A nonce an external channel's postback used: each is accepted once per channel (replay guard)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, IdMixin, UTCDateTime


class AlliancePostbackNonce(IdMixin, Base):
    __tablename__ = "alliance_postback_nonces"
    __table_args__ = (UniqueConstraint("channel_id", "nonce"),)

    channel_id: Mapped[int] = mapped_column(BigId, ForeignKey("alliance_channels.id"), nullable=False)
    nonce: Mapped[str] = mapped_column(String(64), nullable=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
