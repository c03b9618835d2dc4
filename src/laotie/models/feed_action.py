"""What a viewer did with a served item (click, watch seconds, order): the log the estimates learn from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, IdMixin, UTCDateTime


class FeedAction(IdMixin, Base):
    __tablename__ = "feed_actions"
    __table_args__ = (Index("ix_feed_actions_item", "item_kind", "item_id"),)

    viewer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    impression_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("impressions.id"))
    item_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    item_id: Mapped[int] = mapped_column(BigId, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # click | watch | order
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1)  # seconds watched, fen ordered
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
