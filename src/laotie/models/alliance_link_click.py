"""A click on a creator's tracking link to a product sold on an external channel (站外链接点击)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class AllianceLinkClick(IdMixin, CreatedMixin, Base):
    __tablename__ = "alliance_link_clicks"
    __table_args__ = (Index("ix_alliance_link_clicks_creator_created", "creator_id", "created_at"),)

    channel_id: Mapped[int] = mapped_column(BigId, ForeignKey("alliance_channels.id"), nullable=False)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), nullable=False)
    listing_id: Mapped[int] = mapped_column(BigId, ForeignKey("alliance_listings.id"), nullable=False)
