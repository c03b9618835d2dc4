"""Which handler has handled which event: what makes at-least-once delivery idempotent."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin


class EventDelivery(CreatedMixin, Base):
    __tablename__ = "event_deliveries"

    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("outbox_events.id"), primary_key=True)
    handler: Mapped[str] = mapped_column(String(80), primary_key=True)
