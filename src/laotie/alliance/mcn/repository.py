"""MCN queries: contracts, and the commission lines that carry an MCN's share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import AllianceMcnContract, CommissionLine

SOLD = ("estimated", "settled")


async def active_contract(s: AsyncSession, creator_id: int) -> AllianceMcnContract | None:
    return (await s.execute(select(AllianceMcnContract).where(AllianceMcnContract.creator_id == creator_id,
                                                              AllianceMcnContract.status == "active"))
            ).scalar_one_or_none()


async def contracts_of(s: AsyncSession, user_id: int, statuses: Sequence[str], limit: int, offset: int
                       ) -> list[AllianceMcnContract]:
    """Contracts where the user is the MCN or the creator, newest first."""
    c = AllianceMcnContract
    q = (select(c).where(or_(c.mcn_id == user_id, c.creator_id == user_id), c.status.in_(statuses))
         .order_by(c.id.desc()).limit(limit).offset(offset))
    return list((await s.execute(q)).scalars().all())


async def expired(s: AsyncSession, now: datetime, limit: int) -> list[int]:
    c = AllianceMcnContract
    q = select(c.id).where(c.status == "active", c.ends_at <= now).order_by(c.id).limit(limit)
    return [int(x) for x in (await s.execute(q)).scalars()]


async def sales_by_creator(s: AsyncSession, mcn_id: int) -> list[dict[str, int]]:
    """Per creator, the paid lines carrying this MCN's share: value, refunds, the creator's and the MCN's parts."""
    c = CommissionLine
    rows = await s.execute(
        select(c.promoter_id, func.count(), func.sum(c.base), func.sum(c.refunded),
               func.sum(c.est_creator), func.sum(c.cur_creator), func.sum(func.coalesce(c.set_creator, 0)),
               func.sum(c.est_mcn), func.sum(c.cur_mcn), func.sum(func.coalesce(c.set_mcn, 0)))
        .where(c.mcn_id == mcn_id, c.status.in_(SOLD))
        .group_by(c.promoter_id).order_by(func.sum(c.base).desc(), c.promoter_id))
    keys = ("creator_id", "lines", "gmv", "refunded", "commission_estimated", "commission_standing",
            "commission_settled", "share_estimated", "share_standing", "share_settled")
    return [dict(zip(keys, (int(v or 0) for v in row), strict=True)) for row in rows.all()]


async def lines_of_creator(s: AsyncSession, mcn_id: int, creator_id: int, limit: int, offset: int
                           ) -> list[CommissionLine]:
    c = CommissionLine
    q = (select(c).where(c.mcn_id == mcn_id, c.promoter_id == creator_id, c.status.in_(SOLD))
         .order_by(c.id.desc()).limit(limit).offset(offset))
    return list((await s.execute(q)).scalars().all())
