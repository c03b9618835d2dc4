"""PK contest request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from laotie.kit.types import RefId


class PkIn(BaseModel):
    opponent_session_id: RefId
    metric: Annotated[str, Field(pattern="^(gmv|likes)$")]
    duration_seconds: Annotated[int, Field(ge=60, le=3600)] = 300


class PkOut(BaseModel):
    """A contest's public state: anyone may read it; scores are the latest announced, final once finished."""

    id: int
    status: str
    metric: str
    duration_seconds: int
    challenger_session_id: int
    challenger_host_id: int
    opponent_session_id: int
    opponent_host_id: int
    expires_at: datetime
    started_at: datetime | None
    ends_at: datetime | None
    challenger_score: int
    opponent_score: int
    winner_session_id: int | None  # None once finished means a draw
    end_reason: str | None

