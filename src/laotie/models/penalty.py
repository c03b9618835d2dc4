"""A measure in force (处罚措施): traffic limit, cart suspension, live revoked, listing ban, fee, account ban."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class Penalty(IdMixin, CreatedMixin, Base):
    __tablename__ = "penalties"
    __table_args__ = (Index("ix_penalties_subject_kind", "subject_id", "kind"),)

    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("violation_cases.id"), index=True, nullable=False)
    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    shop_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("shops.id"))
    # warning | traffic_limit | cart_suspension | live_revoked | listing_ban | fee | account_ban
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # percent kept, or fen
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")  # active | lifted
