"""Where the feed's trust policy comes from: sources other domains register (the trust issue fills them).

A multiplier source gives owner → factor (the shop score band's 优 1.2, 差 0.7, …); a limit
source gives owner → share of traffic kept (a penalty's "limited to 30%"). Several sources
combine: multipliers multiply, limits take the strictest. With none registered every owner
is neutral (1.0, no limit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.traffic.policy import StaticPolicy

MultiplierSource = Callable[[AsyncSession], Awaitable[dict[int, float]]]
LimitSource = Callable[[AsyncSession, datetime], Awaitable[dict[int, float]]]

MULTIPLIER_SOURCES: list[MultiplierSource] = []
LIMIT_SOURCES: list[LimitSource] = []


def register_multipliers(source: MultiplierSource) -> None:
    if source not in MULTIPLIER_SOURCES:
        MULTIPLIER_SOURCES.append(source)


def register_limits(source: LimitSource) -> None:
    if source not in LIMIT_SOURCES:
        LIMIT_SOURCES.append(source)


async def load_policy(s: AsyncSession, now: datetime) -> StaticPolicy:
    multipliers: dict[int, float] = {}
    for source in MULTIPLIER_SOURCES:
        for owner, factor in (await source(s)).items():
            multipliers[owner] = multipliers.get(owner, 1.0) * factor
    limits: dict[int, float] = {}
    for limit_source in LIMIT_SOURCES:
        for owner, share in (await limit_source(s, now)).items():
            limits[owner] = min(limits.get(owner, 1.0), share)
    return StaticPolicy(multipliers, limits)
