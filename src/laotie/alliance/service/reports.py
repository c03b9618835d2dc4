"""What the alliance looks like from a shop: its listings, its promoters' sales, the commission it paid.

Read-only queries for the merchant's pages, kept apart from the library's repository so the
pages can grow without touching the attribution path.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.models import AllianceFloor, AllianceListing, CommissionLine, Product, User

# Lines that cost the shop something now or did: forfeited lines went back to the shop.
COSTING = ("estimated", "settled")


async def shop_listings(s: AsyncSession, merchant: User) -> list[tuple[AllianceListing, Product]]:
    """The merchant's listings in the library, newest first, each with its product."""
    shop = await catalog.my_shop(s, merchant)
    rows = await s.execute(select(AllianceListing, Product).join(Product, Product.id == AllianceListing.product_id)
                           .where(AllianceListing.shop_id == shop.id).order_by(AllianceListing.id.desc()))
    return [(listing, product) for listing, product in rows.all()]


@dataclass(frozen=True)
class PromoterSales:
    creator_id: int
    name: str
    lines: int
    gmv: int  # what buyers paid, less refunds
    commission: int  # the whole commission standing: creator, group leader, MCN and the platform's fee
    settled: int


async def promoters_of_shop(s: AsyncSession, merchant: User, limit: int = 100) -> list[PromoterSales]:
    """Each creator who sold the shop's products through the alliance, best first."""
    shop = await catalog.my_shop(s, merchant)
    c = CommissionLine
    standing = c.cur_creator + c.cur_leader + c.cur_mcn + c.cur_platform
    settled = (func.coalesce(c.set_creator, 0) + func.coalesce(c.set_leader, 0) + func.coalesce(c.set_mcn, 0)
               + func.coalesce(c.set_platform, 0))
    gmv = func.sum(c.base - c.refunded)
    rows = await s.execute(
        select(c.promoter_id, User.display_name, func.count(), gmv, func.sum(standing), func.sum(settled))
        .join(User, User.id == c.promoter_id)
        .where(c.shop_id == shop.id, c.status.in_(COSTING))
        .group_by(c.promoter_id, User.display_name).order_by(gmv.desc(), c.promoter_id).limit(limit))
    return [PromoterSales(int(r[0]), str(r[1]), int(r[2]), int(r[3] or 0), int(r[4] or 0), int(r[5] or 0))
            for r in rows.all()]


async def shop_commission_lines(s: AsyncSession, merchant: User, limit: int = 50) -> list[CommissionLine]:
    """The shop's commission lines, newest first: what each alliance sale costs it."""
    shop = await catalog.my_shop(s, merchant)
    q = (select(CommissionLine).where(CommissionLine.shop_id == shop.id)
         .order_by(CommissionLine.id.desc()).limit(limit))
    return list((await s.execute(q)).scalars().all())


async def floors(s: AsyncSession) -> dict[int, AllianceFloor]:
    """The commission floors operators set, by category id (a category without one uses the default)."""
    return {f.category_id: f for f in (await s.execute(select(AllianceFloor))).scalars().all()}
