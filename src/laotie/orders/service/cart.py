"""The cart: add, change, remove, and check out the whole cart or part of it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.kit.db import dialect_insert
from laotie.models import CartItem, Product, Shop, Sku, User, utcnow
from laotie.orders import repository
from laotie.orders.errors import EmptyCart, NotForSale, NotInCart
from laotie.orders.service.checkout import Address, CheckoutResult, LineRequest, checkout

MAX_CART_QTY = 999


@dataclass
class CartLine:
    item: CartItem
    sku: Sku
    product: Product
    shop: Shop

    @property
    def amount(self) -> int:
        return self.sku.price * self.item.quantity


async def add_to_cart(s: AsyncSession, user: User, sku_id: int, quantity: int) -> None:
    rows = await repository.skus_for_sale(s, [sku_id])
    sku = rows.get(sku_id)
    if sku is None or sku.product_status != "published" or sku.external:
        raise NotForSale("that item is not for sale", field="sku_id")
    stmt = dialect_insert(s, CartItem).values(user_id=user.id, sku_id=sku_id, quantity=quantity, created_at=utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=[CartItem.user_id, CartItem.sku_id],
        set_={"quantity": case((CartItem.quantity + quantity > MAX_CART_QTY, MAX_CART_QTY),
                               else_=CartItem.quantity + quantity)},
    )
    await s.execute(stmt)


async def set_cart_quantity(s: AsyncSession, user: User, sku_id: int, quantity: int) -> None:
    """Change a line's quantity; 0 removes it (removing twice is fine, changing a missing line is not)."""
    if quantity <= 0:
        await s.execute(delete(CartItem).where(CartItem.user_id == user.id, CartItem.sku_id == sku_id))
        return
    result = await s.execute(update(CartItem).where(CartItem.user_id == user.id, CartItem.sku_id == sku_id)
                             .values(quantity=quantity))
    if getattr(result, "rowcount", 0) == 0:
        raise NotInCart("that item is not in your cart", field="sku_id")


async def cart(s: AsyncSession, user: User) -> list[CartLine]:
    return [CartLine(*row) for row in await repository.cart_rows(s, user.id)]


async def checkout_cart(s: AsyncSession, settings: Settings, user: User, address: Address,
                        sku_ids: list[int] | None = None, idempotency_key: str | None = None,
                        device_fp: str | None = None) -> CheckoutResult:
    lines = [ln for ln in await cart(s, user) if sku_ids is None or ln.sku.id in sku_ids]
    if not lines:
        raise EmptyCart("your cart is empty")
    result = await checkout(s, settings, user, [LineRequest(ln.sku.id, ln.item.quantity) for ln in lines],
                            address, idempotency_key=idempotency_key, device_fp=device_fp)
    await s.execute(delete(CartItem).where(CartItem.user_id == user.id,
                                           CartItem.sku_id.in_([ln.sku.id for ln in lines])))
    return result
