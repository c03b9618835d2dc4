"""A counterfeit claim (假一赔十): the buyer's evidence, the operator's decision, the compensation paid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class CounterfeitClaim(IdMixin, CreatedMixin, Base):
    __tablename__ = "counterfeit_claims"

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), unique=True, nullable=False)
    buyer_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True, nullable=False)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True, nullable=False)
    statement: Mapped[str] = mapped_column(String(2000), nullable=False)
    evidence: Mapped[list[Any] | None] = mapped_column(JSON)  # image paths under the media folder
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="filed")  # filed | upheld | rejected
    decided_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    refunded: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    compensation: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
