"""PK contests (直播PK): two live rooms race on GMV or likes for a set time; one row is challenge and result."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

PK_METRICS = ("gmv", "likes")
# pending → running → finished; or pending → declined / expired / cancelled; running → cancelled.
PK_STATUSES = ("pending", "running", "finished", "declined", "expired", "cancelled")


class PkContest(IdMixin, CreatedMixin, Base):
    __tablename__ = "pk_contests"
    __table_args__ = (
        Index("ix_pk_contests_status_ends_at", "status", "ends_at"),
        CheckConstraint("challenger_session_id <> opponent_session_id", name="two_rooms"),
        CheckConstraint("duration_seconds > 0", name="duration_positive"),
    )

    challenger_session_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_sessions.id"), index=True,
                                                       nullable=False)
    challenger_host_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    opponent_session_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_sessions.id"), index=True,
                                                     nullable=False)
    opponent_host_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    metric: Mapped[str] = mapped_column(String(10), nullable=False)
    duration_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)  # the challenge, if not accepted
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The latest scores while running (what pk.score last said); the final ones once finished.
    challenger_score: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    opponent_score: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    winner_session_id: Mapped[int | None] = mapped_column(BigId)  # None when finished: a draw
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(String(30))
