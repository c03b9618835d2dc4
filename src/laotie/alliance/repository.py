"""Alliance queries: the library, promotions, the attribution lookup at checkout, commission lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import BigInteger, and_, bindparam, func, select
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
from laotie.models.base import UTCDateTime, table_of

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
    min_sales: int | None = None  # units sold over the last 30 days
    bands: tuple[str, ...] = ()  # the shop's score band: 优 / 良 / 差 / new
    reliable: bool = False  # only reliable goods (靠谱好货)
    sort: LibrarySort = "earnings"
    limit: int = 20
    offset: int = 0


def _library(q: LibraryQuery) -> Any:
    """Filters and sort on the listing's own columns (kept in step by `refresh_library`), so each sort
    order walks its index and stops after a page; products and shops are joined for the page only."""
    x = AllianceListing
    stmt = (select(x, Product, Shop.name)
            .join(Product, Product.id == x.product_id)
            .join(Shop, Shop.id == x.shop_id)
            .where(x.status == "active", Product.status == "published", Shop.status == "open"))
    if q.text:
        stmt = stmt.where(Product.title.contains(q.text, autoescape=True))
    # "+ 0": a range or equality filter must not take the index the sort order walks (SQLite would
    # then sort every match); the sort's index is walked and these checked row by row until a page.
    if q.category_id is not None:
        stmt = stmt.where(x.category_id + 0 == q.category_id)
    if q.min_rate_bps is not None:
        stmt = stmt.where(x.rate_bps + 0 >= q.min_rate_bps)
    if q.max_price is not None:
        stmt = stmt.where(x.price + 0 <= q.max_price)
    if q.min_sales is not None:
        stmt = stmt.where(x.sales_30d + 0 >= q.min_sales)
    if q.bands:
        stmt = stmt.where(x.band.in_(q.bands))
    if q.reliable:
        stmt = stmt.where(x.reliable.is_(True))
    order = {
        "earnings": (x.sort_earnings.desc(), x.id.desc()),
        "rate": (x.rate_bps.desc(), x.id.desc()),
        "sales": (x.sales_30d.desc(), x.id.desc()),
        "price_low": (x.price.asc(), x.id.asc()),
        "newest": (x.id.desc(),),
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


@dataclass(frozen=True)
class Promoted:
    """A promotion found at checkout, with the group leader's and the MCN's shares that apply to it now."""

    creator_id: int
    promotion_rate_bps: int
    listing_id: int
    product_id: int
    listing_rate_bps: int
    rate_cut_at: datetime | None
    leader_id: int | None
    leader_bps: int
    mcn_id: int | None
    mcn_bps: int


def _promoted_statement(promoter: Any, products: Any) -> Any:
    """The approved promotions of active listings among some products, by the source's promoter.

    One statement: the group leader's accepted offer (when the creator took the product through
    a leader) and the promoter's MCN contract in force at `now` come with it by outer joins; a
    creator has at most one active contract, and a promotion at most one leader, so each row is
    one promotion. Built once per kind of source, in Core: this runs inside every promoted checkout.
    """
    p, x, offer, contract = (table_of(m) for m in (AlliancePromotion, AllianceListing, AllianceLeaderOffer,
                                                    AllianceMcnContract))
    now = bindparam("now", type_=UTCDateTime())
    return (
        select(p.c.creator_id, p.c.rate_bps, x.c.id, x.c.product_id, x.c.rate_bps, x.c.rate_cut_at,
               offer.c.leader_id, offer.c.fee_bps, contract.c.mcn_id, contract.c.share_bps)
        .select_from(p.join(x, x.c.id == p.c.listing_id)
                     .outerjoin(offer, and_(offer.c.listing_id == p.c.listing_id, offer.c.leader_id == p.c.leader_id,
                                            offer.c.status == "accepted"))
                     .outerjoin(contract, and_(contract.c.creator_id == p.c.creator_id,
                                               contract.c.status == "active", contract.c.starts_at <= now,
                                               contract.c.ends_at > now)))
        .where(p.c.creator_id == promoter, p.c.status == "approved", x.c.status == "active",
               products(x.c.product_id))
    )


_SOURCE: Any = bindparam("source_id", type_=BigInteger())
def _one(column: Any) -> Any:
    return column == bindparam("product", type_=BigInteger())


def _many(column: Any) -> Any:
    return column.in_(bindparam("products", expanding=True))


# The promoter behind an order source: the live session's host, the video's owner, or the
# promoter named by the source (showcase, profile shop, share link) — a scalar subquery, so the
# lookup stays one statement. One product (buy now, the usual case) needs no expanding IN,
# whose SQL would be rendered again on every call.
_PROMOTERS = {
    "live": select(LiveSession.host_id).where(LiveSession.id == _SOURCE).scalar_subquery(),
    "video": select(Video.owner_id).where(Video.id == _SOURCE).scalar_subquery(),
    "user": _SOURCE,
}
_PROMOTED = {(kind, many): _promoted_statement(promoter, _many if many else _one)
             for kind, promoter in _PROMOTERS.items() for many in (False, True)}


async def promoted(s: AsyncSession, kind: str, source_id: int, product_ids: Sequence[int],
                   now: datetime) -> list[Promoted]:
    products = sorted(set(product_ids))
    many = len(products) > 1
    params: dict[str, Any] = {"source_id": source_id, "now": now}
    params.update({"products": products} if many else {"product": products[0]})
    rows = await (await s.connection()).execute(_PROMOTED[(kind if kind in _PROMOTERS else "user", many)], params)
    return [Promoted(int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5], r[6], r[7] or 0, r[8], r[9] or 0)
            for r in rows.all()]


async def attributed_lines(s: AsyncSession, order_ids: Sequence[int]) -> list[tuple[int, int, int, dict[str, Any]]]:
    """(order line id, order id, what the buyer paid for it, its attribution) of the promoted lines of these orders."""
    rows = await s.execute(
        select(OrderLine.id, OrderLine.order_id, OrderLine.unit_price * OrderLine.quantity - OrderLine.discount,
               OrderLine.attribution)
        .where(OrderLine.order_id.in_(sorted(order_ids)), OrderLine.attribution.is_not(None))
        .order_by(OrderLine.id))
    return [(int(i), int(o), int(b), dict(a)) for i, o, b, a in rows.all() if a]


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
