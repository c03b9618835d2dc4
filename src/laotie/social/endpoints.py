"""HTTP for the social graph: follows, fans, the inbox, profiles and the following feed."""

from __future__ import annotations

from fastapi import APIRouter, Query

from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session
from laotie.kit.types import MAX_ID, Instant, PathId
from laotie.social.follows import service as follows
from laotie.social.inbox import service as inbox
from laotie.social.schemas import (
    FeedLiveOut,
    FeedVideoOut,
    FollowingFeedOut,
    FollowOut,
    InboxOut,
    NotificationOut,
    PersonOut,
    ProfileOut,
)
from laotie.social.service import following_feed, profiles

router = APIRouter(prefix="/api/v1", tags=["social"])


async def _follow_out(s: Session, user_id: int, following: bool) -> FollowOut:
    counts = await follows.counts(s, user_id)
    return FollowOut(user_id=user_id, following=following, fans=counts.fans, bracket=counts.bracket)


@router.post("/users/{user_id}/follow")
async def follow(user_id: PathId, user: CurrentUser, s: Session) -> FollowOut:
    """Following twice is the same as once."""
    await follows.follow(s, user, user_id)
    return await _follow_out(s, user_id, True)


@router.delete("/users/{user_id}/follow")
async def unfollow(user_id: PathId, user: CurrentUser, s: Session) -> FollowOut:
    await follows.unfollow(s, user, user_id)
    return await _follow_out(s, user_id, False)


@router.get("/users/{user_id}/fans")
async def fans(user_id: PathId, s: Session, before: Instant | None = None,
               limit: int = Query(50, ge=1, le=200)) -> list[PersonOut]:
    """Newest fans first; pass the last `since` as `before` for the next page."""
    return [PersonOut(id=p.id, name=p.name, since=p.since)
            for p in await follows.fans(s, user_id, before=before, limit=limit)]


@router.get("/users/{user_id}/following")
async def following(user_id: PathId, s: Session, limit: int = Query(200, ge=1, le=1000)) -> list[PersonOut]:
    return [PersonOut(id=p.id, name=p.name, since=p.since) for p in await follows.following(s, user_id, limit=limit)]


@router.get("/users/{user_id}/profile")
async def profile(user_id: PathId, s: Session) -> ProfileOut:
    view = await profiles.profile_view(s, user_id, None)
    return ProfileOut(id=view.user.id, name=view.user.display_name, fans=view.counts.fans,
                      following=view.counts.following, bracket=view.counts.bracket, viewer_follows=False,
                      live_session_id=view.live.id if view.live else None, video_ids=[v.id for v in view.videos],
                      shop_id=view.shop.id if view.shop else None, product_ids=[p.id for p, _ in view.products])


@router.get("/me/inbox")
async def my_inbox(user: CurrentUser, s: Session, before_id: int | None = Query(None, ge=1, le=MAX_ID),
                   limit: int = Query(30, ge=1, le=100)) -> InboxOut:
    got = await inbox.inbox(s, user, before_id=before_id, limit=limit)
    return InboxOut(unread=got.unread, items=[
        NotificationOut(id=n.id, kind=n.kind, title=n.title, url=n.url, created_at=n.created_at,
                        read=n.read_at is not None) for n in got.items])


@router.post("/me/inbox/read", status_code=204)
async def read_inbox(user: CurrentUser, s: Session) -> None:
    await inbox.mark_all_read(s, user)


@router.get("/feed/following")
async def feed_following(user: CurrentUser, s: Session) -> FollowingFeedOut:
    feed = await following_feed.following_feed(s, user)
    return FollowingFeedOut(
        live=[FeedLiveOut(session_id=x.id, host_id=x.host_id, title=x.title, started_at=x.started_at)
              for x in feed.live],
        videos=[FeedVideoOut(video_id=v.id, owner_id=v.owner_id, caption=v.caption, created_at=v.created_at)
                for v in feed.videos])
