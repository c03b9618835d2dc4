"""Profiles (个人页): who someone is, their fans, whether they are live, their videos and their shop (个人页小店).

A Buy button on the profile shop starts checkout with the source `profile:<user id>`, so
the profile is counted as an entry point beside the live cart and the video cart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.live.service import sessions
from laotie.models import LiveSession, Product, Shop, Sku, User, Video
from laotie.social.errors import UserNotFound
from laotie.social.follows import service as follows


@dataclass
class ProfileView:
    user: User
    counts: follows.Counts
    viewer_follows: bool
    live: LiveSession | None
    videos: Sequence[Video]
    shop: Shop | None
    products: list[tuple[Product, Sku | None]]

    @property
    def source(self) -> str:
        return f"profile:{self.user.id}"


async def recent_videos(s: AsyncSession, owner_ids: Sequence[int], limit: int) -> Sequence[Video]:
    if not owner_ids:
        return []
    q = (select(Video).where(Video.owner_id.in_(list(owner_ids)), Video.status == "published")
         .order_by(Video.created_at.desc(), Video.id.desc()).limit(limit))
    return (await s.execute(q)).scalars().all()


async def profile_view(s: AsyncSession, user_id: int, viewer: User | None) -> ProfileView:
    user = await s.get(User, user_id)
    if user is None or not user.is_active:
        raise UserNotFound("no such account")
    shop = await catalog.shop_of_owner(s, user.id)
    return ProfileView(
        user=user,
        counts=await follows.counts(s, user.id),
        viewer_follows=viewer is not None and await follows.is_following(s, viewer.id, user.id),
        live=next(iter(await sessions.live_now(s, [user.id])), None),
        videos=await recent_videos(s, [user.id], 30),
        shop=shop,
        products=await catalog.showcase(s, shop.id) if shop is not None else [],
    )
