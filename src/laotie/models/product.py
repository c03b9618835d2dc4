"""Products: sold in-platform through SKUs, or linked out to an external channel."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class Product(IdMixin, CreatedMixin, Base):
    __tablename__ = "products"
    __table_args__ = (Index("ix_products_status_category", "status", "category_id"),)

    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True, nullable=False)
    category_id: Mapped[int] = mapped_column(BigId, ForeignKey("categories.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    external_channel: Mapped[str | None] = mapped_column(String(40))
    external_url: Mapped[str | None] = mapped_column(String(500))
    # Kept by the catalog's event handlers so lists can sort without aggregating orders.
    min_price: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sold_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    cover_image: Mapped[str | None] = mapped_column(String(200))

    @property
    def is_external(self) -> bool:
        return self.external_url is not None
