"""Who is calling: bearer tokens for the API, and role checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from laotie.identity import service
from laotie.identity.caller import bearer_token
from laotie.identity.errors import RoleRequired, unknown_token
from laotie.kit.http import Session
from laotie.models import User


async def api_user(request: Request, s: Session) -> User:
    user = await service.user_for_token(s, bearer_token(request.headers.get("authorization")))
    if user is None:
        raise unknown_token()
    return user


CurrentUser = Annotated[User, Depends(api_user)]


def require_role(user: User, role: str) -> None:
    if not user.has_role(role):
        raise RoleRequired(f"this needs the {role} role")
