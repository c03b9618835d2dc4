"""A product in the alliance's selection library (选品库): the commission plan its merchant offers creators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

LISTING_STATUSES = ("active", "paused", "withdrawn")
_FILTERS = ("price", "rate_bps", "sales_30d", "band", "reliable", "category_id")


def _but(column: str) -> tuple[str, ...]:
    return tuple(c for c in _FILTERS if c != column)


class AllianceListing(IdMixin, CreatedMixin, Base):
    __tablename__ = "alliance_listings"
    # The library is searched by creators all day: each sort order walks its own index and stops
    # after a page, instead of joining and sorting every listing.
    __table_args__ = (
        # Each also carries the filter columns, so walking it checks the filters without reading rows.
        Index("ix_alliance_listings_status_rate", "status", "rate_bps", "id", *_but("rate_bps")),
        Index("ix_alliance_listings_status_earnings", "status", "sort_earnings", "id", *_FILTERS),
        Index("ix_alliance_listings_status_sales", "status", "sales_30d", "id", *_but("sales_30d")),
        Index("ix_alliance_listings_status_price", "status", "price", "id", *_but("price")),
        Index("ix_alliance_listings_status_id", "status", "id", *_FILTERS),
        CheckConstraint("rate_bps >= 0 AND rate_bps <= 10000", name="rate_within_whole"),
    )

    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), unique=True, nullable=False)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True, nullable=False)
    category_id: Mapped[int] = mapped_column(BigId, ForeignKey("categories.id"), index=True, nullable=False)
    # The rate new promoters get, in basis points of what the buyer paid for the line.
    rate_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    # A cut reaches creators already promoting only from `rate_cut_at` (30 days after the cut);
    # until then they keep `previous_rate_bps`.
    previous_rate_bps: Mapped[int | None] = mapped_column(Integer)
    rate_cut_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    needs_approval: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    exclusive_creator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    exclusive_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Sample policy (寄样门槛): a creator qualifies with at least these 30-day sales (fen) and fans.
    sample_min_sales: Mapped[int] = mapped_column(BigId, nullable=False, default=0)
    sample_min_fans: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="active")
    paused_reason: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kept in step with the product and the shop (`listings.refresh_library`, and on every change
    # of the listing), so the library filters and sorts within this table: the product's lowest
    # price, units sold over 30 days, price × rate (what orders earn), the shop's score band and
    # whether the product carries the reliable-goods label (靠谱好货).
    price: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    sales_30d: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sort_earnings: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    band: Mapped[str | None] = mapped_column(String(8))
    reliable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
