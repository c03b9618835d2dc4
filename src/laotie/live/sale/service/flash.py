"""'3-2-1 上车': schedule a countdown, sell at a live-only price from live stock, close and return the rest.

Scheduling moves the live stock out of the SKU (a conditional update), so the
flash can never sell what the shop does not have. Each purchase is gated by one
conditional update on the flash row (sold + q <= live_stock) and the buyer's cap
by a conditional upsert, in the same transaction as the order; when Redis is
configured, `flash_redis` gates in Redis first and persists orders behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.identity.caller import Identified
from laotie.kit.db import dialect_insert
from laotie.kit.events import record_event
from laotie.live import repository
from laotie.live.errors import FlashCapReached, FlashNotFound, FlashNotOpen, FlashSoldOut, NotInLiveCart, SessionNotLive
from laotie.live.service.sessions import hosted_session
from laotie.models import FlashListing, FlashPurchase, LiveSession, Product, Sku, User, utcnow
from laotie.models.base import table_of
from laotie.orders.errors import SoldOut
from laotie.orders.service.checkout import Address, CheckoutResult, LineRequest, checkout

_FLASHES = table_of(FlashListing)
# The gate: built once, run on every purchase.
_TAKE_LIVE_STOCK = (
    update(_FLASHES)
    .where(_FLASHES.c.id == bindparam("flash"), _FLASHES.c.sold + bindparam("qty") <= _FLASHES.c.live_stock,
           _FLASHES.c.status != "closed")
    .values(sold=_FLASHES.c.sold + bindparam("qty"))
    .returning(_FLASHES.c.sold, _FLASHES.c.live_stock)
)


@dataclass(frozen=True)
class FlashTerms:
    sku_id: int
    live_price: int
    live_stock: int
    per_buyer_cap: int = 1
    countdown_seconds: int = 3
    duration_seconds: int | None = None


async def schedule_flash(s: AsyncSession, settings: Settings, host: User, session_id: int,
                         terms: FlashTerms) -> FlashListing:
    """Start the countdown: the item opens for everyone at the same server time."""
    session = await hosted_session(s, host, session_id)
    if session.status != "live":
        raise SessionNotLive("flash sales run while you are live")
    sku = await s.get(Sku, terms.sku_id)
    cart_ids = {p.id for _, p in await repository.cart(s, session.id)}
    if sku is None or sku.product_id not in cart_ids:
        raise NotInLiveCart("add the product to the live cart first", field="sku_id")
    moved = await s.execute(update(Sku).where(Sku.id == sku.id, Sku.stock >= terms.live_stock)
                            .values(stock=Sku.stock - terms.live_stock).returning(Sku.stock))
    if moved.first() is None:
        raise SoldOut("the SKU does not have that much stock for the live sale", field="live_stock")
    now = utcnow()
    opens = now + timedelta(seconds=terms.countdown_seconds)
    flash = FlashListing(
        session_id=session.id, sku_id=sku.id, live_price=terms.live_price, live_stock=terms.live_stock, sold=0,
        per_buyer_cap=terms.per_buyer_cap, opens_at=opens,
        closes_at=opens + timedelta(seconds=terms.duration_seconds) if terms.duration_seconds else None,
        status="scheduled", return_unsold=settings.flash_return_unsold,
    )
    s.add(flash)
    await s.flush()
    product = await s.get(Product, sku.product_id)
    await record_event(s, "flash.scheduled", {
        "session_id": session.id, "flash_id": flash.id, "sku_id": sku.id, "product_id": sku.product_id,
        "title": product.title if product else "", "live_price": flash.live_price, "live_stock": flash.live_stock,
        "per_buyer_cap": flash.per_buyer_cap, "opens_at": opens.isoformat(),
        "closes_at": flash.closes_at.isoformat() if flash.closes_at else None,
    })
    return flash


def is_open(flash: FlashListing, now: datetime) -> bool:
    return flash.status != "closed" and now >= flash.opens_at and (flash.closes_at is None or now < flash.closes_at)


async def get_flash(s: AsyncSession, flash_id: int) -> tuple[FlashListing, LiveSession]:
    flash = await s.get(FlashListing, flash_id)
    if flash is None:
        raise FlashNotFound("no such flash sale")
    session = await s.get(LiveSession, flash.session_id)
    assert session is not None
    return flash, session


async def take_cap(s: AsyncSession, flash: FlashListing, buyer_id: int, quantity: int) -> None:
    """The buyer's cap for this flash, as one conditional upsert."""
    if quantity <= flash.per_buyer_cap:
        stmt = dialect_insert(s, FlashPurchase).values(flash_id=flash.id, buyer_id=buyer_id, quantity=quantity)
        stmt = stmt.on_conflict_do_update(
            index_elements=[FlashPurchase.flash_id, FlashPurchase.buyer_id],
            set_={"quantity": FlashPurchase.quantity + quantity},
            where=FlashPurchase.quantity + quantity <= flash.per_buyer_cap,
        ).returning(FlashPurchase.quantity)
        if (await s.execute(stmt)).first() is not None:
            return
    raise FlashCapReached("at most %(limit)s per buyer in this sale", field="quantity",
                          limit=flash.per_buyer_cap)


async def place_flash_order(s: AsyncSession, settings: Settings, buyer: Identified, flash: FlashListing, quantity: int,
                            address: Address, *, idempotency_key: str | None = None) -> tuple[CheckoutResult, int]:
    """Order, cap and live stock in the caller's transaction; returns the order and units left (-1: replay)."""
    result = await checkout(s, settings, buyer, [LineRequest(flash.sku_id, quantity, flash.id, flash.live_price)],
                            address, idempotency_key=idempotency_key, source=f"live:{flash.session_id}")
    if result.replayed:
        return result, -1  # the first request already took the cap and the stock
    await take_cap(s, flash, buyer.id, quantity)
    s.info.setdefault("flashes_sold", set()).add((flash.session_id, flash.id))
    conn = await s.connection()
    # Last, like the SKU stock in checkout: the hot row is locked just before commit.
    row = (await conn.execute(_TAKE_LIVE_STOCK, {"flash": flash.id, "qty": quantity})).first()
    if row is None:
        raise FlashSoldOut("sold out", field="quantity", flash_id=flash.id)
    left = int(row[1]) - int(row[0])
    if left == 0:
        await record_event(s, "flash.sold_out", {"session_id": flash.session_id, "flash_id": flash.id})
    return result, left


async def buy_flash(s: AsyncSession, settings: Settings, buyer: Identified, flash_id: int, quantity: int,
                    address: Address, *, idempotency_key: str | None = None) -> tuple[CheckoutResult, int]:
    """DB mode: the whole purchase is one transaction."""
    flash, _ = await get_flash(s, flash_id)
    if not is_open(flash, utcnow()):
        raise FlashNotOpen("this sale is not open" if flash.status != "closed" else "this sale has ended")
    return await place_flash_order(s, settings, buyer, flash, quantity, address, idempotency_key=idempotency_key)


async def close_flash(s: AsyncSession, flash_id: int, *, host: User | None = None,
                      reason: str = "closed") -> FlashListing:
    """End a flash; unsold live stock goes back to the SKU (unless the shop chose otherwise)."""
    flash, session = await get_flash(s, flash_id)
    if host is not None:
        await hosted_session(s, host, session.id)
    closed = await s.execute(update(FlashListing).where(FlashListing.id == flash.id, FlashListing.status != "closed")
                             .values(status="closed", closes_at=utcnow()).returning(FlashListing.sold))
    row = closed.first()
    if row is None:
        return flash  # closed already
    await s.refresh(flash)
    unsold = flash.live_stock - int(row[0])
    if flash.return_unsold and unsold > 0:
        await s.execute(update(Sku).where(Sku.id == flash.sku_id).values(stock=Sku.stock + unsold))
        flash.returned = unsold
    await record_event(s, "flash.closed", {"session_id": flash.session_id, "flash_id": flash.id, "sold": int(row[0]),
                                           "returned": flash.returned, "reason": reason})
    return flash


async def open_due(s: AsyncSession, now: datetime) -> list[int]:
    """Mark flashes whose countdown ended as open and announce it; returns their ids."""
    rows = await s.execute(update(FlashListing).where(FlashListing.status == "scheduled", FlashListing.opens_at <= now)
                           .values(status="open").returning(FlashListing.id, FlashListing.session_id))
    opened = sorted((int(i), int(sid)) for i, sid in rows.all())
    for flash_id, session_id in opened:
        await record_event(s, "flash.opened", {"session_id": session_id, "flash_id": flash_id})
    return [f for f, _ in opened]


async def due_to_close(s: AsyncSession, now: datetime) -> list[int]:
    stmt = select(FlashListing.id).where(FlashListing.status != "closed", FlashListing.closes_at <= now)
    return [int(i) for i in (await s.execute(stmt)).scalars()]


async def open_for_session(s: AsyncSession, session_id: int) -> list[int]:
    stmt = select(FlashListing.id).where(FlashListing.session_id == session_id, FlashListing.status != "closed")
    return [int(i) for i in (await s.execute(stmt)).scalars()]
