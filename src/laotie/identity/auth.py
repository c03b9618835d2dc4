"""Who is calling: bearer tokens for the API, and role checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from laotie.identity import service
from laotie.identity.errors import NotAuthenticated, RoleRequired
from laotie.kit.http import Session
from laotie.models import User


async def api_user(request: Request, s: Session) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw:
        raise NotAuthenticated("send 'Authorization: Bearer <token>'")
    user = await service.user_for_token(s, raw.strip())
    if user is None:
        raise NotAuthenticated("unknown or revoked token")
    return user


CurrentUser = Annotated[User, Depends(api_user)]


def require_role(user: User, role: str) -> None:
    if not user.has_role(role):
        raise RoleRequired(f"this needs the {role} role")
