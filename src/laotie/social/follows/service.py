"""Follows (关注), fan counts and follower brackets: the private-domain graph.

Counts live in `social_counts` and move by atomic increments in the same transaction as
the follow row, so a profile never counts rows and a double tap never counts twice (the
row insert is ON CONFLICT DO NOTHING and only a real insert moves the counts). The two
counters are updated in user-id order, so two people following each other at the same
moment never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import dialect_insert
from laotie.kit.events import record_event
from laotie.models import Follow, SocialCount, User, utcnow
from laotie.social.errors import CannotFollowSelf, UserNotFound

# Follower brackets (粉丝量级) as Kuaishou reports them; lower bounds, in order.
BRACKETS: tuple[tuple[int, str], ...] = (
    (0, "<10k"), (10_000, "10k–100k"), (100_000, "100k–1M"), (1_000_000, "1M–5M"),
    (5_000_000, "5M–10M"), (10_000_000, "≥10M"),
)


def bracket(fans: int) -> str:
    label = BRACKETS[0][1]
    for floor, name in BRACKETS:
        if fans >= floor:
            label = name
    return label


@dataclass(frozen=True)
class Counts:
    fans: int
    following: int

    @property
    def bracket(self) -> str:
        return bracket(self.fans)


async def _active_user(s: AsyncSession, user_id: int) -> User:
    user = await s.get(User, user_id)
    if user is None or not user.is_active:
        raise UserNotFound("no such account", field="user_id")
    return user


async def _bump(s: AsyncSession, follower_id: int, followee_id: int, delta: int) -> None:
    changes = {follower_id: ("following", delta), followee_id: ("fans", delta)}
    for user_id in sorted(changes):
        column, step = changes[user_id]
        if step > 0:
            await s.execute(
                dialect_insert(s, SocialCount).values({"user_id": user_id, "fans": 0, "following": 0, column: step})
                .on_conflict_do_update(index_elements=[SocialCount.user_id],
                                       set_={column: getattr(SocialCount, column) + step})
            )
        else:
            await s.execute(update(SocialCount).where(SocialCount.user_id == user_id)
                            .values({column: getattr(SocialCount, column) + step}))


async def follow(s: AsyncSession, follower: User, followee_id: int) -> bool:
    """Follow an account; True if this is new (following twice changes nothing)."""
    if followee_id == follower.id:
        raise CannotFollowSelf("you cannot follow yourself", field="user_id")
    await _active_user(s, followee_id)
    now = utcnow()
    inserted = await s.execute(
        dialect_insert(s, Follow).values(follower_id=follower.id, followee_id=followee_id, created_at=now)
        .on_conflict_do_nothing().returning(Follow.follower_id)
    )
    if inserted.first() is None:
        return False
    await _bump(s, follower.id, followee_id, +1)
    await record_event(s, "user.followed", {"follower_id": follower.id, "followee_id": followee_id})
    return True


async def unfollow(s: AsyncSession, follower: User, followee_id: int) -> bool:
    gone = await s.execute(delete(Follow).where(Follow.follower_id == follower.id, Follow.followee_id == followee_id)
                           .returning(Follow.follower_id))
    if gone.first() is None:
        if await s.get(User, followee_id) is None:  # unfollowing twice is fine; a made-up account is not
            raise UserNotFound("no such account", field="user_id")
        return False
    await _bump(s, follower.id, followee_id, -1)
    await record_event(s, "user.unfollowed", {"follower_id": follower.id, "followee_id": followee_id})
    return True


async def is_following(s: AsyncSession, follower_id: int, followee_id: int) -> bool:
    got = await s.execute(select(Follow.created_at).where(Follow.follower_id == follower_id,
                                                          Follow.followee_id == followee_id))
    return got.first() is not None


async def counts(s: AsyncSession, user_id: int) -> Counts:
    row = (await s.execute(select(SocialCount.fans, SocialCount.following)
                           .where(SocialCount.user_id == user_id))).first()
    return Counts(int(row[0]), int(row[1])) if row else Counts(0, 0)


async def counts_of(s: AsyncSession, user_ids: Sequence[int]) -> dict[int, Counts]:
    if not user_ids:
        return {}
    rows = await s.execute(select(SocialCount.user_id, SocialCount.fans, SocialCount.following)
                           .where(SocialCount.user_id.in_(list(user_ids))))
    got = {int(uid): Counts(int(f), int(g)) for uid, f, g in rows.all()}
    return {uid: got.get(uid, Counts(0, 0)) for uid in user_ids}


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    since: datetime


async def fans(s: AsyncSession, user_id: int, *, before: datetime | None = None, limit: int = 50) -> list[Person]:
    """Newest followers first; `before` pages by follow time (a cursor, not an offset, for big fan lists)."""
    await _active_user(s, user_id)
    q = (select(User.id, User.display_name, Follow.created_at).join(User, User.id == Follow.follower_id)
         .where(Follow.followee_id == user_id).order_by(Follow.created_at.desc(), Follow.follower_id.desc())
         .limit(limit))
    if before is not None:
        q = q.where(Follow.created_at < before)
    return [Person(int(i), str(n), t) for i, n, t in (await s.execute(q)).all()]


async def following(s: AsyncSession, user_id: int, *, limit: int = 200) -> list[Person]:
    await _active_user(s, user_id)
    q = (select(User.id, User.display_name, Follow.created_at).join(User, User.id == Follow.followee_id)
         .where(Follow.follower_id == user_id).order_by(Follow.created_at.desc()).limit(limit))
    return [Person(int(i), str(n), t) for i, n, t in (await s.execute(q)).all()]


async def following_ids(s: AsyncSession, user_id: int, limit: int = 5000) -> list[int]:
    q = select(Follow.followee_id).where(Follow.follower_id == user_id).limit(limit)
    return [int(x) for x in (await s.execute(q)).scalars().all()]


async def followers_among(s: AsyncSession, followee_id: int, user_ids: Sequence[int]) -> list[int]:
    """Which of `user_ids` follow `followee_id` now (a lucky bag's "follow" condition asks this)."""
    found: list[int] = []
    ids = sorted(set(user_ids))
    for i in range(0, len(ids), 500):  # bounded IN lists
        q = select(Follow.follower_id).where(Follow.followee_id == followee_id,
                                             Follow.follower_id.in_(ids[i:i + 500]))
        found += [int(x) for x in (await s.execute(q)).scalars().all()]
    return sorted(found)
