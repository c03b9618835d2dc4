"""The audit log: every governance decision, with who made it and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class AuditEntry(IdMixin, CreatedMixin, Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_kind", "subject_id"),)

    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))  # None: the system
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    subject_kind: Mapped[str] = mapped_column(String(30), nullable=False)
    subject_id: Mapped[int] = mapped_column(BigId, nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
