"""Order permissions: buyers see their orders; merchants see and act on their shop's."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.models import Order, User
from laotie.orders.errors import NotYourOrder


def ensure_buyer(user: User, order: Order) -> None:
    if order.buyer_id != user.id:
        raise NotYourOrder("that is not your order")


async def ensure_seller(s: AsyncSession, user: User, order: Order) -> None:
    shop = await catalog.my_shop(s, user)
    if order.shop_id != shop.id:
        raise NotYourOrder("that order is not from your shop")


async def ensure_party(s: AsyncSession, user: User, order: Order) -> str:
    """'buyer' or 'seller'; anyone else gets the same refusal as for a wrong order."""
    if order.buyer_id == user.id:
        return "buyer"
    if user.has_role("merchant"):
        await ensure_seller(s, user, order)
        return "seller"
    raise NotYourOrder("that is not your order")
