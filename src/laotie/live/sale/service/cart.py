"""The live cart (直播间购物车) and pinning: what the host offers, in order, one pinned at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.service import promotions
from laotie.catalog import service as catalog
from laotie.catalog.auth import ensure_owns_shop
from laotie.catalog.errors import ProductNotFound
from laotie.kit.db import dialect_insert
from laotie.kit.events import record_event
from laotie.live import repository
from laotie.live.errors import NotInLiveCart
from laotie.live.service.sessions import hosted_session
from laotie.models import FlashListing, LiveCartItem, LiveSession, Product, User, utcnow
from laotie.trust.governance.service import ensure_cart_allowed


async def _own_published_product(s: AsyncSession, host: User, product_id: int) -> Product:
    product = await s.get(Product, product_id)
    if product is None or product.status != "published" or product.is_external:
        raise ProductNotFound("no such product for sale", field="product_id")
    # The host's own shop, or a library product the host promotes (好物联盟).
    shop = await catalog.get_shop(s, product.shop_id)
    if shop.owner_id != host.id and await promotions.promotable(s, host.id, product.id):
        return product
    ensure_owns_shop(host, shop)
    return product


async def add_to_live_cart(s: AsyncSession, host: User, session_id: int, product_id: int) -> None:
    session = await hosted_session(s, host, session_id)
    await ensure_cart_allowed(s, host.id)  # 403 cart_suspended while a penalty suspends the cart
    await _own_published_product(s, host, product_id)
    last = (await s.execute(select(func.coalesce(func.max(LiveCartItem.position), -1))
                            .where(LiveCartItem.session_id == session.id))).scalar_one()
    await s.execute(dialect_insert(s, LiveCartItem)
                    .values(session_id=session.id, product_id=product_id, position=int(last) + 1,
                            created_at=utcnow())
                    .on_conflict_do_nothing())
    await _cart_changed(s, session)


async def remove_from_live_cart(s: AsyncSession, host: User, session_id: int, product_id: int) -> None:
    session = await hosted_session(s, host, session_id)
    await s.execute(delete(LiveCartItem).where(LiveCartItem.session_id == session.id,
                                               LiveCartItem.product_id == product_id))
    if session.pinned_product_id == product_id:
        session.pinned_product_id = None
    await _cart_changed(s, session)


async def reorder_live_cart(s: AsyncSession, host: User, session_id: int, product_ids: list[int]) -> None:
    session = await hosted_session(s, host, session_id)
    current = {p.id for _, p in await repository.cart(s, session.id)}
    if set(product_ids) != current or len(product_ids) != len(current):
        raise NotInLiveCart("give every product in the live cart exactly once", field="product_ids")
    for position, product_id in enumerate(product_ids):
        await s.execute(update(LiveCartItem).where(LiveCartItem.session_id == session.id,
                                                   LiveCartItem.product_id == product_id)
                        .values(position=position))
    await _cart_changed(s, session)


async def pin_product(s: AsyncSession, host: User, session_id: int, product_id: int | None) -> LiveSession:
    """Pin one product card over the video (None unpins)."""
    session = await hosted_session(s, host, session_id)
    if product_id is not None and product_id not in {p.id for _, p in await repository.cart(s, session.id)}:
        raise NotInLiveCart("add the product to the live cart before pinning it", field="product_id")
    session.pinned_product_id = product_id
    await record_event(s, "live.pinned", {"session_id": session.id, "product_id": product_id})
    return session


async def _cart_changed(s: AsyncSession, session: LiveSession) -> None:
    items = await repository.cart(s, session.id)
    await record_event(s, "live.cart_changed", {"session_id": session.id,
                                                "product_ids": [p.id for _, p in items]})


@dataclass
class RoomView:
    session: LiveSession
    host: User
    cart: list[tuple[Product, list]]  # product with its SKUs
    pinned: Product | None
    flashes: list[FlashListing]


async def room_view(s: AsyncSession, session_id: int) -> RoomView:
    from laotie.catalog.repository import skus_of
    from laotie.live.service.sessions import get_session

    session = await get_session(s, session_id)
    host = await s.get(User, session.host_id)
    assert host is not None
    products = [p for _, p in await repository.cart(s, session.id)]
    skus = await skus_of(s, [p.id for p in products])
    pinned = next((p for p in products if p.id == session.pinned_product_id), None)
    return RoomView(session, host, [(p, skus[p.id]) for p in products], pinned,
                    list(await repository.flashes(s, session.id)))
