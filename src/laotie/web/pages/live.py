"""Live pages: the room viewers watch and buy in, and the streamer's console."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from laotie.alliance.service import promotions
from laotie.catalog import service as catalog
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.money import parse_yuan
from laotie.kit.types import MAX_ID, PathId
from laotie.ledger import service as ledger
from laotie.live import repository
from laotie.live.analytics import service as analytics
from laotie.live.endpoints import rtmp_url
from laotie.live.errors import ReservationNotFound
from laotie.live.gifts import service as gifts
from laotie.live.media import service as viewer_latency
from laotie.live.pk import service as pk
from laotie.live.sale.service import cart, coupons, flash, lucky_bags
from laotie.live.service import presence, rooms, sessions
from laotie.models import FlashListing, User, utcnow
from laotie.orders.gateway import gateway_for
from laotie.orders.service import queries
from laotie.orders.service.checkout import PHONE_PATTERN, Address
from laotie.web.i18n import N_
from laotie.web.render import Form, MaybeUser, PageUser, attempt, number, redirect, render, text

router = APIRouter(prefix="/live", include_in_schema=False)

# The names of the states and kinds the live pages show; the templates translate them: _(labels.flash[f.status]).
LABELS: dict[str, dict[str, str]] = {
    "session": {"scheduled": N_("Scheduled"), "live": N_("On air"), "ended": N_("Ended")},
    "end_reason": {"host_ended": N_("ended by the host"), "publish_done": N_("the stream stopped"),
                   "operator_cut": N_("cut off by the platform")},
    "flash": {"scheduled": N_("Counting down"), "open": N_("Selling now"), "closed": N_("Sale over")},
    "coupon": {"created": N_("Not pushed yet"), "pushed": N_("Pushed")},
    "bag": {"open": N_("Open for entries"), "drawn": N_("Drawn")},
    "condition": {"comment": N_("Comment a keyword"), "watch": N_("Watch for N minutes"),
                  "follow": N_("Follow the host")},
    "pk": {"pending": N_("Waiting for an answer"), "running": N_("In progress"), "finished": N_("Finished"),
           "declined": N_("Declined"), "expired": N_("Expired"), "cancelled": N_("Cancelled")},
    "metric": {"gmv": N_("GMV"), "likes": N_("Likes")},
}


@router.get("")
async def live_now(request: Request, s: Session, user: MaybeUser) -> Response:
    return render(request, "live/index.html", user=user, rooms=await rooms.rooms_now(s, utcnow(), upcoming_limit=20))


# ---- the streamer's console (registered before /{session_id} so "console" is not an id) ----


# A new stream key crosses the POST-redirect-GET in this cookie, read and cleared by the next console
# page: shown once, never in an address, gone from the browser as soon as it was shown.
NEW_KEY_COOKIE = "laotie_new_stream_key"
CONSOLE = "/live/console"


async def _console(request: Request, s: Session, user: PageUser, status_code: int = 200, **extra: object) -> Response:
    sessions.ensure_host(user)
    mine = await repository.sessions(s, None, limit=20, host_id=user.id)
    current = next((x for x in mine if x.status in ("live", "scheduled")), None)
    # Selling needs a shop; a creator without one is shown what they can do and where to start.
    has_shop = await catalog.shop_of_owner(s, user.id) is not None
    ctx: dict[str, object] = {"user": user, "mine": mine, "current": current, "has_shop": has_shop,
                              "labels": LABELS, **extra}
    if current is not None:
        ctx["room"] = room = await cart.room_view(s, current.id)
        ctx["coupons"] = await coupons.session_coupons(s, current.id)
        ctx["bags"] = await lucky_bags.session_bags(s, current.id)
        ctx["pk_incoming"] = await pk.incoming_challenges(s, current.id, utcnow())
        ctx["pk_contests"] = await pk.session_contests(s, current.id, limit=5)
        ctx["gift_total"], ctx["gift_ranking"] = await gifts.gift_ranking(s, current.id)
        ctx["gift_earnings"] = await ledger.creator_gift_earnings(s, user.id)
        try:
            _, products, skus = await catalog.shop_products(s, user)
            ctx["products"] = [p for p in products if p.status == "published" and not p.is_external]
            ctx["skus"] = skus
        except DomainError:
            ctx["products"], ctx["skus"] = [], {}
        # Library products the host promotes (好物联盟) go into the live cart as their own do.
        ctx["promoted"] = [p for _, _, p in await promotions.showcase(s, user.id) if not p.is_external]
        if current.status == "live":
            ctx["live_analytics"] = figures = await analytics.session_analytics(s, user, current.id)
            ctx["live_chart"] = analytics.chart_data(figures)
            ctx["cue"] = _host_cue(request, current.id, room.flashes)
    ctx["rtmp_url"] = rtmp_url(get_db(request).settings)
    return render(request, "live/console.html", status_code=status_code, **ctx)


@router.get("/console")
async def console(request: Request, s: Session, user: PageUser) -> Response:
    new_key = request.cookies.get(NEW_KEY_COOKIE)
    response = await _console(request, s, user, stream_key=new_key[:200] if new_key else None)
    if new_key:
        response.delete_cookie(NEW_KEY_COOKIE, path=CONSOLE)
    return response


@router.get("/console/{session_id}/analytics")
async def console_analytics(request: Request, session_id: PathId, s: Session, user: PageUser) -> Response:
    """The figures of one session: the fragment the console polls while live, or a page of its own."""
    figures = await analytics.session_analytics(s, user, session_id)
    template = "live/_analytics.html" if request.headers.get("hx-request") else "live/analytics.html"
    return render(request, template, user=user, a=figures, chart=analytics.chart_data(figures))


@router.get("/console/{session_id}/cue")
async def console_cue(request: Request, session_id: PathId, s: Session, user: PageUser) -> Response:
    """The viewers' delay and the host's countdown: the fragment the console polls while live."""
    session = await sessions.hosted_session(s, user, session_id)
    return render(request, "live/_host_cue.html", user=user, fragment=True,
                  cue=_host_cue(request, session.id, list(await repository.flashes(s, session.id))))


def _host_cue(request: Request, session_id: int, flashes: list[FlashListing]) -> dict[str, object]:
    """Viewers see the host late by the room's median latency, so the host's "3-2-1 上车" ends that much early.

    The host's countdown reaches 0 at (opening − median latency): the viewers hear "上车" as
    their buttons open. A countdown shorter than the delay cannot be caught up with; the
    form suggests one long enough for all of "3-2-1" to arrive before the opening.
    """
    latency = viewer_latency.room_latency(viewer_latency.latency_of(get_db(request)), session_id)
    now = utcnow()
    lead = timedelta(milliseconds=latency.median_ms or 0)
    return {"session_id": session_id, "latency": latency, "server_now": now,
            "countdowns": [(f, f.opens_at - lead) for f in flashes if f.status != "closed" and f.opens_at > now],
            "suggested_countdown": 3 + math.ceil(latency.seconds or 0)}


@router.post("/console/{action}")
async def console_action(request: Request, action: Annotated[str, Path(pattern=r"^(key|session)$")],
                         s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            if action == "key":
                raw = await sessions.rotate_stream_key(s, user)
                response = redirect(CONSOLE)
                response.set_cookie(NEW_KEY_COOKIE, raw, max_age=120, path=CONSOLE, httponly=True, samesite="strict",
                                    secure=get_db(request).settings.cookie_secure)
                return response
            title = text(data, "title", 120)
            if not title:
                raise DomainError("give the session a title", code="invalid_request", status=422, field="title")
            await sessions.schedule_session(s, user, title=title)
    except DomainError as exc:
        return await _console(request, s, user, status_code=exc.status, error=exc.message)
    return redirect("/live/console")


@router.post("/console/{session_id}/{action}")
async def session_action(request: Request, session_id: PathId, action: str, s: Session, user: PageUser,
                         data: Form) -> Response:
    product = number(data, "product_id", lo=1, hi=MAX_ID)
    try:
        async with attempt(s):
            if action == "add" and product:
                await cart.add_to_live_cart(s, user, session_id, product)
            elif action == "remove" and product:
                await cart.remove_from_live_cart(s, user, session_id, product)
            elif action == "up" and product:
                ids = [p.id for _, p in await repository.cart(s, session_id)]
                i = ids.index(product) if product in ids else 0
                if i > 0:
                    ids[i - 1], ids[i] = ids[i], ids[i - 1]
                await cart.reorder_live_cart(s, user, session_id, ids)
            elif action == "pin":
                await cart.pin_product(s, user, session_id, product)
            elif action == "flash":
                await flash.schedule_flash(s, get_db(request).settings, user, session_id, flash.FlashTerms(
                    sku_id=number(data, "sku_id", lo=1, hi=MAX_ID) or 0, live_price=_price(data),
                    live_stock=number(data, "live_stock", lo=1, hi=1_000_000) or 1,
                    per_buyer_cap=number(data, "per_buyer_cap", lo=1, hi=100) or 1,
                    countdown_seconds=_or(number(data, "countdown", lo=0, hi=600), 3)))
            elif action == "close-flash":
                await flash.close_flash(s, number(data, "flash_id", lo=1, hi=MAX_ID) or 0, host=user,
                                        reason="host_closed")
            elif action == "coupon":
                await coupons.create_coupon(s, user, session_id, coupons.CouponTerms(
                    amount_off=_yuan(data, "amount_off"), min_spend=_yuan(data, "min_spend"),
                    total=number(data, "total", lo=1, hi=1_000_000) or 1,
                    valid_until=utcnow() + timedelta(minutes=number(data, "valid_minutes", lo=1, hi=10_080) or 60),
                    live_cart_only=data.get("live_cart_only") == "on"))
            elif action == "push-coupon":
                await coupons.push_coupon(s, user, number(data, "coupon_id", lo=1, hi=MAX_ID) or 0)
            elif action == "lucky-bag":
                await lucky_bags.create_lucky_bag(s, user, session_id, lucky_bags.BagTerms(
                    sku_id=number(data, "sku_id", lo=1, hi=MAX_ID) or 0,
                    prizes=number(data, "prizes", lo=1, hi=lucky_bags.MAX_PRIZES) or 1,
                    condition=text(data, "condition", 20), keyword=text(data, "keyword", 40) or None,
                    watch_minutes=number(data, "watch_minutes", lo=1, hi=600),
                    ends_at=utcnow() + timedelta(minutes=number(data, "minutes", lo=1, hi=1440) or 5)))
            elif action == "pk":
                await pk.challenge_pk(s, user, session_id, number(data, "opponent_session_id", lo=1, hi=MAX_ID) or 0,
                                      text(data, "metric", 10),
                                      (number(data, "minutes", lo=1, hi=60) or 5) * 60)
            elif action in ("pk-accept", "pk-decline", "pk-cancel"):
                answer = {"pk-accept": pk.accept_pk, "pk-decline": pk.decline_pk, "pk-cancel": pk.cancel_pk}[action]
                await answer(s, user, number(data, "pk_id", lo=1, hi=MAX_ID) or 0)
            elif action == "end":
                await sessions.end_session(s, user, session_id)
            else:
                raise DomainError("unknown action", code="not_found", status=404)
    except DomainError as exc:
        return await _console(request, s, user, status_code=exc.status, error=exc.message)
    return redirect("/live/console")


def _or(value: int | None, default: int) -> int:
    return default if value is None else value  # 0 is a real countdown: "open now"


def _yuan(data: dict[str, str], name: str) -> int:
    try:
        value = parse_yuan(data.get(name, ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise DomainError("enter an amount in yuan, e.g. 10 or 9.90", code="invalid_request", status=422, field=name)
    return value


def _price(data: dict[str, str]) -> int:
    try:
        value = parse_yuan(data.get("live_price", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise DomainError("enter the live price, e.g. 9.90", code="invalid_request", status=422, field="live_price")
    return value


# ---- the room ------------------------------------------------------------------------


async def _address(s: Session, user: MaybeUser) -> dict[str, str]:
    """Where the buyer shipped last: a flash sale is bought in one tap, not a form."""
    last = await queries.last_address(s, user) if user else None
    return dict(zip(("recipient", "phone", "address"), last or ("", "", ""), strict=True))


async def _promotions(s: Session, session_id: int, user: User | None) -> dict[str, Any]:
    """Coupons pushed in the room (with the viewer's claims), its lucky bags, PK, gift ranking, and state names."""
    now = utcnow()
    pushed = [c for c in await coupons.session_coupons(s, session_id)
              if c.status == "pushed" and c.valid_until > now]
    claims = await coupons.my_claims(s, user.id, [c.id for c in pushed]) if user else {}
    gift_total, ranking = await gifts.gift_ranking(s, session_id, limit=gifts.RANKING_SHOWN)
    return {"coupons": pushed, "claims": claims, "bags": await lucky_bags.session_bags(s, session_id),
            "pk": await pk.latest_for_session(s, session_id), "gifts": list(gifts.GIFTS.values()),
            "gift_total": gift_total, "gift_ranking": ranking,
            "coin_balance": await gifts.coin_balance(s, user.id) if user else 0, "labels": LABELS}


@router.get("/{session_id}")
async def room_page(request: Request, session_id: PathId, s: Session, user: MaybeUser) -> Response:
    room = await cart.room_view(s, session_id)
    if user is not None:
        # Opening the room counts as being in it (see live/service/presence.py); the socket keeps it up.
        await presence.touch_presence(s, room.session.id, user.id, utcnow())
    return render(request, "live/room.html", user=user, room=room, server_now=utcnow(),
                  address=await _address(s, user), **await _promotions(s, session_id, user))


@router.get("/{session_id}/panel")
async def room_panel(request: Request, session_id: PathId, s: Session, user: MaybeUser) -> Response:
    """The PK bar, pinned card, live cart, flash sales, coupons and lucky bags; refreshed when the room says so."""
    return render(request, "live/_panel.html", user=user, room=await cart.room_view(s, session_id),
                  server_now=utcnow(), address=await _address(s, user), **await _promotions(s, session_id, user))


@router.post("/coupons/{coupon_id}/claim")
async def claim_coupon(request: Request, coupon_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    """领券 from the room page; a refusal is shown on the room page with its reason."""
    coupon = await coupons.get_coupon(s, coupon_id)
    try:
        async with attempt(s):
            await coupons.claim_coupon(s, user, coupon_id)
    except DomainError as exc:
        return render(request, "live/room.html", status_code=exc.status, user=user,
                      room=await cart.room_view(s, coupon.session_id), server_now=utcnow(), error=exc.message,
                      error_code=exc.code, address=await _address(s, user),
                      **await _promotions(s, coupon.session_id, user))
    return redirect(f"/live/{coupon.session_id}#room-panel")


@router.post("/flash/{flash_id}/buy")
async def buy_flash(request: Request, flash_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    db = get_db(request)
    address = Address(text(data, "recipient", 60), text(data, "phone", 30), text(data, "address", 300))
    _, session = await flash.get_flash(s, flash_id)
    if not address.recipient or not address.address or not re.match(PHONE_PATTERN, address.phone):
        return render(request, "error.html", status_code=422, user=user,
                      error="Please give a recipient, a phone number and an address.")
    gate = db.services.get("flash_gate")
    try:
        async with attempt(s):
            if gate is not None:
                reservation = await gate.reserve(user.id, flash_id, number(data, "quantity", lo=1, hi=100) or 1,
                                                 address, s)
                db.services["stock_feed"].mark(flash_id)
                return redirect(f"/live/reservations/{reservation.reservation_id}")
            result, _ = await flash.buy_flash(s, db.settings, user, flash_id,
                                              number(data, "quantity", lo=1, hi=100) or 1, address,
                                              idempotency_key=text(data, "idempotency_key", 120) or None)
    except DomainError as exc:
        room = await cart.room_view(s, session.id)
        return render(request, "live/room.html", status_code=exc.status, user=user, room=room, server_now=utcnow(),
                      error=exc.message, error_code=exc.code, address=address.__dict__,
                      **await _promotions(s, session.id, user))
    return redirect(result.pay_url)


@router.get("/reservations/{reservation_id}")
async def reservation_page(request: Request, s: Session, user: PageUser,
                           reservation_id: Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
                           ) -> Response:
    """Redis mode: the order is being written; this page waits for it, then goes to payment."""
    gate = get_db(request).services.get("flash_gate")
    if gate is None:  # database mode takes no reservations, so this one cannot exist
        raise ReservationNotFound("no such reservation", field="reservation_id")
    status, payment_id, code = await gate.status(s, user, reservation_id)
    if payment_id is not None:
        return redirect(gateway_for(get_db(request).settings).pay_url(payment_id))
    return render(request, "live/reservation.html", user=user, status=status, code=code)


@router.get("/lucky-bags/{bag_id}")
async def lucky_bag_page(request: Request, bag_id: PathId, s: Session, user: MaybeUser) -> Response:
    """A lucky bag's public record in words: who could enter, how many did, the seed, and whether it checks out."""
    bag = await lucky_bags.get_bag(s, bag_id)
    verified = None if bag.seed is None else lucky_bags.draw(bag.seed, bag.entrants or [], bag.prizes) == (
        bag.winners or [])
    return render(request, "live/lucky_bag.html", user=user, bag=bag, verified=verified, labels=LABELS)
