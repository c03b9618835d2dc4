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

from laotie.traffic.ranking.policy import StaticPolicy

MultiplierSource = Callable[[AsyncSession], Awaitable[dict[int, float]]]
LimitSource = Callable[[AsyncSession, datetime], Awaitable[dict[int, float]]]

# product id → factor for items whose cart sells it (靠谱好货 reliable goods).
GoodsSource = Callable[[AsyncSession, list[int]], Awaitable[dict[int, float]]]

MULTIPLIER_SOURCES: list[MultiplierSource] = []
LIMIT_SOURCES: list[LimitSource] = []
GOODS_SOURCES: list[GoodsSource] = []


def register_multipliers(source: MultiplierSource) -> None:
    if source not in MULTIPLIER_SOURCES:
        MULTIPLIER_SOURCES.append(source)


def register_limits(source: LimitSource) -> None:
    if source not in LIMIT_SOURCES:
        LIMIT_SOURCES.append(source)


def register_goods(source: GoodsSource) -> None:
    if source not in GOODS_SOURCES:
        GOODS_SOURCES.append(source)


async def product_boosts(s: AsyncSession, product_ids: list[int]) -> dict[int, float]:
    """Each product's factor (the product of every source's), for the ones any source boosts."""
    boosts: dict[int, float] = {}
    for source in GOODS_SOURCES:
        for product, factor in (await source(s, product_ids)).items():
            boosts[product] = boosts.get(product, 1.0) * factor
    return boosts


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
