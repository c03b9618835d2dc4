"""A video's product cart (视频页购物车): products shown under the video, in order."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId


class VideoProduct(Base):
    __tablename__ = "video_products"

    video_id: Mapped[int] = mapped_column(BigId, ForeignKey("videos.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
