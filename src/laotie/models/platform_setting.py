"""Settings operators edit at run time (traffic targets, score weights), with who changed them last."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, UTCDateTime


class PlatformSetting(Base):
    __tablename__ = "platform_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=False)
    updated_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
