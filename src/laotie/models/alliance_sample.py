"""A sample (寄样) of a library product sent to a creator, who must promote it in time or it lapses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

# requested → approved → shipped → fulfilled (promoted in time) or lapsed (not);
# requested → declined. Requested, approved and shipped are open.
SAMPLE_STATUSES = ("requested", "approved", "declined", "shipped", "fulfilled", "lapsed")
OPEN_SAMPLE_STATUSES = ("requested", "approved", "shipped")
PROMOTION_KINDS = ("live", "video", "sale")


class AllianceSample(IdMixin, CreatedMixin, Base):
    __tablename__ = "alliance_samples"
    __table_args__ = (
        # One open sample per creator and listing: `open_listing_id` is the listing while the sample
        # is open and NULL after, and NULLs never collide.
        UniqueConstraint("creator_id", "open_listing_id"),
        Index("ix_alliance_samples_creator_status", "creator_id", "status"),
        Index("ix_alliance_samples_shop_status", "shop_id", "status"),
        Index("ix_alliance_samples_status_due", "status", "promote_by"),
    )

    listing_id: Mapped[int] = mapped_column(BigId, ForeignKey("alliance_listings.id"), nullable=False)
    open_listing_id: Mapped[int | None] = mapped_column(BigId)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), nullable=False)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), nullable=False)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="requested")
    recipient: Mapped[str] = mapped_column(String(120), nullable=False)
    phone: Mapped[str] = mapped_column(String(24), nullable=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(String(200))
    carrier: Mapped[str | None] = mapped_column(String(40))
    tracking_no: Mapped[str | None] = mapped_column(String(60))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    promote_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_by: Mapped[str | None] = mapped_column(String(12))
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
