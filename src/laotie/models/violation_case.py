"""A violation case (违规处罚) against an account: opened, appealable for 7 days, then in force or overturned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class ViolationCase(IdMixin, CreatedMixin, Base):
    __tablename__ = "violation_cases"
    __table_args__ = (
        Index("ix_violation_cases_subject", "subject_id", "created_at"),
        Index("ix_violation_cases_status_deadline", "status", "appeal_deadline"),
    )

    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    shop_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("shops.id"))
    violation_code: Mapped[str] = mapped_column(String(40), ForeignKey("violation_types.code"), nullable=False)
    opened_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))  # None: a detector
    source: Mapped[str] = mapped_column(String(40), nullable=False)  # operator | fraud_ring | chat_abuse | claim
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # notified → (appealed →) in_force | overturned
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="notified")
    points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    measures: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    immediate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    appeal_deadline: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
