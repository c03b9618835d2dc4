"""Live queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import (
    ChatMessage,
    FlashListing,
    GiftSend,
    LiveCartItem,
    LiveMinute,
    LiveSession,
    Product,
    RoomRestriction,
    StreamKey,
    User,
)


async def stream_key_by_hash(s: AsyncSession, key_hash: str) -> StreamKey | None:
    return (await s.execute(select(StreamKey).where(StreamKey.key_hash == key_hash))).scalar_one_or_none()


async def stream_key_of(s: AsyncSession, user_id: int) -> StreamKey | None:
    return (await s.execute(select(StreamKey).where(StreamKey.user_id == user_id))).scalar_one_or_none()


async def current_session(s: AsyncSession, host_id: int, statuses: Sequence[str]) -> LiveSession | None:
    stmt = (select(LiveSession).where(LiveSession.host_id == host_id, LiveSession.status.in_(statuses))
            .order_by(LiveSession.id.desc()).limit(1))
    return (await s.execute(stmt)).scalar_one_or_none()


async def session_by_playback(s: AsyncSession, name: str) -> LiveSession | None:
    return (await s.execute(select(LiveSession).where(LiveSession.playback_name == name))).scalar_one_or_none()


async def sessions(s: AsyncSession, status: str | None, limit: int = 50,
                   host_id: int | None = None) -> Sequence[LiveSession]:
    stmt = select(LiveSession)
    if status:
        stmt = stmt.where(LiveSession.status == status)
    if host_id is not None:
        stmt = stmt.where(LiveSession.host_id == host_id)
    return (await s.execute(stmt.order_by(LiveSession.id.desc()).limit(limit))).scalars().all()


async def cart(s: AsyncSession, session_id: int) -> Sequence[tuple[LiveCartItem, Product]]:
    stmt = (select(LiveCartItem, Product).join(Product, Product.id == LiveCartItem.product_id)
            .where(LiveCartItem.session_id == session_id).order_by(LiveCartItem.position, LiveCartItem.id))
    return [(i, p) for i, p in (await s.execute(stmt)).all()]


async def flashes(s: AsyncSession, session_id: int) -> Sequence[FlashListing]:
    stmt = select(FlashListing).where(FlashListing.session_id == session_id).order_by(FlashListing.id)
    return (await s.execute(stmt)).scalars().all()


async def chat_tail(s: AsyncSession, session_id: int, after_id: int, limit: int
                    ) -> list[tuple[ChatMessage, str | None]]:
    """The latest `limit` visible messages after `after_id`, oldest first, with the author's name."""
    stmt = (select(ChatMessage, User.display_name).outerjoin(User, User.id == ChatMessage.user_id)
            .where(ChatMessage.session_id == session_id, ChatMessage.id > after_id, ChatMessage.hidden.is_(False))
            .order_by(ChatMessage.id.desc()).limit(limit))
    return [(m, name) for m, name in reversed((await s.execute(stmt)).all())]


async def restrictions(s: AsyncSession, host_id: int, user_id: int, kinds: Sequence[str]) -> Sequence[RoomRestriction]:
    stmt = select(RoomRestriction).where(RoomRestriction.host_id == host_id, RoomRestriction.user_id == user_id,
                                         RoomRestriction.kind.in_(kinds)).order_by(RoomRestriction.id)
    return (await s.execute(stmt)).scalars().all()


async def cut_since(s: AsyncSession, host_id: int, since: datetime) -> bool:
    """Did an operator cut one of this host's streams after `since`?"""
    stmt = select(LiveSession.id).where(LiveSession.host_id == host_id, LiveSession.ended_at > since,
                                        LiveSession.end_reason.like("operator_cut%")).limit(1)
    return (await s.execute(stmt)).first() is not None


async def minutes(s: AsyncSession, session_id: int) -> Sequence[LiveMinute]:
    stmt = select(LiveMinute).where(LiveMinute.session_id == session_id).order_by(LiveMinute.minute)
    return (await s.execute(stmt)).scalars().all()


async def existing_session_ids(s: AsyncSession, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    return {int(i) for i in (await s.execute(select(LiveSession.id).where(LiveSession.id.in_(ids)))).scalars()}


async def ended_since(s: AsyncSession, since: datetime) -> list[int]:
    stmt = select(LiveSession.id).where(LiveSession.status == "ended", LiveSession.ended_at >= since)
    return [int(i) for i in (await s.execute(stmt.order_by(LiveSession.id))).scalars()]


async def likes_in_minutes(s: AsyncSession, session_id: int, first_minute: datetime, until: datetime) -> int:
    """Likes in the minute rows that start in [first_minute, until): whole minutes, as flushed so far."""
    stmt = select(func.coalesce(func.sum(LiveMinute.likes), 0)).where(
        LiveMinute.session_id == session_id, LiveMinute.minute >= first_minute, LiveMinute.minute < until)
    return int((await s.execute(stmt)).scalar_one())


async def gift_ranking(s: AsyncSession, session_id: int, limit: int) -> list[tuple[int, str, int]]:
    """The room's top senders by coins (打榜): ties go to whoever reached the sum first."""
    total = func.sum(GiftSend.coins)
    rows = await s.execute(
        select(GiftSend.sender_id, User.display_name, total)
        .join(User, User.id == GiftSend.sender_id)
        .where(GiftSend.session_id == session_id)
        .group_by(GiftSend.sender_id, User.display_name)
        .order_by(total.desc(), func.max(GiftSend.id))
        .limit(limit)
    )
    return [(int(uid), str(name), int(coins)) for uid, name, coins in rows.all()]


async def gift_total(s: AsyncSession, session_id: int) -> int:
    got = await s.execute(select(func.coalesce(func.sum(GiftSend.coins), 0)).where(GiftSend.session_id == session_id))
    return int(got.scalar_one())


async def rooms(s: AsyncSession, status: str, limit: int,
                scheduled_after: datetime | None = None) -> list[tuple[LiveSession, str]]:
    """Sessions in one status with their host's display name.

    Live ones come most recently started first; scheduled ones soonest first, those without a time
    last, and none whose time is before `scheduled_after` (a room that never started goes stale).
    """
    stmt = (select(LiveSession, User.display_name).join(User, User.id == LiveSession.host_id)
            .where(LiveSession.status == status))
    if status == "scheduled":
        if scheduled_after is not None:
            stmt = stmt.where((LiveSession.scheduled_for.is_(None)) | (LiveSession.scheduled_for >= scheduled_after))
        stmt = stmt.order_by(LiveSession.scheduled_for.asc().nulls_last(), LiveSession.id.desc())
    else:
        stmt = stmt.order_by(LiveSession.started_at.desc().nulls_last(), LiveSession.id.desc())
    return [(session, str(name)) for session, name in (await s.execute(stmt.limit(limit))).all()]
