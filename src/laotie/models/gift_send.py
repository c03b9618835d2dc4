"""One gift sent in a live room: who, to whom, what, and the coins it cost (the room ranking sums these)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class GiftSend(IdMixin, CreatedMixin, Base):
    __tablename__ = "gift_sends"
    __table_args__ = (Index("ix_gift_sends_session_sender", "session_id", "sender_id"),)

    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_sessions.id"), nullable=False)
    sender_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True, nullable=False)
    host_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True, nullable=False)
    gift: Mapped[str] = mapped_column(String(20), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    coins: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The split at the time of sending, in fen, so a later change of the share rewrites nothing.
    creator_share: Mapped[int] = mapped_column(BigInteger, nullable=False)
    platform_share: Mapped[int] = mapped_column(BigInteger, nullable=False)
