"""Coins and gifts pages: the wallet with its top-up packs, and sending a gift from the room."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.live.gifts import service as gifts
from laotie.orders.gateway import gateway_for
from laotie.web.render import Form, PageUser, attempt, number, redirect, render, text

router = APIRouter(include_in_schema=False)


@router.get("/coins")
async def wallet_page(request: Request, s: Session, user: PageUser, payment: int | None = None) -> Response:
    """The wallet; after paying at the gateway the buyer lands here and sees the coins arrive."""
    purchase = await gifts.purchase_of_payment(s, user, payment) if payment else None
    return render(request, "coins.html", user=user, coins=await gifts.coin_balance(s, user.id),
                  packs=gifts.COIN_PACKS, coin_value=get_db(request).settings.coin_value_fen, purchase=purchase)


@router.get("/coins/purchases/{purchase_id}")
async def purchase_status(request: Request, purchase_id: PathId, s: Session, user: PageUser) -> Response:
    """The fragment the wallet polls until the gateway's callback has credited the coins."""
    purchase = await gifts.coin_purchase(s, user, purchase_id)
    return render(request, "_coin_purchase.html", user=user, purchase=purchase,
                  coins=await gifts.coin_balance(s, user.id))


@router.post("/coins/buy")
async def buy_coins(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    settings = get_db(request).settings
    try:
        async with attempt(s):
            purchase = await gifts.buy_coins(s, settings, user, number(data, "coins", lo=1,
                                                                       hi=gifts.MAX_COINS_PER_PURCHASE) or 0)
    except DomainError as exc:
        return render(request, "coins.html", status_code=exc.status, user=user, error=exc.message,
                      coins=await gifts.coin_balance(s, user.id), packs=gifts.COIN_PACKS,
                      coin_value=settings.coin_value_fen, purchase=None)
    return redirect(gateway_for(settings).pay_url(purchase.payment_id))


@router.post("/live/{session_id}/gifts")
async def send_gift(request: Request, session_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    """Sent from the room's gift sheet with htmx, so the video keeps playing; answers with the new balance."""
    try:
        async with attempt(s):
            sent = await gifts.send_gift(s, get_db(request).settings, user, session_id, text(data, "gift", 20),
                                         number(data, "count", lo=1, hi=gifts.MAX_GIFTS_PER_SEND) or 1)
    except DomainError as exc:
        return render(request, "live/_gift_result.html", status_code=200 if request.headers.get("hx-request")
                      else exc.status, user=user, error=exc.message, error_code=exc.code,
                      balance=await gifts.coin_balance(s, user.id))
    if not request.headers.get("hx-request"):
        return redirect(f"/live/{session_id}")
    return render(request, "live/_gift_result.html", user=user, sent=sent.gift_send,
                  gift=gifts.GIFTS[sent.gift_send.gift], balance=sent.balance)
