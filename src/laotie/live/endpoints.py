"""Live API: stream keys, sessions, the live cart and pinning; operators cut and suspend."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from laotie.config import Settings
from laotie.identity import token_cache
from laotie.identity.auth import CurrentUser, api_user
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.live import repository
from laotie.live.analytics import service as analytics
from laotie.live.pk import service as pk
from laotie.live.sale.service import cart, coupons, flash, lucky_bags
from laotie.live.schemas import (
    AnalyticsOut,
    CartIn,
    CartOrderIn,
    ClaimOut,
    CouponIn,
    CouponOut,
    CutIn,
    FlashBuyIn,
    FlashBuyOut,
    FlashIn,
    FlashOut,
    LuckyBagIn,
    LuckyBagOut,
    MinuteOut,
    PinIn,
    PkIn,
    PkOut,
    ReservationOut,
    SessionIn,
    SessionOut,
    StreamKeyOut,
    SuspendIn,
)
from laotie.live.service import presence, sessions
from laotie.models import CouponClaim, FlashListing, LiveCoupon, LiveSession, LuckyBag, PkContest, utcnow
from laotie.orders.endpoints import IdempotencyKey
from laotie.orders.gateway import gateway_for
from laotie.orders.service import queries
from laotie.orders.service.checkout import Address

router = APIRouter(prefix="/api/v1/live", tags=["live"])


def rtmp_url(settings: Settings) -> str:
    return settings.rtmp_public_url or f"rtmp://{settings.rtmp_bind}:{settings.rtmp_port}/live"


def playback_url(request: Request, session: LiveSession) -> str:
    return f"/hls/{session.playback_name}.m3u8"


async def session_out(request: Request, s: Session, session: LiveSession) -> SessionOut:
    items = await repository.cart(s, session.id)
    return SessionOut(
        id=session.id, host_id=session.host_id, shop_id=session.shop_id, title=session.title,
        status=session.status, playback_url=playback_url(request, session), scheduled_for=session.scheduled_for,
        started_at=session.started_at, ended_at=session.ended_at, end_reason=session.end_reason,
        pinned_product_id=session.pinned_product_id, cart_product_ids=[p.id for _, p in items],
    )


@router.post("/keys", status_code=201)
async def rotate_key(request: Request, user: CurrentUser, s: Session) -> StreamKeyOut:
    settings = get_db(request).settings
    raw = await sessions.rotate_stream_key(s, user)
    return StreamKeyOut(stream_key=raw, rtmp_url=rtmp_url(settings))


@router.post("/sessions", status_code=201)
async def schedule(body: SessionIn, request: Request, user: CurrentUser, s: Session) -> SessionOut:
    session = await sessions.schedule_session(s, user, title=body.title, scheduled_for=body.scheduled_for)
    return await session_out(request, s, session)


@router.get("/sessions")
async def list_sessions(request: Request, s: Session,
                        status: Annotated[str | None, Query(pattern="^(scheduled|live|ended)$")] = None
                        ) -> list[SessionOut]:
    return [await session_out(request, s, x) for x in await repository.sessions(s, status)]


@router.get("/sessions/{session_id}")
async def get_session(session_id: PathId, request: Request, s: Session) -> SessionOut:
    return await session_out(request, s, await sessions.get_session(s, session_id))


@router.get("/sessions/{session_id}/analytics")
async def session_analytics(session_id: PathId, user: CurrentUser, s: Session) -> AnalyticsOut:
    """The per-minute series (直播数据) and, once ended, the summary: for the host and operators."""
    a = await analytics.session_analytics(s, user, session_id)
    series = [MinuteOut(minute=p.minute, viewers=p.viewers, entries=p.entries, comments=p.comments, likes=p.likes,
                        orders=p.orders, gmv=p.gmv, conversion=p.conversion) for p in a.series]
    return AnalyticsOut.model_validate({"session_id": a.session.id, "status": a.session.status, "series": series,
                                        "totals": a.totals, "summary": a.summary})


@router.post("/sessions/{session_id}/end")
async def end(session_id: PathId, request: Request, user: CurrentUser, s: Session) -> SessionOut:
    return await session_out(request, s, await sessions.end_session(s, user, session_id))


@router.post("/sessions/{session_id}/cut")
async def cut(session_id: PathId, body: CutIn, request: Request, user: CurrentUser, s: Session) -> SessionOut:
    return await session_out(request, s, await sessions.cut_session(s, user, session_id, body.reason))


@router.post("/users/{user_id}/suspend", status_code=204)
async def suspend(user_id: PathId, body: SuspendIn, user: CurrentUser, s: Session) -> None:
    await sessions.suspend_live(s, user, user_id, body.until)


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

    No request-wide transaction here: in Redis mode the purchase must not touch the
    database at all (the buyer comes from the token cache), and in database mode the
    whole purchase is one explicit transaction.
    """
    db = get_db(request)
    address = Address(**body.address.model_dump())
    gate = db.services.get("flash_gate")
    authorization = request.headers.get("authorization", "")
    if gate is not None:
        buyer_id = await token_cache.user_id_for(db, authorization)
        reservation = await gate.reserve(buyer_id, flash_id, body.quantity, address)
        db.services["stock_feed"].mark(flash_id)
        response.status_code = 202
        return FlashBuyOut(status="accepted", left=reservation.left, reservation_id=reservation.reservation_id,
                           status_url=f"/api/v1/live/flash/reservations/{reservation.reservation_id}")
    async with db.transaction() as s:
        user = await api_user(request, s)
        result, left = await flash.buy_flash(s, db.settings, user, flash_id, body.quantity, address,
                                             idempotency_key=idempotency_key)
    return FlashBuyOut(status="placed", left=left, payment_id=result.payment_id, order_ids=result.order_ids,
                       pay_url=result.pay_url)


@router.get("/flash/reservations/{reservation_id}")
async def reservation(reservation_id: Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_-]+$")],
                      request: Request, user: CurrentUser, s: Session) -> ReservationOut:
    gate = get_db(request).services.get("flash_gate")
    if gate is None:
        return ReservationOut(status="failed", code="no_reservations_in_database_mode")
    status, payment_id, code = await gate.status(s, user, reservation_id)
    if payment_id is None:
        return ReservationOut(status=status, code=code)
    orders = await queries.payment_orders(s, payment_id)
    return ReservationOut(status=status, payment_id=payment_id, order_ids=[o.id for o in orders],
                          pay_url=gateway_for(get_db(request).settings).pay_url(payment_id))


# ---- in-room promotions: presence, coupons, lucky bags -------------------------------------------


@router.post("/sessions/{session_id}/presence", status_code=204)
async def here(session_id: PathId, user: CurrentUser, s: Session) -> None:
    """For API clients (apps) that watch without the room's socket: call every ~30 s while watching."""
    await sessions.get_session(s, session_id)
    await presence.touch_presence(s, session_id, user.id, utcnow())


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


# ---- PK contests ---------------------------------------------------------------------------------


def pk_out(c: PkContest) -> PkOut:
    return PkOut(id=c.id, status=c.status, metric=c.metric, duration_seconds=c.duration_seconds,
                 challenger_session_id=c.challenger_session_id, challenger_host_id=c.challenger_host_id,
                 opponent_session_id=c.opponent_session_id, opponent_host_id=c.opponent_host_id,
                 expires_at=c.expires_at, started_at=c.started_at, ends_at=c.ends_at,
                 challenger_score=c.challenger_score, opponent_score=c.opponent_score,
                 winner_session_id=c.winner_session_id, end_reason=c.end_reason)


@router.post("/sessions/{session_id}/pk", status_code=201)
async def challenge_pk(session_id: PathId, body: PkIn, user: CurrentUser, s: Session) -> PkOut:
    return pk_out(await pk.challenge_pk(s, user, session_id, body.opponent_session_id, body.metric,
                                        body.duration_seconds))


@router.get("/sessions/{session_id}/pk")
async def session_pk(session_id: PathId, s: Session) -> PkOut | None:
    """Public: the room's running contest, else its last finished one (null if it never had one)."""
    await sessions.get_session(s, session_id)
    contest = await pk.latest_for_session(s, session_id)
    return pk_out(contest) if contest is not None else None


@router.get("/pk/{pk_id}")
async def get_pk(pk_id: PathId, s: Session) -> PkOut:
    return pk_out(await pk.get_pk(s, pk_id))


@router.post("/pk/{pk_id}/accept")
async def accept_pk(pk_id: PathId, user: CurrentUser, s: Session) -> PkOut:
    return pk_out(await pk.accept_pk(s, user, pk_id))


@router.post("/pk/{pk_id}/decline")
async def decline_pk(pk_id: PathId, user: CurrentUser, s: Session) -> PkOut:
    return pk_out(await pk.decline_pk(s, user, pk_id))


@router.post("/pk/{pk_id}/cancel")
async def cancel_pk(pk_id: PathId, user: CurrentUser, s: Session) -> PkOut:
    return pk_out(await pk.cancel_pk(s, user, pk_id))
