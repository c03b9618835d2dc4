"""The inbox (消息): go-live notices to every follower, unread counts, and the push to open pages.

A host with a million fans goes live: the notices are written by one INSERT … SELECT over
the follow graph, not a million round trips; the push is one message on the hub's
`golive` channel, and each open page's stream keeps the set of accounts its viewer follows
and lets through only theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import publish_after_commit
from laotie.models import Follow, Notification, User, utcnow

GOLIVE_CHANNEL = "golive"


async def notify_followers_live(s: AsyncSession, host_id: int, session_id: int, title: str) -> int:
    """Every follower of the host gets a notice; returns how many. Called once per `live.started`."""
    host = await s.get(User, host_id)
    name = host.display_name if host else "Someone you follow"
    headline = f"{name} is live: {title}"[:200]
    url = f"/live/{session_id}"
    now = utcnow()
    result = await s.execute(insert(Notification).from_select(
        ["user_id", "kind", "title", "url", "created_at"],
        select(Follow.follower_id, literal("live.started"), literal(headline), literal(url), literal(now))
        .where(Follow.followee_id == host_id),
    ))
    await publish_after_commit(s, GOLIVE_CHANNEL, json.dumps(
        {"type": "live", "host_id": host_id, "session_id": session_id, "title": headline, "url": url},
        ensure_ascii=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Inbox:
    items: list[Notification]
    unread: int


async def inbox(s: AsyncSession, user: User, *, before_id: int | None = None, limit: int = 30) -> Inbox:
    q = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()).limit(limit)
    if before_id is not None:
        q = q.where(Notification.id < before_id)
    items = list((await s.execute(q)).scalars().all())
    return Inbox(items, await unread_count(s, user.id))


async def unread_count(s: AsyncSession, user_id: int) -> int:
    got = await s.execute(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None)))
    return int(got.scalar_one())


async def mark_all_read(s: AsyncSession, user: User) -> int:
    done = await s.execute(update(Notification).where(Notification.user_id == user.id,
                                                      Notification.read_at.is_(None)).values(read_at=utcnow()))
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


async def notify(s: AsyncSession, user_id: int, kind: str, title: str, url: str = "",
                 payload: dict[str, object] | None = None) -> Notification:
    """One notice to one account (a penalty, a decision on an appeal or a refund)."""
    n = Notification(user_id=user_id, kind=kind, title=title[:200], url=url, payload=payload)
    s.add(n)
    await s.flush()
    return n
