"""Traffic request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from laotie.kit.types import RefId


class FeedItemOut(BaseModel):
    impression_id: int
    kind: str
    id: int
    position: int
    source: str
    title: str
    owner_id: int
    owner_name: str
    picture: str | None
    official: bool
    url: str  # opening it through here records the click


class WatchIn(BaseModel):
    seconds: Annotated[int, Field(ge=1, le=4 * 3600)]


class WhyOut(BaseModel):
    impression_id: int
    served_at: datetime
    position: int
    source: str
    explanation: str
    components: dict[str, Any]


class OwnerTrafficOut(BaseModel):
    owner_id: int
    since: datetime
    total: int
    by_source: dict[str, int]
    by_day: list[tuple[str, int]]
    trust_multipliers: dict[str, int]
    limits: dict[str, int]
    mean_fairness_boost: float
    cold_start_impressions: int
    official_impressions: int
    notes: list[str]


class FeedSettingsIn(BaseModel):
    gini_target: Annotated[float, Field(gt=0, le=1)] | None = None
    cold_start_days: Annotated[float, Field(ge=0, le=365)] | None = None
    cold_start_share: Annotated[float, Field(ge=0, le=1)] | None = None
    fairness: bool | None = None
    cold_start: bool | None = None
    official_boost: Annotated[float, Field(gt=0, le=10)] | None = None
    ad_positions: Annotated[list[Annotated[int, Field(ge=1, le=50)]], Field(max_length=10)] | None = None


class FeedSettingsOut(BaseModel):
    gini_target: float
    cold_start_days: float
    cold_start_share: float
    fairness: bool
    cold_start: bool
    official_boost: float
    ad_positions: list[int]


class OfficialTagIn(BaseModel):
    item_kind: Literal["video", "host"]
    item_id: RefId
    label: Annotated[str, Field(min_length=1, max_length=40)]
