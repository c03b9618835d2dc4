"""A creator's contract with an MCN (机构): the MCN's share of what the creator keeps, over a term.

Offered by the MCN, accepted by the creator; at most one active contract per creator (a partial
unique index). `share_bps` is the core's `mcn_bps`: a share of the creator's commission after
the platform's fee. The rules for ending one are in `laotie.alliance.mcn`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

# offered → active | declined | withdrawn; active → ended (term over, both agreed, or an operator).
MCN_CONTRACT_STATUSES = ("offered", "active", "declined", "withdrawn", "ended")


class AllianceMcnContract(IdMixin, CreatedMixin, Base):
    __tablename__ = "alliance_mcn_contracts"
    __table_args__ = (
        CheckConstraint("share_bps >= 0 AND share_bps <= 10000", name="share_within_whole"),
        CheckConstraint("ends_at > starts_at", name="term_not_empty"),
        Index("ix_alliance_mcn_contracts_one_active", "creator_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_alliance_mcn_contracts_mcn_status", "mcn_id", "status"),
        Index("ix_alliance_mcn_contracts_status_ends", "status", "ends_at"),
    )

    mcn_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True, nullable=False)
    share_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="offered")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An early end both sides agree to: the side that asked first, until the other agrees.
    end_requested_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(200))
