"""Lucky bags (福袋): a prize drawn among viewers who met a condition, with a seed anyone can re-run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

# "follow" is reserved for when follows exist; the draw asks one resolver per condition.
LUCKY_BAG_CONDITIONS = ("comment", "watch", "follow")
LUCKY_BAG_STATUSES = ("open", "drawn")


class LuckyBag(IdMixin, CreatedMixin, Base):
    __tablename__ = "lucky_bags"
    __table_args__ = (
        Index("ix_lucky_bags_status_ends_at", "status", "ends_at"),
        CheckConstraint("prizes > 0", name="prizes_positive"),
        CheckConstraint("returned >= 0 AND returned <= prizes", name="returned_within_prizes"),
    )

    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_sessions.id"), index=True, nullable=False)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), nullable=False)
    sku_id: Mapped[int] = mapped_column(BigId, ForeignKey("skus.id"), nullable=False)
    prizes: Mapped[int] = mapped_column(Integer, nullable=False)  # winners, one unit each
    condition: Mapped[str] = mapped_column(String(20), nullable=False)
    keyword: Mapped[str | None] = mapped_column(String(40))
    watch_minutes: Mapped[int | None] = mapped_column(Integer)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    # The draw's record: random.Random(seed).sample(entrants, min(prizes, len(entrants))) == winners.
    seed: Mapped[str | None] = mapped_column(String(64))
    entrants: Mapped[list[int] | None] = mapped_column(JSON)
    winners: Mapped[list[int] | None] = mapped_column(JSON)
    prize_order_ids: Mapped[list[int] | None] = mapped_column(JSON)
    returned: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # units back to the SKU
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
