"""Alliance queries: the library, promotions, the attribution lookup at checkout, commission lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import (
    AllianceLeaderOffer,
    AllianceListing,
    AllianceMcnContract,
    AlliancePromotion,
    CommissionLine,
    LiveSession,
    OrderLine,
    Product,
    Shop,
    Video,
)

# Lines a creator sees among their earnings: forfeited ones (a confirmed fake-order ring) show as reversed.
EARNING = ("estimated", "settled", "forfeited")
LibrarySort = Literal["earnings", "rate", "sales", "price_low", "newest"]


async def listing_of_product(s: AsyncSession, product_id: int) -> AllianceListing | None:
    return (await s.execute(select(AllianceListing).where(AllianceListing.product_id == product_id))
            ).scalar_one_or_none()


@dataclass(frozen=True)
class LibraryQuery:
    text: str | None = None
    category_id: int | None = None
    min_rate_bps: int | None = None
    max_price: int | None = None
    min_sales: int | None = None
    sort: LibrarySort = "earnings"
    limit: int = 20
    offset: int = 0


def _library(q: LibraryQuery) -> Any:
    earnings = Product.min_price * AllianceListing.rate_bps
    stmt = (select(AllianceListing, Product, Shop.name)
            .join(Product, Product.id == AllianceListing.product_id)
            .join(Shop, Shop.id == AllianceListing.shop_id)
            .where(AllianceListing.status == "active", Product.status == "published", Shop.status == "open"))
    if q.text:
        stmt = stmt.where(Product.title.contains(q.text, autoescape=True))
    if q.category_id is not None:
        stmt = stmt.where(AllianceListing.category_id == q.category_id)
    if q.min_rate_bps is not None:
        stmt = stmt.where(AllianceListing.rate_bps >= q.min_rate_bps)
    if q.max_price is not None:
        stmt = stmt.where(Product.min_price <= q.max_price)
    if q.min_sales is not None:
        stmt = stmt.where(Product.sold_count >= q.min_sales)
    order = {
        "earnings": (earnings.desc(), AllianceListing.id.desc()),
        "rate": (AllianceListing.rate_bps.desc(), AllianceListing.id.desc()),
        "sales": (Product.sold_count.desc(), AllianceListing.id.desc()),
        "price_low": (Product.min_price.asc(), AllianceListing.id.desc()),
        "newest": (AllianceListing.id.desc(),),
    }[q.sort]
    return stmt.order_by(*order)


async def library(s: AsyncSession, q: LibraryQuery) -> list[tuple[AllianceListing, Product, str]]:
    rows = await s.execute(_library(q).limit(q.limit).offset(q.offset))
    return [(listing, product, str(shop_name)) for listing, product, shop_name in rows.all()]


async def promotion(s: AsyncSession, creator_id: int, listing_id: int) -> AlliancePromotion | None:
    return (await s.execute(select(AlliancePromotion).where(AlliancePromotion.creator_id == creator_id,
                                                            AlliancePromotion.listing_id == listing_id))
            ).scalar_one_or_none()


async def promotions_of(s: AsyncSession, creator_id: int, statuses: Sequence[str]
                        ) -> list[tuple[AlliancePromotion, AllianceListing, Product]]:
    rows = await s.execute(
        select(AlliancePromotion, AllianceListing, Product)
        .join(AllianceListing, AllianceListing.id == AlliancePromotion.listing_id)
        .join(Product, Product.id == AllianceListing.product_id)
        .where(AlliancePromotion.creator_id == creator_id, AlliancePromotion.status.in_(statuses))
        .order_by(AlliancePromotion.id.desc()))
    return [(p, listing, product) for p, listing, product in rows.all()]


async def applications_for_shop(s: AsyncSession, shop_id: int, status: str = "applied"
                                ) -> list[tuple[AlliancePromotion, AllianceListing, Product]]:
    rows = await s.execute(
        select(AlliancePromotion, AllianceListing, Product)
        .join(AllianceListing, AllianceListing.id == AlliancePromotion.listing_id)
        .join(Product, Product.id == AllianceListing.product_id)
        .where(AllianceListing.shop_id == shop_id, AlliancePromotion.status == status)
        .order_by(AlliancePromotion.id))
    return [(p, listing, product) for p, listing, product in rows.all()]


def promoter_of_source(kind: str, source_id: int) -> Any:
    """The promoter behind an order source, as a scalar subquery (so the lookup stays one statement)."""
    if kind == "live":
        return select(LiveSession.host_id).where(LiveSession.id == source_id).scalar_subquery()
    if kind == "video":
        return select(Video.owner_id).where(Video.id == source_id).scalar_subquery()
    return source_id  # showcase / profile / share: the promoter's own id


@dataclass(frozen=True)
class Promoted:
    """A promotion found at checkout, with the group leader's and the MCN's shares that apply to it now."""

    promotion: AlliancePromotion
    listing: AllianceListing
    leader_id: int | None
    leader_bps: int
    mcn_id: int | None
    mcn_bps: int


async def promoted(s: AsyncSession, promoter: Any, product_ids: Sequence[int], now: datetime) -> list[Promoted]:
    """The approved promotions of active listings among these products, by the source's promoter.

    One statement: the group leader's accepted offer (when the creator took the product through
    a leader) and the promoter's MCN contract in force at `now` come with it by outer joins; a
    creator has at most one active contract, and a promotion at most one leader, so each row is
    one promotion.
    """
    offer, contract = AllianceLeaderOffer, AllianceMcnContract
    rows = await s.execute(
        select(AlliancePromotion, AllianceListing, offer.leader_id, offer.fee_bps, contract.mcn_id,
               contract.share_bps)
        .join(AllianceListing, AllianceListing.id == AlliancePromotion.listing_id)
        .outerjoin(offer, and_(offer.listing_id == AlliancePromotion.listing_id,
                               offer.leader_id == AlliancePromotion.leader_id, offer.status == "accepted"))
        .outerjoin(contract, and_(contract.creator_id == AlliancePromotion.creator_id, contract.status == "active",
                                  contract.starts_at <= now, contract.ends_at > now))
        .where(AlliancePromotion.creator_id == promoter, AlliancePromotion.status == "approved",
               AllianceListing.status == "active", AllianceListing.product_id.in_(sorted(set(product_ids)))))
    return [Promoted(p, listing, leader_id, leader_bps or 0, mcn_id, mcn_bps or 0)
            for p, listing, leader_id, leader_bps, mcn_id, mcn_bps in rows.all()]


async def lines_of_order(s: AsyncSession, order_id: int, *, lock: bool = False) -> list[CommissionLine]:
    q = select(CommissionLine).where(CommissionLine.order_id == order_id).order_by(CommissionLine.id)
    if lock:
        q = q.with_for_update()
    return list((await s.execute(q)).scalars().all())


async def order_line_bases(s: AsyncSession, order_id: int) -> dict[int, int]:
    """What the buyer paid for each line of an order, by order line id."""
    rows = await s.execute(select(OrderLine.id, OrderLine.unit_price * OrderLine.quantity - OrderLine.discount)
                           .where(OrderLine.order_id == order_id).order_by(OrderLine.id))
    return {int(i): int(b) for i, b in rows.all()}


async def earnings_totals(s: AsyncSession, user_id: int) -> dict[str, int]:
    """A creator's estimated, standing, settled and reversed commission over all their lines."""
    c = CommissionLine
    row = (await s.execute(
        select(func.coalesce(func.sum(c.est_creator), 0), func.coalesce(func.sum(c.cur_creator), 0),
               func.coalesce(func.sum(func.coalesce(c.set_creator, 0)), 0), func.count())
        .where(c.promoter_id == user_id, c.status.in_(EARNING))
    )).one()
    return {"estimated": int(row[0]), "standing": int(row[1]), "settled": int(row[2]), "lines": int(row[3])}


async def commission_lines_of(s: AsyncSession, user_id: int, limit: int = 50) -> list[CommissionLine]:
    q = (select(CommissionLine).where(CommissionLine.promoter_id == user_id,
                                      CommissionLine.status.in_(EARNING))
         .order_by(CommissionLine.id.desc()).limit(limit))
    return list((await s.execute(q)).scalars().all())
