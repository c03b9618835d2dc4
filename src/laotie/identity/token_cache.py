"""A short-lived, per-process cache of bearer token → user id, for hot paths that need no more.

The flash-sale gate only needs to know who is buying; looking that up in the database for
every tap of "上车" would put the database back in front of Redis. Entries live a few
seconds, so a revoked token stops working on these paths within that time (everywhere else
at once); a revoked token's entry is also dropped immediately in the process that revoked it.
"""

from __future__ import annotations

import time

from laotie.identity import repository
from laotie.identity.caller import bearer_token
from laotie.identity.errors import unknown_token
from laotie.kit.db import Database

TTL_SECONDS = 5.0
_cache: dict[str, tuple[int, float]] = {}


def forget(raw: str) -> None:
    _cache.pop(repository.token_digest(raw), None)


async def user_id_for(db: Database, authorization: str) -> int:
    digest = repository.token_digest(bearer_token(authorization))
    hit = _cache.get(digest)
    now = time.monotonic()
    if hit is not None and hit[1] > now:
        return hit[0]
    async with db.transaction() as s:
        user = await repository.user_by_token_hash(s, digest)
    if user is None:
        raise unknown_token()
    if len(_cache) > 100_000:
        _cache.clear()
    _cache[digest] = (user.id, now + TTL_SECONDS)
    return user.id
