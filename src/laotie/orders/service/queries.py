"""Read-side use cases for pages and the API: order lists and details, merchant queues."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.identity.auth import require_role
from laotie.models import Order, OrderLine, Payment, Shop, User
from laotie.orders import repository
from laotie.orders.auth import ensure_party
from laotie.orders.service.lifecycle import get_order


@dataclass
class OrderView:
    order: Order
    lines: list[OrderLine]
    shop: Shop
    payment: Payment
    role: str  # "buyer" | "seller" | "operator"


async def order_view(s: AsyncSession, user: User, order_id: int) -> OrderView:
    order = await get_order(s, order_id)
    return await _view(s, order, await ensure_party(s, user, order))


async def order_view_for_review(s: AsyncSession, operator: User, order_id: int) -> OrderView:
    """An order as an operator reviewing it sees it; the caller decides that they may (and audits it)."""
    require_role(operator, "operator")
    return await _view(s, await get_order(s, order_id), "operator")


async def _view(s: AsyncSession, order: Order, role: str) -> OrderView:
    lines = (await repository.lines_of(s, [order.id]))[order.id]
    shop = await catalog.get_shop(s, order.shop_id)
    payment = await repository.payment(s, order.payment_id)
    assert payment is not None
    return OrderView(order, lines, shop, payment, role)


async def my_orders(s: AsyncSession, user: User, status: str | None = None, limit: int = 50, offset: int = 0
                    ) -> list[tuple[Order, Shop, list[OrderLine]]]:
    rows = await repository.buyer_orders(s, user.id, status, limit, offset)
    lines = await repository.lines_of(s, [o.id for o, _ in rows])
    return [(o, shop, lines[o.id]) for o, shop in rows]


async def shop_orders(s: AsyncSession, merchant: User, status: str | None = None, limit: int = 50, offset: int = 0
                      ) -> tuple[Shop, Sequence[Order], dict[int, list[OrderLine]], dict[str, int]]:
    shop = await catalog.my_shop(s, merchant)
    orders = await repository.shop_orders(s, shop.id, status, limit, offset)
    lines = await repository.lines_of(s, [o.id for o in orders])
    counts = await repository.shop_order_counts(s, shop.id)
    return shop, orders, lines, counts


async def payment_orders(s: AsyncSession, payment_id: int) -> Sequence[Order]:
    return await repository.orders_of_payment(s, payment_id)


async def last_address(s: AsyncSession, buyer: User) -> tuple[str, str, str] | None:
    """Where this buyer shipped last, to fill in the checkout form."""
    return await repository.last_address(s, buyer.id)


async def order_origin(s: AsyncSession, order_id: int) -> Order | None:
    """An order's source, total and time of placement: for domains that attribute sales (live analytics)."""
    return await s.get(Order, order_id)


async def paid_sales_by_product(s: AsyncSession, source: str, limit: int = 5) -> list[repository.ProductSales]:
    return await repository.paid_sales_by_product(s, source, limit)


async def paid_total_placed_between(s: AsyncSession, source: str, since: datetime, until: datetime) -> int:
    """Paid sales of one source placed in a window: what a live PK contest scores as GMV."""
    return await repository.paid_total_placed_between(s, source, since, until)



async def sold_quantities(s: AsyncSession, order_ids: Sequence[int]) -> dict[int, int]:
    """Units per product in these orders, counting only orders that were paid and not closed."""
    return await repository.sold_quantities(s, order_ids)
