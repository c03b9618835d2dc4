"""Live chat and room events, in one ordered log per session (the id is the resume cursor)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class ChatMessage(IdMixin, CreatedMixin, Base):
    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_session_id", "session_id", "id"),)

    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_sessions.id"), nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    # comment | reply (automatic answer) | system (pin, flash, sold out, coupon, ...)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    body: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
