"""One promoted order line's commission (佣金): who sold it and from where, its plan, and what each party stands at.

Amounts per party (creator, group leader, MCN, platform fee): `est_*` when the order was paid,
`cur_*` now (after refunds), `set_*` as settled. Reversed before settlement = est − set (or
est − cur while unsettled); clawed back after = set − cur. All in fen; the ledger holds the money.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

# placed: attributed at checkout, not paid; estimated: paid; settled: paid out to balances;
# void: the order was never paid; forfeited: the order was in a confirmed fake-order ring, and
# everything that stood of the commission went back to the merchant.
COMMISSION_STATUSES = ("placed", "estimated", "settled", "void", "forfeited")
ATTRIBUTION_SOURCES = ("live", "video", "showcase", "share", "external")


class CommissionLine(IdMixin, CreatedMixin, Base):
    __tablename__ = "commission_lines"
    __table_args__ = (
        Index("ix_commission_lines_status_due", "status", "settle_after"),
        Index("ix_commission_lines_promoter_created", "promoter_id", "created_at"),
        # A group leader's and an MCN's views of their creators' sales.
        Index("ix_commission_lines_leader_promoter", "leader_id", "promoter_id"),
        Index("ix_commission_lines_mcn_promoter", "mcn_id", "promoter_id"),
    )

    order_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("order_lines.id"), unique=True, nullable=False)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), index=True, nullable=False)
    listing_id: Mapped[int] = mapped_column(BigId, ForeignKey("alliance_listings.id"), index=True, nullable=False)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), nullable=False)
    promoter_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    leader_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    mcn_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(12), nullable=False)
    source_id: Mapped[int | None] = mapped_column(BigId)
    # The plan as it was at checkout.
    rate_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    leader_bps: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    mcn_bps: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    fee_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    base: Mapped[int] = mapped_column(BigInteger, nullable=False)
    refunded: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="estimated")
    est_creator: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    est_leader: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    est_mcn: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    est_platform: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    cur_creator: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    cur_leader: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    cur_mcn: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    cur_platform: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    set_creator: Mapped[int | None] = mapped_column(BigInteger)
    set_leader: Mapped[int | None] = mapped_column(BigInteger)
    set_mcn: Mapped[int | None] = mapped_column(BigInteger)
    set_platform: Mapped[int | None] = mapped_column(BigInteger)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settle_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
