"""Sample queries: a creator's record, the samples of a shop, those due to lapse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import AllianceSample, CommissionLine


async def sample(s: AsyncSession, sample_id: int) -> AllianceSample | None:
    return await s.get(AllianceSample, sample_id, populate_existing=True)


async def lapsed_since(s: AsyncSession, creator_id: int, since: datetime) -> int:
    row = await s.execute(select(func.count()).select_from(AllianceSample).where(
        AllianceSample.creator_id == creator_id, AllianceSample.status == "lapsed", AllianceSample.lapsed_at >= since))
    return int(row.scalar_one())


async def attributed_gmv(s: AsyncSession, creator_id: int, since: datetime) -> int:
    """What buyers paid, less refunds, for lines the creator sold through the alliance since `since`."""
    c = CommissionLine
    row = await s.execute(select(func.coalesce(func.sum(c.base - c.refunded), 0)).where(
        c.promoter_id == creator_id, c.status.in_(("estimated", "settled")), c.paid_at >= since))
    return int(row.scalar_one())


async def samples_of_creator(s: AsyncSession, creator_id: int, *, limit: int, offset: int) -> list[AllianceSample]:
    rows = await s.execute(select(AllianceSample).where(AllianceSample.creator_id == creator_id)
                           .order_by(AllianceSample.id.desc()).limit(limit).offset(offset))
    return list(rows.scalars())


async def samples_of_shop(s: AsyncSession, shop_id: int, status: str | None, *, limit: int,
                          offset: int) -> list[AllianceSample]:
    stmt = select(AllianceSample).where(AllianceSample.shop_id == shop_id)
    if status is not None:
        stmt = stmt.where(AllianceSample.status == status)
    rows = await s.execute(stmt.order_by(AllianceSample.id.desc()).limit(limit).offset(offset))
    return list(rows.scalars())


async def move(s: AsyncSession, sample_id: int, from_status: str, **values: object) -> bool:
    """A conditional transition: True if the sample was in `from_status` and now has `values`."""
    row = await s.execute(update(AllianceSample).where(AllianceSample.id == sample_id,
                                                      AllianceSample.status == from_status)
                          .values(**values).returning(AllianceSample.id))
    return row.first() is not None


async def claim_promoted(s: AsyncSession, creator_id: int, product_ids: Sequence[int], how: str,
                         now: datetime) -> list[tuple[int, int]]:
    """Shipped samples of these products, promoted before their deadline: (sample id, listing id)."""
    rows = await s.execute(
        update(AllianceSample)
        .where(AllianceSample.creator_id == creator_id, AllianceSample.product_id.in_(list(product_ids)),
               AllianceSample.status == "shipped", AllianceSample.promote_by >= now)
        .values(status="fulfilled", fulfilled_at=now, fulfilled_by=how, open_listing_id=None)
        .returning(AllianceSample.id, AllianceSample.listing_id)
        .execution_options(synchronize_session=False))
    return [(int(a), int(b)) for a, b in rows.all()]


async def claim_overdue(s: AsyncSession, now: datetime, limit: int) -> list[tuple[int, int]]:
    """Shipped samples past their deadline, lapsed now: (sample id, creator id)."""
    due = (select(AllianceSample.id).where(AllianceSample.status == "shipped", AllianceSample.promote_by < now)
           .limit(limit))
    rows = await s.execute(
        update(AllianceSample)
        .where(AllianceSample.id.in_(due.scalar_subquery()), AllianceSample.status == "shipped")
        .values(status="lapsed", lapsed_at=now, open_listing_id=None)
        .returning(AllianceSample.id, AllianceSample.creator_id)
        .execution_options(synchronize_session=False))
    return [(int(a), int(b)) for a, b in rows.all()]
