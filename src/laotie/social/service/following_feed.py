"""The following feed (关注页, private domain): followed hosts live now first, then their newest videos."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.live.service import sessions
from laotie.models import LiveSession, User, Video, utcnow
from laotie.social.follows import service as follows
from laotie.social.service import profiles
from laotie.traffic.service.feed import log_following


@dataclass
class FollowingFeed:
    live: list[LiveSession]
    videos: Sequence[Video]
    names: dict[int, str]


async def following_feed(s: AsyncSession, viewer: User, *, videos: int = 30) -> FollowingFeed:
    followed = await follows.following(s, viewer.id, limit=5000)
    ids = [p.id for p in followed]
    feed = FollowingFeed(live=await sessions.live_now(s, ids), videos=await profiles.recent_videos(s, ids, videos),
                         names={p.id: p.name for p in followed})
    # Logged like the discovery feed, so a creator's traffic report shows what following brought.
    await log_following(s, viewer.id, [(("live", x.id), x.host_id) for x in feed.live]
                        + [(("video", v.id), v.owner_id) for v in feed.videos], utcnow())
    return feed
