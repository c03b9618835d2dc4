"""An appeal (申诉) against a violation case, and the operator's answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class Appeal(IdMixin, CreatedMixin, Base):
    __tablename__ = "appeals"

    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("violation_cases.id"), unique=True, nullable=False)
    statement: Mapped[str] = mapped_column(String(2000), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")  # pending | upheld | rejected
    decided_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(500))
