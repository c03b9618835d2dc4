"""Payout queries, and the commission lines behind the earnings chart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import AlliancePayout, CommissionLine


async def payout(s: AsyncSession, payout_id: int) -> AlliancePayout | None:
    return await s.get(AlliancePayout, payout_id, populate_existing=True)


async def payouts_of(s: AsyncSession, user_id: int, *, limit: int, offset: int) -> list[AlliancePayout]:
    rows = await s.execute(select(AlliancePayout).where(AlliancePayout.user_id == user_id)
                           .order_by(AlliancePayout.id.desc()).limit(limit).offset(offset))
    return list(rows.scalars())


async def lines_for_chart(s: AsyncSession, user_id: int, since: datetime) -> list[CommissionLine]:
    """Lines where the user is creator, group leader or MCN, paid or settled since `since`."""
    rows = await s.execute(
        select(CommissionLine)
        .where(or_(CommissionLine.promoter_id == user_id, CommissionLine.leader_id == user_id,
                   CommissionLine.mcn_id == user_id),
               CommissionLine.status.in_(("estimated", "settled")),
               or_(CommissionLine.paid_at >= since, CommissionLine.settled_at >= since))
        .order_by(CommissionLine.id))
    return list(rows.scalars())
