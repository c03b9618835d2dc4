"""A creator promoting a library product (带货): added directly, or applied for and decided by the merchant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

PROMOTION_STATUSES = ("applied", "approved", "declined", "removed")


class AlliancePromotion(IdMixin, CreatedMixin, Base):
    __tablename__ = "alliance_promotions"
    __table_args__ = (UniqueConstraint("creator_id", "listing_id"),)

    listing_id: Mapped[int] = mapped_column(BigId, ForeignKey("alliance_listings.id"), index=True, nullable=False)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    # The rate this creator promotes at: the listing's rate when approved; a raise lifts it at
    # once, a cut lowers it when the listing's cut date comes.
    rate_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    # On the creator's showcase (橱窗) — the profile shop of promoted goods.
    in_showcase: Mapped[bool] = mapped_column(default=True, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The group leader (团长) whose sub-library the creator took the product from, if any: their
    # accepted offer's fee is taken from every commission this promotion earns.
    leader_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
