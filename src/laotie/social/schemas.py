"""Social request and response models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class FollowOut(BaseModel):
    user_id: int
    following: bool
    fans: int
    bracket: str


class PersonOut(BaseModel):
    id: int
    name: str
    since: datetime


class ProfileOut(BaseModel):
    id: int
    name: str
    fans: int
    following: int
    bracket: str
    viewer_follows: bool
    live_session_id: int | None
    video_ids: list[int]
    shop_id: int | None
    product_ids: list[int]


class NotificationOut(BaseModel):
    id: int
    kind: str
    title: str
    url: str
    created_at: datetime
    read: bool


class InboxOut(BaseModel):
    unread: int
    items: list[NotificationOut]


class FeedLiveOut(BaseModel):
    session_id: int
    host_id: int
    title: str
    started_at: datetime | None


class FeedVideoOut(BaseModel):
    video_id: int
    owner_id: int
    caption: str
    created_at: datetime


class FollowingFeedOut(BaseModel):
    live: list[FeedLiveOut]
    videos: list[FeedVideoOut]
