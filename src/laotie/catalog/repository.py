"""Catalog queries: the only place that builds SELECTs for categories, shops and products."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import Category, Product, ProductImage, Shop, Sku


async def categories(s: AsyncSession) -> Sequence[Category]:
    return (await s.execute(select(Category).order_by(Category.parent_id.nulls_first(), Category.name))).scalars().all()


async def descendant_ids(s: AsyncSession, category_id: int) -> list[int]:
    """The category and everything below it (trees are small; walk in Python)."""
    rows = (await s.execute(select(Category.id, Category.parent_id))).all()
    children: dict[int | None, list[int]] = {}
    for cid, parent in rows:
        children.setdefault(parent, []).append(cid)
    out, stack = [], [category_id]
    while stack:
        cid = stack.pop()
        out.append(cid)
        stack.extend(children.get(cid, []))
    return out


async def shop_of_owner(s: AsyncSession, owner_id: int) -> Shop | None:
    return (await s.execute(select(Shop).where(Shop.owner_id == owner_id))).scalar_one_or_none()


async def skus_of(s: AsyncSession, product_ids: Sequence[int]) -> dict[int, list[Sku]]:
    out: dict[int, list[Sku]] = {pid: [] for pid in product_ids}
    if not product_ids:
        return out
    rows = (await s.execute(select(Sku).where(Sku.product_id.in_(product_ids)).order_by(Sku.id))).scalars()
    for sku in rows:
        out[sku.product_id].append(sku)
    return out


async def images_of(s: AsyncSession, product_id: int) -> Sequence[ProductImage]:
    stmt = (select(ProductImage).where(ProductImage.product_id == product_id)
            .order_by(ProductImage.position, ProductImage.id))
    return (await s.execute(stmt)).scalars().all()


async def min_price(s: AsyncSession, product_id: int) -> int:
    value = (await s.execute(select(func.min(Sku.price)).where(Sku.product_id == product_id))).scalar()
    return int(value or 0)


@dataclass(frozen=True)
class ProductQuery:
    q: str | None = None
    category_ids: Sequence[int] | None = None
    shop_id: int | None = None
    min_price: int | None = None
    max_price: int | None = None
    sort: str = "newest"
    statuses: Sequence[str] = ("published",)
    page: int = 1
    per_page: int = 24


SORTS = {
    "newest": (Product.id.desc(),),
    "price_asc": (Product.min_price.asc(), Product.id.desc()),
    "price_desc": (Product.min_price.desc(), Product.id.desc()),
    "sales": (Product.sold_count.desc(), Product.id.desc()),
}


def _filtered(query: ProductQuery) -> Select[Product, Shop]:
    stmt = select(Product, Shop).join(Shop, Shop.id == Product.shop_id).where(Product.status.in_(query.statuses))
    if query.q:
        like = f"%{query.q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(Product.title.ilike(like), Shop.name.ilike(like)))
    if query.category_ids is not None:
        stmt = stmt.where(Product.category_id.in_(query.category_ids))
    if query.shop_id is not None:
        stmt = stmt.where(Product.shop_id == query.shop_id)
    if query.min_price is not None:
        stmt = stmt.where(Product.min_price >= query.min_price)
    if query.max_price is not None:
        stmt = stmt.where(Product.min_price <= query.max_price)
    return stmt


async def search_products(s: AsyncSession, query: ProductQuery) -> tuple[list[tuple[Product, Shop]], int]:
    base = _filtered(query)
    total = (await s.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    stmt = (base.order_by(*SORTS.get(query.sort, SORTS["newest"]))
            .limit(query.per_page).offset((query.page - 1) * query.per_page))
    rows = [(p, shop) for p, shop in (await s.execute(stmt)).all()]
    return rows, int(total)
