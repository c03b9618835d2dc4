"""Order queries: the only place that builds SELECTs for carts, orders and payments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import CartItem, Category, Order, OrderLine, Payment, Product, Shop, Sku


@dataclass(frozen=True)
class SkuForSale:
    sku_id: int
    price: int
    purchase_limit: int | None
    attributes: dict[str, Any]
    product_id: int
    title: str
    product_status: str
    external: bool
    shop_id: int
    shop_status: str
    shop_owner_id: int
    commission_bps: int


_SKUS_FOR_SALE = (
    select(Sku.id, Sku.price, Sku.purchase_limit, Sku.attributes, Product.id, Product.title,
           Product.status, Product.external_url, Shop.id, Shop.status, Shop.owner_id,
           Category.commission_bps)
    .join(Product, Product.id == Sku.product_id)
    .join(Shop, Shop.id == Product.shop_id)
    .join(Category, Category.id == Product.category_id)
    .where(Sku.id.in_(bindparam("ids", expanding=True)))
)


async def skus_for_sale(s: AsyncSession, sku_ids: Sequence[int]) -> dict[int, SkuForSale]:
    """Everything checkout needs about the SKUs, in one prebuilt statement."""
    conn = await s.connection()
    out = {}
    for row in (await conn.execute(_SKUS_FOR_SALE, {"ids": list(sku_ids)})).all():
        out[row[0]] = SkuForSale(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] is not None,
                                 row[8], row[9], row[10], row[11])
    return out


async def orders_of_payment(s: AsyncSession, payment_id: int) -> Sequence[Order]:
    return (await s.execute(select(Order).where(Order.payment_id == payment_id).order_by(Order.id))).scalars().all()


async def lines_of(s: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[OrderLine]]:
    out: dict[int, list[OrderLine]] = {oid: [] for oid in order_ids}
    if order_ids:
        rows = await s.execute(select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.id))
        for line in rows.scalars():
            out[line.order_id].append(line)
    return out


async def buyer_orders(s: AsyncSession, buyer_id: int, status: str | None, limit: int, offset: int
                       ) -> Sequence[tuple[Order, Shop]]:
    stmt = select(Order, Shop).join(Shop, Shop.id == Order.shop_id).where(Order.buyer_id == buyer_id)
    if status:
        stmt = stmt.where(Order.status == status)
    stmt = stmt.order_by(Order.id.desc()).limit(limit).offset(offset)
    return [(o, sh) for o, sh in (await s.execute(stmt)).all()]


async def shop_orders(s: AsyncSession, shop_id: int, status: str | None, limit: int, offset: int) -> Sequence[Order]:
    stmt = select(Order).where(Order.shop_id == shop_id)
    if status:
        stmt = stmt.where(Order.status == status)
    return (await s.execute(stmt.order_by(Order.id.desc()).limit(limit).offset(offset))).scalars().all()


async def shop_order_counts(s: AsyncSession, shop_id: int) -> dict[str, int]:
    rows = await s.execute(select(Order.status, func.count()).where(Order.shop_id == shop_id).group_by(Order.status))
    return {status: int(n) for status, n in rows.all()}


async def due_unpaid(s: AsyncSession, now: datetime, limit: int) -> list[int]:
    stmt = (select(Order.id).where(Order.status == "pending_payment", Order.pay_deadline < now)
            .order_by(Order.pay_deadline).limit(limit))
    return [int(i) for i in (await s.execute(stmt)).scalars()]


async def due_auto_confirm(s: AsyncSession, delivered_before: datetime, shipped_before: datetime,
                           limit: int) -> list[int]:
    stmt = (
        select(Order.id)
        .where(
            ((Order.status == "delivered") & (Order.delivered_at < delivered_before))
            | ((Order.status == "shipped") & (Order.shipped_at < shipped_before))
        )
        .order_by(Order.id)
        .limit(limit)
    )
    return [int(i) for i in (await s.execute(stmt)).scalars()]


async def cart_rows(s: AsyncSession, user_id: int) -> Sequence[tuple[CartItem, Sku, Product, Shop]]:
    stmt = (
        select(CartItem, Sku, Product, Shop)
        .join(Sku, Sku.id == CartItem.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .join(Shop, Shop.id == Product.shop_id)
        .where(CartItem.user_id == user_id)
        .order_by(Shop.id, CartItem.id)
    )
    return [(c, k, p, sh) for c, k, p, sh in (await s.execute(stmt)).all()]


async def payment(s: AsyncSession, payment_id: int) -> Payment | None:
    return await s.get(Payment, payment_id)


async def last_address(s: AsyncSession, buyer_id: int) -> tuple[str, str, str] | None:
    row = (await s.execute(
        select(Order.recipient, Order.phone, Order.address).where(Order.buyer_id == buyer_id)
        .order_by(Order.id.desc()).limit(1)
    )).first()
    return (row[0], row[1], row[2]) if row else None


@dataclass(frozen=True)
class ProductSales:
    product_id: int
    title: str
    quantity: int
    amount: int  # fen


async def paid_sales_by_product(s: AsyncSession, source: str, limit: int) -> list[ProductSales]:
    """Units and money of paid orders from one source, per product, best sellers first.

    orders has no index on `source`: callers run this a few times per live session (when
    it ends), never per order.
    """
    amount = func.sum(OrderLine.unit_price * OrderLine.quantity)
    stmt = (select(OrderLine.product_id, func.min(OrderLine.title), func.sum(OrderLine.quantity), amount)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.source == source, Order.paid_at.is_not(None))
            .group_by(OrderLine.product_id)
            .order_by(amount.desc(), OrderLine.product_id)
            .limit(limit))
    return [ProductSales(int(p), str(t), int(q), int(a)) for p, t, q, a in (await s.execute(stmt)).all()]


async def paid_total_placed_between(s: AsyncSession, source: str, since: datetime, until: datetime) -> int:
    """Total of the orders from one source placed in [since, until) and paid by now (refunds not deducted)."""
    stmt = select(func.coalesce(func.sum(Order.total), 0)).where(
        Order.source == source, Order.created_at >= since, Order.created_at < until, Order.paid_at.is_not(None))
    return int((await s.execute(stmt)).scalar_one())


async def sold_quantities(s: AsyncSession, order_ids: Sequence[int]) -> dict[int, int]:
    if not order_ids:
        return {}
    rows = await s.execute(select(OrderLine.product_id, func.sum(OrderLine.quantity))
                           .join(Order, Order.id == OrderLine.order_id)
                           .where(Order.id.in_(list(order_ids)), Order.paid_at.is_not(None),
                                  Order.status != "cancelled")
                           .group_by(OrderLine.product_id))
    return {int(p): int(q) for p, q in rows.all()}
