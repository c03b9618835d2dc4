"""Who calls the API: the bearer token of a request, and the caller as hot paths know it (an id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from laotie.identity.errors import NotAuthenticated


class Identified(Protocol):
    """Anything with a user id: a `User`, or a `Caller` where loading the user would be waste."""

    @property
    def id(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller of a hot path, known by id only (no ORM object is loaded for it)."""

    id: int


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header, or the API's refusal."""
    scheme, _, raw = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise NotAuthenticated("send 'Authorization: Bearer <token>'")
    return raw.strip()
