"""Stream keys and live sessions: publish authorises and starts, publish-done ends.

nginx-rtmp asks laotie on every publish (`on_publish`). A valid key of an
account allowed to go live starts (or resumes) its session and is answered with
a redirect to the session's public playback name, so HLS never exposes the
secret key. Anything else is refused, and nginx drops the stream.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.catalog.errors import NoShop
from laotie.identity import service as identity
from laotie.identity.auth import require_role
from laotie.kit.events import record_event
from laotie.live import repository
from laotie.live.errors import (
    AlreadyLive,
    LiveNotAllowed,
    LiveSuspended,
    NotYourRoom,
    SessionNotFound,
    UnknownStreamKey,
)
from laotie.models import LiveSession, StreamKey, User, utcnow

HOST_ROLES = ("creator", "merchant")


def key_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def ensure_host(user: User) -> None:
    if not any(user.has_role(r) for r in HOST_ROLES):
        raise LiveNotAllowed("going live needs the creator or merchant role")


async def rotate_stream_key(s: AsyncSession, user: User) -> str:
    """Issue a new secret key; the old one stops working at once."""
    ensure_host(user)
    raw = "lk_" + secrets.token_urlsafe(24)
    existing = await repository.stream_key_of(s, user.id)
    if existing is None:
        s.add(StreamKey(user_id=user.id, key_hash=key_digest(raw)))
    else:
        existing.key_hash = key_digest(raw)
        existing.rotated_at = utcnow()
    await s.flush()
    await record_event(s, "live.key_rotated", {"user_id": user.id})
    return raw


async def suspend_live(s: AsyncSession, operator: User, user_id: int, until: datetime) -> None:
    require_role(operator, "operator")
    await identity.get_user(s, user_id)
    key = await repository.stream_key_of(s, user_id)
    if key is None:
        s.add(StreamKey(user_id=user_id, key_hash=key_digest(secrets.token_urlsafe(24)), suspended_until=until))
    else:
        key.suspended_until = until
    await record_event(s, "live.permission_suspended", {"user_id": user_id, "until": until.isoformat(),
                                                        "by": operator.id})


async def _shop_id(s: AsyncSession, user: User) -> int | None:
    if not user.has_role("merchant"):
        return None
    try:
        return (await catalog.my_shop(s, user)).id
    except NoShop:
        return None


async def schedule_session(s: AsyncSession, host: User, *, title: str, scheduled_for: datetime | None = None,
                           cover: str | None = None) -> LiveSession:
    ensure_host(host)
    if await repository.current_session(s, host.id, ("live",)) is not None:
        raise AlreadyLive("you are live already; end that session first")
    session = LiveSession(host_id=host.id, shop_id=await _shop_id(s, host), title=title, cover=cover,
                          status="scheduled", scheduled_for=scheduled_for,
                          playback_name=secrets.token_hex(8))
    s.add(session)
    await s.flush()
    await record_event(s, "live.scheduled", {"session_id": session.id, "host_id": host.id})
    return session


async def authorize_publish(s: AsyncSession, raw_key: str, cut_cooldown: timedelta = timedelta(0)) -> LiveSession:
    """on_publish: the key's owner goes live in their scheduled session (or a new one)."""
    key = await repository.stream_key_by_hash(s, key_digest(raw_key))
    if key is None:
        raise UnknownStreamKey("unknown or revoked stream key")
    now = utcnow()
    if key.suspended_until is not None and key.suspended_until > now:
        raise LiveSuspended("live permission is suspended")
    host = await s.get(User, key.user_id)
    if host is None or not host.is_active:
        raise UnknownStreamKey("unknown or revoked stream key")
    ensure_host(host)
    if cut_cooldown and await repository.cut_since(s, host.id, now - cut_cooldown):
        raise LiveSuspended("an operator ended your last stream; you can go live again later")
    session = await repository.current_session(s, host.id, ("live", "scheduled"))
    if session is None:
        session = await schedule_session(s, host, title=f"{host.display_name} is live")
    if session.status != "live":
        session.status = "live"
        session.started_at = now
        await record_event(s, "live.started", {"session_id": session.id, "host_id": host.id,
                                               "title": session.title})
    return session


async def publish_done(s: AsyncSession, name: str) -> LiveSession | None:
    """on_publish_done: the encoder stopped; the session ends (nginx may call with either name)."""
    session = await repository.session_by_playback(s, name)
    if session is None:
        key = await repository.stream_key_by_hash(s, key_digest(name))
        session = await repository.current_session(s, key.user_id, ("live",)) if key else None
    if session is None or session.status != "live":
        return session
    await _end(s, session, "publish_done")
    return session


async def _end(s: AsyncSession, session: LiveSession, reason: str) -> None:
    session.status = "ended"
    session.ended_at = utcnow()
    session.end_reason = reason
    await record_event(s, "live.ended", {"session_id": session.id, "host_id": session.host_id, "reason": reason})


async def get_session(s: AsyncSession, session_id: int) -> LiveSession:
    session = await s.get(LiveSession, session_id)
    if session is None:
        raise SessionNotFound("no such live session")
    return session


async def hosted_session(s: AsyncSession, host: User, session_id: int) -> LiveSession:
    session = await get_session(s, session_id)
    if session.host_id != host.id:
        raise NotYourRoom("that is not your live room")
    return session


async def end_session(s: AsyncSession, host: User, session_id: int) -> LiveSession:
    session = await hosted_session(s, host, session_id)
    if session.status != "ended":
        await _end(s, session, "host_ended")
    return session


async def cut_session(s: AsyncSession, operator: User, session_id: int, reason: str) -> LiveSession:
    """An operator ends a live stream at once (an immediate safety measure)."""
    require_role(operator, "operator")
    session = await get_session(s, session_id)
    if session.status != "ended":
        await _end(s, session, f"operator_cut: {reason}"[:40])
    return session


async def live_now(s: AsyncSession, host_ids: Sequence[int]) -> list[LiveSession]:
    """The sessions live right now of these hosts, most recently started first (the following feed's head)."""
    if not host_ids:
        return []
    stmt = (select(LiveSession).where(LiveSession.host_id.in_(list(host_ids)), LiveSession.status == "live")
            .order_by(LiveSession.started_at.desc(), LiveSession.id.desc()))
    return list((await s.execute(stmt)).scalars().all())
