"""Live session request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from laotie.kit.types import Instant, Name


class StreamKeyOut(BaseModel):
    stream_key: str
    rtmp_url: str
    note: str = "Keep the key secret. Rotating it makes the old one stop working at once."


class SessionIn(BaseModel):
    title: Name
    scheduled_for: Instant | None = None


class SessionOut(BaseModel):
    id: int
    host_id: int
    shop_id: int | None
    title: str
    status: str
    playback_url: str
    scheduled_for: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    pinned_product_id: int | None
    cart_product_ids: list[int] = Field(default_factory=list)


class CutIn(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=30)]


class SuspendIn(BaseModel):
    until: Instant

