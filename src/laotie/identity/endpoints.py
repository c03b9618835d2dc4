"""Identity API: register, log in for a token, who am I, roles."""

from __future__ import annotations

from fastapi import APIRouter, Request

from laotie.identity import service
from laotie.identity.auth import CurrentUser
from laotie.identity.schemas import LoginIn, RegisterIn, RoleIn, TokenOut, UserOut, user_out
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId

router = APIRouter(prefix="/api/v1", tags=["identity"])


@router.post("/auth/register", status_code=201)
async def register(body: RegisterIn, request: Request, s: Session) -> TokenOut:
    settings = get_db(request).settings
    user = await service.register_user(
        s, settings, username=body.username, password=body.password,
        display_name=body.display_name, roles=set(body.roles),
    )
    token = await service.issue_api_token(s, user)
    return TokenOut(token=token, user=user_out(user))


@router.post("/auth/tokens", status_code=201)
async def login(body: LoginIn, request: Request, s: Session) -> TokenOut:
    user = await service.authenticate(s, get_db(request).settings, body.username, body.password)
    token = await service.issue_api_token(s, user)
    return TokenOut(token=token, user=user_out(user))


@router.delete("/auth/tokens/current", status_code=204)
async def logout(request: Request, user: CurrentUser, s: Session) -> None:
    raw = request.headers["authorization"].partition(" ")[2].strip()
    await service.revoke_api_token(s, raw)


@router.get("/me")
async def me(user: CurrentUser) -> UserOut:
    return user_out(user)


@router.post("/me/roles")
async def take_role(body: RoleIn, user: CurrentUser, s: Session) -> UserOut:
    return user_out(await service.add_own_role(s, user, body.role))


@router.post("/users/{user_id}/roles")
async def grant(user_id: PathId, body: RoleIn, user: CurrentUser, s: Session) -> UserOut:
    return user_out(await service.grant_role(s, user, user_id, body.role))
