"""Identity queries. Tokens are stored, and found, by their digest only."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import ApiToken, User, WebSession


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def user_by_username(s: AsyncSession, username: str) -> User | None:
    return (await s.execute(select(User).where(User.username == username))).scalar_one_or_none()


# Every API request runs this: built once, so no statement building or cache-key walk per call.
_USER_BY_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.is_active)
)


_USER_ID_BY_TOKEN = (
    select(User.id)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.is_active)
)


async def user_id_by_token_hash(s: AsyncSession, token_hash: str) -> int | None:
    """The same check as `user_by_token_hash`, as one Core statement: no ORM object is built."""
    conn = await s.connection()
    found = (await conn.execute(_USER_ID_BY_TOKEN, {"token_hash": token_hash})).scalar()
    return None if found is None else int(found)


async def user_by_token_hash(s: AsyncSession, token_hash: str) -> User | None:
    return (await s.execute(_USER_BY_TOKEN, {"token_hash": token_hash})).scalar_one_or_none()


async def user_by_session_hash(s: AsyncSession, token_hash: str, now: datetime) -> User | None:
    stmt = (
        select(User)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_hash == token_hash, WebSession.expires_at > now, User.is_active)
    )
    return (await s.execute(stmt)).scalar_one_or_none()
