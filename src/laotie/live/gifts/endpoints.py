"""HTTP for coins and gifts: buy coins, see the wallet, send a gift, the room's gift ranking."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.ledger import service as ledger
from laotie.live.gifts import service as gifts
from laotie.live.gifts.schemas import (
    CoinPurchaseIn,
    CoinPurchaseOut,
    GiftEarningsOut,
    GiftOut,
    GiftRankingOut,
    GiftSendIn,
    GiftSentOut,
    RankEntryOut,
    WalletOut,
)
from laotie.live.service import sessions
from laotie.models import CoinPurchase
from laotie.orders.gateway import gateway_for

router = APIRouter(prefix="/api/v1", tags=["gifts"])


def purchase_out(request: Request, p: CoinPurchase) -> CoinPurchaseOut:
    return CoinPurchaseOut(id=p.id, coins=p.coins, amount=p.amount, status=p.status, payment_id=p.payment_id,
                           pay_url=gateway_for(get_db(request).settings).pay_url(p.payment_id))


@router.get("/live/gifts")
async def gift_catalogue() -> list[GiftOut]:
    return [GiftOut(code=g.code, name=g.name, emoji=g.emoji, coins=g.coins) for g in gifts.GIFTS.values()]


@router.post("/coins/purchases", status_code=201)
async def buy_coins(body: CoinPurchaseIn, request: Request, user: CurrentUser, s: Session) -> CoinPurchaseOut:
    """Coins are credited when the payment at `pay_url` succeeds."""
    return purchase_out(request, await gifts.buy_coins(s, get_db(request).settings, user, body.coins))


@router.get("/coins/purchases/{purchase_id}")
async def coin_purchase(purchase_id: PathId, request: Request, user: CurrentUser, s: Session) -> CoinPurchaseOut:
    return purchase_out(request, await gifts.coin_purchase(s, user, purchase_id))


@router.get("/coins/wallet")
async def wallet(request: Request, user: CurrentUser, s: Session) -> WalletOut:
    return WalletOut(coins=await gifts.coin_balance(s, user.id),
                     coin_value_fen=get_db(request).settings.coin_value_fen, packs=list(gifts.COIN_PACKS))


@router.post("/live/sessions/{session_id}/gifts", status_code=201)
async def send_gift(session_id: PathId, body: GiftSendIn, request: Request, user: CurrentUser,
                    s: Session) -> GiftSentOut:
    sent = await gifts.send_gift(s, get_db(request).settings, user, session_id, body.gift, body.count)
    g = sent.gift_send
    return GiftSentOut(id=g.id, gift=g.gift, count=g.count, coins=g.coins, balance=sent.balance)


@router.get("/live/sessions/{session_id}/gift-ranking")
async def gift_ranking(session_id: PathId, s: Session,
                       limit: int = Query(10, ge=1, le=100)) -> GiftRankingOut:
    await sessions.get_session(s, session_id)
    total, ranking = await gifts.gift_ranking(s, session_id, limit)
    return GiftRankingOut(session_id=session_id, total_coins=total,
                          ranking=[RankEntryOut(rank=r.rank, user_id=r.user_id, name=r.name, coins=r.coins)
                                   for r in ranking])


@router.get("/live/earnings")
async def gift_earnings(request: Request, user: CurrentUser, s: Session) -> GiftEarningsOut:
    """The caller's share of gifts received in their rooms, in fen."""
    return GiftEarningsOut(earnings=await ledger.creator_gift_earnings(s, user.id),
                           creator_share_bps=get_db(request).settings.gift_creator_share_bps)
