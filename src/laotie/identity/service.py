"""Identity rules: registration, credentials, sessions, tokens, roles."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.identity import repository, token_cache
from laotie.identity.caller import Caller
from laotie.identity.errors import (
    InvalidCredentials,
    RoleNotSelfServe,
    RoleRequired,
    UsernameTaken,
    UserNotFound,
    unknown_token,
)
from laotie.identity.repository import token_digest
from laotie.kit.errors import NotFound
from laotie.kit.events import record_event
from laotie.models import ROLES, ApiToken, User, WebSession, utcnow

SELF_SERVE_ROLES = frozenset({"consumer", "creator", "merchant"})


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


async def hash_password(settings: Settings, password: str) -> str:
    # argon2 is deliberately slow; keep it off the event loop.
    return await asyncio.to_thread(hasher(settings).hash, password)


def _normalise_roles(roles: set[str] | frozenset[str]) -> str:
    return ",".join(r for r in ROLES if r in roles)


async def register_user(
    s: AsyncSession,
    settings: Settings,
    *,
    username: str,
    password: str,
    display_name: str | None = None,
    roles: set[str] | frozenset[str] = frozenset({"consumer"}),
    self_serve: bool = True,
    password_hash: str | None = None,
) -> User:
    """Create an account. Self-registration may take consumer, creator and merchant only."""
    roles = set(roles) | {"consumer"}
    if self_serve and not roles <= SELF_SERVE_ROLES:
        raise RoleNotSelfServe(
            "provider and operator roles are granted by an operator", field="roles"
        )
    username = username.strip().lower()
    if await repository.user_by_username(s, username) is not None:
        raise UsernameTaken("that username is taken", field="username")
    user = User(
        username=username,
        display_name=(display_name or username).strip(),
        password_hash=password_hash or await hash_password(settings, password),
        roles=_normalise_roles(roles),
    )
    s.add(user)
    try:
        async with s.begin_nested():
            await s.flush()
    except IntegrityError as exc:  # lost a race for the same username
        raise UsernameTaken("that username is taken", field="username") from exc
    await record_event(s, "user.registered", {"user_id": user.id, "roles": user.roles})
    return user


async def authenticate(s: AsyncSession, settings: Settings, username: str, password: str) -> User:
    user = await repository.user_by_username(s, username.strip().lower())
    if user is None or not user.is_active:
        # Spend the same time as a real check so usernames cannot be probed by timing.
        await asyncio.to_thread(_verify_dummy, settings, password)
        raise InvalidCredentials("wrong username or password")
    try:
        await asyncio.to_thread(hasher(settings).verify, user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise InvalidCredentials("wrong username or password") from exc
    return user


_DUMMY: dict[tuple[int, int], str] = {}


def _verify_dummy(settings: Settings, password: str) -> None:
    h = hasher(settings)
    key = (settings.argon2_time_cost, settings.argon2_memory_kib)
    if key not in _DUMMY:
        _DUMMY[key] = h.hash("not-a-password")
    with contextlib.suppress(VerificationError):
        h.verify(_DUMMY[key], password)


async def issue_api_token(s: AsyncSession, user: User, name: str = "api") -> str:
    raw = "lt_" + secrets.token_urlsafe(32)
    s.add(ApiToken(user_id=user.id, token_hash=token_digest(raw), name=name))
    await s.flush()
    return raw


async def revoke_api_token(s: AsyncSession, raw: str) -> None:
    token_cache.forget(raw)
    await s.execute(
        update(ApiToken).where(ApiToken.token_hash == token_digest(raw)).values(revoked_at=utcnow())
    )


async def user_for_token(s: AsyncSession, raw: str) -> User | None:
    return await repository.user_by_token_hash(s, token_digest(raw))


async def caller_for_token(s: AsyncSession, raw: str) -> Caller:
    """The caller of a hot API path, by id only; refused as `api_user` refuses."""
    user_id = await repository.user_id_by_token_hash(s, token_digest(raw))
    if user_id is None:
        raise unknown_token()
    return Caller(user_id)


async def start_web_session(s: AsyncSession, settings: Settings, user: User) -> str:
    raw = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=settings.session_days)
    s.add(WebSession(user_id=user.id, token_hash=token_digest(raw), expires_at=expires))
    await s.flush()
    return raw


async def end_web_session(s: AsyncSession, raw: str) -> None:
    await s.execute(delete(WebSession).where(WebSession.token_hash == token_digest(raw)))


async def user_for_web_session(s: AsyncSession, raw: str) -> User | None:
    return await repository.user_by_session_hash(s, token_digest(raw), utcnow())


async def get_user(s: AsyncSession, user_id: int) -> User:
    """The account with this id, for services that act on one named in a request; 404 when there is none."""
    user = await s.get(User, user_id)
    if user is None:
        raise UserNotFound("no such user", field="user_id")
    return user


async def grant_role(s: AsyncSession, actor: User, user_id: int, role: str) -> User:
    """Operators grant any role; used for provider and operator accounts."""
    if not actor.has_role("operator"):
        raise RoleRequired("only operators grant roles")
    if role not in ROLES:
        raise NotFound(f"no role {role!r}", field="role")
    user = await get_user(s, user_id)
    user.roles = _normalise_roles(user.role_set | {role})
    await record_event(s, "user.role_granted", {"user_id": user.id, "role": role, "by": actor.id})
    return user


async def add_own_role(s: AsyncSession, user: User, role: str) -> User:
    """A consumer may become a creator or merchant on their own."""
    if role not in SELF_SERVE_ROLES:
        raise RoleNotSelfServe("provider and operator roles are granted by an operator", field="role")
    user.roles = _normalise_roles(user.role_set | {role})
    return user
