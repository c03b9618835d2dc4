"""A suspected fake-order ring (刷单团伙) with its evidence, and the operator's decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class FraudRing(IdMixin, CreatedMixin, Base):
    __tablename__ = "fraud_rings"

    status: Mapped[str] = mapped_column(String(20), nullable=False, default="suspected")  # | confirmed | dismissed
    score: Mapped[float] = mapped_column(Float, nullable=False)
    density: Mapped[float] = mapped_column(Float, nullable=False)
    buyer_ids: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    shop_ids: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    creator_ids: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    order_ids: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    evidence: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    decided_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
