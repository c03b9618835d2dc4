"""After-sales queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import Aftersale, CounterfeitClaim, ShopPolicy

OPEN = ("requested", "awaiting_return", "return_shipped", "disputed")


async def open_for_order(s: AsyncSession, order_id: int) -> Aftersale | None:
    q = select(Aftersale).where(Aftersale.order_id == order_id, Aftersale.status.in_(OPEN)).limit(1)
    return (await s.execute(q)).scalar_one_or_none()


async def of_order(s: AsyncSession, order_id: int) -> Sequence[Aftersale]:
    q = select(Aftersale).where(Aftersale.order_id == order_id).order_by(Aftersale.id.desc())
    return (await s.execute(q)).scalars().all()


async def disputed_of_order(s: AsyncSession, order_id: int) -> Sequence[int]:
    """Requests on this order that went to platform arbitration, whatever its outcome."""
    q = select(Aftersale.id).where(Aftersale.order_id == order_id, Aftersale.dispute.is_not(None))
    return (await s.execute(q.order_by(Aftersale.id))).scalars().all()


async def claim_of_order(s: AsyncSession, order_id: int) -> int | None:
    q = select(CounterfeitClaim.id).where(CounterfeitClaim.order_id == order_id)
    return (await s.execute(q)).scalar_one_or_none()


async def of_buyer(s: AsyncSession, buyer_id: int, limit: int = 50) -> Sequence[Aftersale]:
    q = select(Aftersale).where(Aftersale.buyer_id == buyer_id).order_by(Aftersale.id.desc()).limit(limit)
    return (await s.execute(q)).scalars().all()


async def of_shop(s: AsyncSession, shop_id: int, statuses: Sequence[str] | None, limit: int = 100
                  ) -> Sequence[Aftersale]:
    q = select(Aftersale).where(Aftersale.shop_id == shop_id)
    if statuses:
        q = q.where(Aftersale.status.in_(list(statuses)))
    return (await s.execute(q.order_by(Aftersale.deadline.asc(), Aftersale.id.asc()).limit(limit))).scalars().all()


async def disputed(s: AsyncSession, limit: int = 100) -> Sequence[Aftersale]:
    q = select(Aftersale).where(Aftersale.status == "disputed").order_by(Aftersale.id).limit(limit)
    return (await s.execute(q)).scalars().all()


async def due(s: AsyncSession, status: str, now: datetime, limit: int = 500) -> list[int]:
    q = (select(Aftersale.id).where(Aftersale.status == status, Aftersale.deadline <= now)
         .order_by(Aftersale.deadline).limit(limit))
    return [int(x) for x in (await s.execute(q)).scalars().all()]


async def policy(s: AsyncSession, shop_id: int) -> ShopPolicy:
    got = await s.get(ShopPolicy, shop_id)
    return got if got is not None else ShopPolicy(shop_id=shop_id, refund_without_return=False,
                                                  no_return_threshold=5000, return_shipping_funded_by="platform")


async def claims(s: AsyncSession, status: str | None, limit: int = 100) -> Sequence[CounterfeitClaim]:
    q = select(CounterfeitClaim).order_by(CounterfeitClaim.id.desc()).limit(limit)
    if status:
        q = q.where(CounterfeitClaim.status == status)
    return (await s.execute(q)).scalars().all()
