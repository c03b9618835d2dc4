"""A group leader's (团长) offer to bring creators to a library product for a share of its commission.

The leader proposes a fee (basis points OF THE COMMISSION, 0–9000); the merchant accepts or
declines. An accepted offer puts the product in the leader's sub-library, and creators who take
it from there pay the leader that share of every commission (`SharePlan.leader_bps`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

# proposed → accepted | declined; proposed or accepted → ended (by the leader or the merchant).
LEADER_OFFER_STATUSES = ("proposed", "accepted", "declined", "ended")


class AllianceLeaderOffer(IdMixin, CreatedMixin, Base):
    __tablename__ = "alliance_leader_offers"
    __table_args__ = (
        UniqueConstraint("leader_id", "listing_id"),
        CheckConstraint("fee_bps >= 0 AND fee_bps <= 9000", name="fee_within_range"),
    )

    listing_id: Mapped[int] = mapped_column(BigId, ForeignKey("alliance_listings.id"), index=True, nullable=False)
    leader_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    # The listing's shop, kept here so a merchant's inbox of offers is one indexed lookup.
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True, nullable=False)
    fee_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="proposed")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
