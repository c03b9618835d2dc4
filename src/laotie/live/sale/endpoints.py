"""HTTP for selling in the room: the live cart and pinning, flash sales, coupons, lucky bags."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from laotie.identity import token_cache
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.live.endpoints import session_out
from laotie.live.errors import ReservationNotFound
from laotie.live.sale import taps
from laotie.live.sale.schemas import (
    CartIn,
    CartOrderIn,
    ClaimOut,
    CouponIn,
    CouponOut,
    FlashBuyIn,
    FlashBuyOut,
    FlashIn,
    FlashOut,
    LuckyBagIn,
    LuckyBagOut,
    PinIn,
    ReservationOut,
)
from laotie.live.sale.service import cart, coupons, flash, lucky_bags
from laotie.live.schemas import SessionOut
from laotie.models import CouponClaim, FlashListing, LiveCoupon, LuckyBag, utcnow
from laotie.orders.endpoints import IdempotencyKey
from laotie.orders.gateway import gateway_for
from laotie.orders.service import queries
from laotie.orders.service.checkout import Address

router = APIRouter(prefix="/api/v1/live", tags=["live"])


@router.post("/sessions/{session_id}/cart", status_code=204)
async def add_to_cart(session_id: PathId, body: CartIn, user: CurrentUser, s: Session) -> None:
    await cart.add_to_live_cart(s, user, session_id, body.product_id)


@router.delete("/sessions/{session_id}/cart/{product_id}", status_code=204)
async def remove_from_cart(session_id: PathId, product_id: PathId, user: CurrentUser, s: Session) -> None:
    await cart.remove_from_live_cart(s, user, session_id, product_id)


@router.put("/sessions/{session_id}/cart", status_code=204)
async def reorder_cart(session_id: PathId, body: CartOrderIn, user: CurrentUser, s: Session) -> None:
    await cart.reorder_live_cart(s, user, session_id, body.product_ids)


@router.post("/sessions/{session_id}/pin")
async def pin(session_id: PathId, body: PinIn, request: Request, user: CurrentUser, s: Session) -> SessionOut:
    return await session_out(request, s, await cart.pin_product(s, user, session_id, body.product_id))


def flash_out(f: FlashListing) -> FlashOut:
    return FlashOut(id=f.id, session_id=f.session_id, sku_id=f.sku_id, live_price=f.live_price,
                    live_stock=f.live_stock, sold=f.sold, left=f.live_stock - f.sold, per_buyer_cap=f.per_buyer_cap,
                    opens_at=f.opens_at, closes_at=f.closes_at, status=f.status, returned=f.returned,
                    server_now=utcnow())


@router.post("/sessions/{session_id}/flash", status_code=201)
async def schedule_flash(session_id: PathId, body: FlashIn, request: Request, user: CurrentUser,
                         s: Session) -> FlashOut:
    terms = flash.FlashTerms(**body.model_dump())
    return flash_out(await flash.schedule_flash(s, get_db(request).settings, user, session_id, terms))


@router.get("/flash/{flash_id}")
async def get_flash(flash_id: PathId, s: Session) -> FlashOut:
    return flash_out((await flash.get_flash(s, flash_id))[0])


@router.post("/flash/{flash_id}/close")
async def close_flash(flash_id: PathId, user: CurrentUser, s: Session) -> FlashOut:
    return flash_out(await flash.close_flash(s, flash_id, host=user, reason="host_closed"))


@router.post("/flash/{flash_id}/buy", status_code=201, responses={202: {"model": FlashBuyOut}})
async def buy_flash(flash_id: PathId, body: FlashBuyIn, request: Request, response: Response,
                    idempotency_key: IdempotencyKey = None) -> FlashBuyOut:
    """上车: 201 with the order (database mode) or 202 with a reservation (Redis mode).

    Served by the lean path (fastpath.py), which answers exactly as this does. The buyer comes
    from the token cache and no request-wide transaction is opened: a tap this process knows
    cannot succeed (sold out, not open yet, ended) is refused from memory, in Redis mode the
    purchase does not touch the database at all, and in database mode it is one transaction.
    The same Idempotency-Key (or a socket tap's request_id) gets the same answer.
    """
    db = get_db(request)
    buyer_id = await token_cache.user_id_for(db, request.headers.get("authorization", ""))
    answer = await taps.tap(db, buyer_id, flash_id, body.quantity, Address(**body.address.model_dump()),
                            idempotency_key or "")
    response.status_code = 202 if answer.status == "accepted" else 201
    return FlashBuyOut(**taps.describe(answer))


@router.get("/flash/reservations/{reservation_id}")
async def reservation(reservation_id: Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_-]+$")],
                      request: Request, user: CurrentUser, s: Session) -> ReservationOut:
    gate = get_db(request).services.get("flash_gate")
    if gate is None:  # database mode takes no reservations, so this one cannot exist
        raise ReservationNotFound("no such reservation (flash sales run in database mode here)",
                                  field="reservation_id")
    status, payment_id, code = await gate.status(s, user, reservation_id)
    if payment_id is None:
        return ReservationOut(status=status, code=code)
    orders = await queries.payment_orders(s, payment_id)
    return ReservationOut(status=status, payment_id=payment_id, order_ids=[o.id for o in orders],
                          pay_url=gateway_for(get_db(request).settings).pay_url(payment_id))


def coupon_out(c: LiveCoupon) -> CouponOut:
    return CouponOut(id=c.id, session_id=c.session_id, shop_id=c.shop_id, amount_off=c.amount_off,
                     min_spend=c.min_spend, total=c.total, claimed=c.claimed, left=c.total - c.claimed,
                     valid_until=c.valid_until, live_cart_only=c.live_cart_only, status=c.status)


def claim_out(c: CouponClaim) -> ClaimOut:
    return ClaimOut(coupon_id=c.coupon_id, user_id=c.user_id, status=c.status, order_id=c.order_id)


@router.post("/sessions/{session_id}/coupons", status_code=201)
async def create_coupon(session_id: PathId, body: CouponIn, user: CurrentUser, s: Session) -> CouponOut:
    return coupon_out(await coupons.create_coupon(s, user, session_id, coupons.CouponTerms(**body.model_dump())))


@router.get("/sessions/{session_id}/coupons")
async def list_coupons(session_id: PathId, s: Session) -> list[CouponOut]:
    return [coupon_out(c) for c in await coupons.session_coupons(s, session_id)]


@router.post("/coupons/{coupon_id}/push")
async def push_coupon(coupon_id: PathId, user: CurrentUser, s: Session) -> CouponOut:
    return coupon_out(await coupons.push_coupon(s, user, coupon_id))


@router.post("/coupons/{coupon_id}/claim", status_code=201)
async def claim_coupon(coupon_id: PathId, user: CurrentUser, s: Session) -> ClaimOut:
    return claim_out(await coupons.claim_coupon(s, user, coupon_id))


def bag_out(b: LuckyBag) -> LuckyBagOut:
    verified = None
    if b.seed is not None:
        verified = lucky_bags.draw(b.seed, b.entrants or [], b.prizes) == (b.winners or [])
    return LuckyBagOut(id=b.id, session_id=b.session_id, sku_id=b.sku_id, prizes=b.prizes, condition=b.condition,
                       keyword=b.keyword, watch_minutes=b.watch_minutes, ends_at=b.ends_at, status=b.status,
                       seed=b.seed, entrants=b.entrants or [], winners=b.winners or [],
                       prize_order_ids=b.prize_order_ids or [], returned=b.returned, verified=verified)


@router.post("/sessions/{session_id}/lucky-bags", status_code=201)
async def create_lucky_bag(session_id: PathId, body: LuckyBagIn, user: CurrentUser, s: Session) -> LuckyBagOut:
    terms = lucky_bags.BagTerms(sku_id=body.sku_id, prizes=body.prizes, condition=body.condition,
                                keyword=body.keyword, watch_minutes=body.watch_minutes,
                                ends_at=utcnow() + timedelta(seconds=body.duration_seconds))
    return bag_out(await lucky_bags.create_lucky_bag(s, user, session_id, terms))


@router.get("/lucky-bags/{bag_id}")
async def get_lucky_bag(bag_id: PathId, s: Session) -> LuckyBagOut:
    """Public: anyone can check a draw from its recorded seed and entrants."""
    return bag_out(await lucky_bags.get_bag(s, bag_id))

