"""An external sales channel (Taobao, JD, …) registered by operators, with the secret its postbacks are signed with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime

CHANNEL_STATUSES = ("active", "disabled")


class AllianceChannel(IdMixin, CreatedMixin, Base):
    __tablename__ = "alliance_channels"

    # The channel's short name in postback URLs (/postbacks/{code}); a product's `external_channel`
    # names it by code or by display name, in any case.
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    # The HMAC-SHA256 key the channel signs its postbacks with: a shared secret both sides
    # must hold, so it is kept as given (a hash could not check a signature).
    secret: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    registered_by: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    secret_set_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
