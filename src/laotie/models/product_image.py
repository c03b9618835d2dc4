"""Product images stored under the media folder."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class ProductImage(IdMixin, CreatedMixin, Base):
    __tablename__ = "product_images"

    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True, nullable=False)
    path: Mapped[str] = mapped_column(String(200), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
