"""Identity request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from laotie.kit.types import Name, NoNul
from laotie.models import User

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,40}$")]
Password = Annotated[str, Field(min_length=8, max_length=200)]
SelfRole = Literal["consumer", "creator", "merchant"]


class RegisterIn(BaseModel):
    username: Username
    password: Password
    display_name: Name | None = None
    roles: list[SelfRole] = Field(default=["consumer"], max_length=3)


class LoginIn(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=40), NoNul]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]


class TokenOut(BaseModel):
    token: str
    user: UserOut


class RoleIn(BaseModel):
    role: Literal["consumer", "creator", "merchant", "provider", "operator"]


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, username=user.username, display_name=user.display_name,
                   roles=sorted(user.role_set))
