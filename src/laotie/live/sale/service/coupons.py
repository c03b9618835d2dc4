"""Coupons the streamer pushes in the room (直播间优惠券): create, push, claim, spend at checkout, give back.

A coupon is a merchant coupon: the host's shop funds it and it applies to an order from
that shop (optionally only to products in this session's live cart). Claims are one per
viewer (a unique (coupon, user) row) and never exceed the count (a conditional update on
`claimed`, issued last so the hot coupon row is locked just before commit). How the
discount lands in the order and the ledger is `orders.service.checkout.Discount`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.catalog.errors import NoShop
from laotie.config import Settings
from laotie.kit.db import dialect_insert
from laotie.kit.events import record_event
from laotie.live import repository
from laotie.live.errors import (
    CouponAlreadyClaimed,
    CouponClaimedOut,
    CouponExpired,
    CouponInvalid,
    CouponNotClaimed,
    CouponNotFound,
    CouponNotPushed,
    CouponOwnShop,
    CouponUsed,
    NoShopToFund,
    SessionNotLive,
)
from laotie.live.service.presence import ensure_present
from laotie.live.service.sessions import get_session, hosted_session
from laotie.models import CouponClaim, LiveCoupon, LiveSession, Shop, User, utcnow
from laotie.orders.service import queries
from laotie.orders.service.checkout import Address, CheckoutResult, Discount, LineRequest, checkout


@dataclass(frozen=True)
class CouponTerms:
    amount_off: int
    min_spend: int
    total: int
    valid_until: datetime
    live_cart_only: bool = False


async def host_shop(s: AsyncSession, host: User) -> Shop:
    try:
        return await catalog.my_shop(s, host)
    except NoShop:
        raise NoShopToFund("open a shop first: its coupons and prizes come from it") from None


async def create_coupon(s: AsyncSession, host: User, session_id: int, terms: CouponTerms) -> LiveCoupon:
    session = await hosted_session(s, host, session_id)
    if session.status == "ended":
        raise SessionNotLive("this live session has ended")
    shop = await host_shop(s, host)
    if terms.min_spend <= terms.amount_off:
        raise CouponInvalid("the minimum spend must be above the amount off", field="min_spend")
    if terms.valid_until <= utcnow():
        raise CouponExpired("the coupon must be valid for a while yet", field="valid_until")
    coupon = LiveCoupon(session_id=session.id, shop_id=shop.id, amount_off=terms.amount_off,
                        min_spend=terms.min_spend, total=terms.total, claimed=0, valid_until=terms.valid_until,
                        live_cart_only=terms.live_cart_only, status="created", created_at=utcnow())
    s.add(coupon)
    await s.flush()
    await record_event(s, "coupon.created", {"session_id": session.id, "coupon_id": coupon.id})
    return coupon


async def get_coupon(s: AsyncSession, coupon_id: int) -> LiveCoupon:
    coupon = await s.get(LiveCoupon, coupon_id)
    if coupon is None:
        raise CouponNotFound("no such coupon")
    return coupon


def coupon_payload(coupon: LiveCoupon) -> dict[str, object]:
    return {"session_id": coupon.session_id, "coupon_id": coupon.id, "shop_id": coupon.shop_id,
            "amount_off": coupon.amount_off, "min_spend": coupon.min_spend, "total": coupon.total,
            "valid_until": coupon.valid_until.isoformat(), "live_cart_only": coupon.live_cart_only}


async def push_coupon(s: AsyncSession, host: User, coupon_id: int) -> LiveCoupon:
    """Show the coupon to everyone in the room (a `coupon.pushed` announcement); claims open."""
    coupon = await get_coupon(s, coupon_id)
    session = await hosted_session(s, host, coupon.session_id)
    if session.status != "live":
        raise SessionNotLive("push coupons while you are live")
    if coupon.valid_until <= utcnow():
        raise CouponExpired("this coupon has expired")
    coupon.status, coupon.pushed_at = "pushed", utcnow()
    # Pushing again re-announces it (a reminder for viewers who just came in).
    await record_event(s, "coupon.pushed", coupon_payload(coupon))
    return coupon


async def claim_coupon(s: AsyncSession, viewer: User, coupon_id: int) -> CouponClaim:
    """领券: one per viewer, present in the room, while the count lasts."""
    coupon = await get_coupon(s, coupon_id)
    session = await s.get(LiveSession, coupon.session_id)
    assert session is not None
    now = utcnow()
    if coupon.status != "pushed":
        raise CouponNotPushed("the host has not pushed this coupon yet")
    if session.status != "live":
        raise SessionNotLive("coupons are claimed during the live")
    if coupon.valid_until <= now:
        raise CouponExpired("this coupon has expired")
    shop = await catalog.get_shop(s, coupon.shop_id)
    if shop.owner_id == viewer.id or session.host_id == viewer.id:
        raise CouponOwnShop("you cannot claim your own shop's coupon")
    await ensure_present(s, session.id, viewer.id, now)
    inserted = await s.execute(
        dialect_insert(s, CouponClaim)
        .values(coupon_id=coupon.id, user_id=viewer.id, status="claimed", claimed_at=now)
        .on_conflict_do_nothing()
        .returning(CouponClaim.id)
    )
    claim_id = inserted.scalar()
    if claim_id is None:
        raise CouponAlreadyClaimed("you have this coupon already")
    # Last: the count is the hot row; a refusal rolls back the claim row above with it.
    taken = await s.execute(update(LiveCoupon)
                            .where(LiveCoupon.id == coupon.id, LiveCoupon.claimed < LiveCoupon.total)
                            .values(claimed=LiveCoupon.claimed + 1).returning(LiveCoupon.claimed))
    if taken.first() is None:
        raise CouponClaimedOut("all of these coupons have been claimed")
    await record_event(s, "coupon.claimed", {"session_id": session.id, "coupon_id": coupon.id,
                                             "user_id": viewer.id})
    claim = await s.get(CouponClaim, int(claim_id))
    assert claim is not None
    return claim


async def discount_for(s: AsyncSession, coupon: LiveCoupon) -> Discount:
    products = None
    if coupon.live_cart_only:
        products = frozenset(p.id for _, p in await repository.cart(s, coupon.session_id))
    return Discount(shop_id=coupon.shop_id, amount=coupon.amount_off, min_spend=coupon.min_spend,
                    product_ids=products)


async def checkout_with_coupon(s: AsyncSession, settings: Settings, buyer: User, coupon_id: int,
                               lines: list[LineRequest], address: Address, *, idempotency_key: str | None = None,
                               source: str = "direct", device_fp: str | None = None) -> CheckoutResult:
    """Checkout with a claimed coupon spent on the order from the coupon's shop.

    The claim is marked used by a conditional update before the orders are written, so
    two checkouts racing with one coupon cannot both spend it. A checkout without a
    source of its own is credited to the live session the coupon came from.
    """
    coupon = await get_coupon(s, coupon_id)
    if source == "direct":
        source = f"live:{coupon.session_id}"
    claim = (await s.execute(select(CouponClaim).where(CouponClaim.coupon_id == coupon.id,
                                                       CouponClaim.user_id == buyer.id))).scalar_one_or_none()
    if claim is None:
        raise CouponNotClaimed("claim the coupon in the live room first", field="coupon_id")
    discount = await discount_for(s, coupon)
    now = utcnow()
    spent = await s.execute(update(CouponClaim).where(CouponClaim.id == claim.id, CouponClaim.status == "claimed")
                            .values(status="used", used_at=now).returning(CouponClaim.id))
    if spent.first() is None:
        if idempotency_key:
            # A retried checkout that spent this coupon the first time gets its orders back.
            result = await checkout(s, settings, buyer, lines, address, idempotency_key=idempotency_key,
                                    source=source, discount=discount, device_fp=device_fp)
            if result.replayed:
                return result
        raise CouponUsed("this coupon has been used on another order", field="coupon_id")
    if coupon.valid_until <= now:
        raise CouponExpired("this coupon has expired", field="coupon_id")
    result = await checkout(s, settings, buyer, lines, address, idempotency_key=idempotency_key, source=source,
                            discount=discount, device_fp=device_fp)
    if result.replayed:
        # The key was first used without this coupon's claim being spent: keep the coupon.
        await s.execute(update(CouponClaim).where(CouponClaim.id == claim.id)
                        .values(status="claimed", used_at=None))
        return result
    order_id = await _order_of_shop(s, result.payment_id, coupon.shop_id)
    await s.execute(update(CouponClaim).where(CouponClaim.id == claim.id).values(order_id=order_id))
    await record_event(s, "coupon.used", {"coupon_id": coupon.id, "user_id": buyer.id, "order_id": order_id,
                                          "amount_off": coupon.amount_off})
    return result


async def _order_of_shop(s: AsyncSession, payment_id: int, shop_id: int) -> int:
    return next(o.id for o in await queries.payment_orders(s, payment_id) if o.shop_id == shop_id)


async def give_back_for_order(s: AsyncSession, order_id: int) -> int:
    """The order was cancelled (by the buyer, or unpaid past its deadline): its coupon is the buyer's again."""
    rows = await s.execute(update(CouponClaim).where(CouponClaim.order_id == order_id, CouponClaim.status == "used")
                           .values(status="claimed", order_id=None, used_at=None)
                           .returning(CouponClaim.coupon_id, CouponClaim.user_id))
    returned = rows.all()
    for coupon_id, user_id in returned:
        await record_event(s, "coupon.returned", {"coupon_id": int(coupon_id), "user_id": int(user_id),
                                                  "order_id": order_id})
    return len(returned)


async def session_coupons(s: AsyncSession, session_id: int) -> Sequence[LiveCoupon]:
    await get_session(s, session_id)
    stmt = select(LiveCoupon).where(LiveCoupon.session_id == session_id).order_by(LiveCoupon.id)
    return (await s.execute(stmt)).scalars().all()


async def my_claims(s: AsyncSession, user_id: int, coupon_ids: Sequence[int]) -> dict[int, CouponClaim]:
    if not coupon_ids:
        return {}
    stmt = select(CouponClaim).where(CouponClaim.user_id == user_id, CouponClaim.coupon_id.in_(coupon_ids))
    return {c.coupon_id: c for c in (await s.execute(stmt)).scalars()}
