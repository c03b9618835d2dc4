"""Coins and gifts (快币 and 打赏): buying coins through the gateway, sending gifts, the room ranking (打榜).

Coins are money the platform holds for a viewer: buying them is a gateway payment whose
settler credits the wallet and the ledger in the same transaction that records the
payment, so a paid purchase is credited exactly once. A gift takes coins from the wallet
by a conditional update (never below zero, whatever runs concurrently), and the ledger
moves their value to the creator's share (default 50%) and the platform's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.kit.db import dialect_insert
from laotie.kit.errors import DomainError, Message
from laotie.kit.events import record_event
from laotie.ledger import service as ledger
from laotie.live import repository
from laotie.live.chat.service import ensure_may_post, live_session
from laotie.live.errors import CoinPurchaseNotFound, InsufficientCoins, OwnRoomGift, UnknownGift
from laotie.models import CoinPurchase, CoinWallet, GiftSend, Payment, User, utcnow
from laotie.orders.service import payment as payments

MAX_COINS_PER_PURCHASE = 100_000
MAX_GIFTS_PER_SEND = 99
COIN_PACKS = (10, 60, 300, 980, 2980, 9980)
# The top senders the room shows and each gift announcement carries (the 打榜 strip).
RANKING_SHOWN = 5


@dataclass(frozen=True)
class Gift:
    code: str
    name: str
    emoji: str
    coins: int


GIFTS: dict[str, Gift] = {g.code: g for g in (
    Gift("heart", "小心心", "❤️", 1),
    Gift("lollipop", "棒棒糖", "🍭", 9),
    Gift("kiss", "么么哒", "💋", 52),
    Gift("car", "跑车", "🏎️", 520),
    Gift("rocket", "火箭", "🚀", 1000),
)}


# ---- coins ------------------------------------------------------------------------------


async def buy_coins(s: AsyncSession, settings: Settings, user: User, coins: int) -> CoinPurchase:
    """Open a purchase of `coins`; they are credited when its payment succeeds."""
    if not 1 <= coins <= MAX_COINS_PER_PURCHASE:
        raise DomainError("buy between 1 and %(most)s coins", code="invalid_request", status=422,
                          field="coins", most=MAX_COINS_PER_PURCHASE)
    amount = coins * settings.coin_value_fen
    pay = await payments.open_payment(s, settings, user.id, amount, "coins")
    purchase = CoinPurchase(user_id=user.id, payment_id=pay.id, coins=coins, amount=amount, status="pending")
    s.add(purchase)
    await s.flush()
    return purchase


async def credit_coins(s: AsyncSession, pay: Payment) -> None:
    """The settler of "coins" payments: runs once, in the transaction that marks the payment paid."""
    purchase = (await s.execute(select(CoinPurchase).where(CoinPurchase.payment_id == pay.id))).scalar_one()
    now = utcnow()
    won = await s.execute(update(CoinPurchase).where(CoinPurchase.id == purchase.id, CoinPurchase.status == "pending")
                          .values(status="credited", credited_at=now).returning(CoinPurchase.id))
    if won.first() is None:
        return
    await s.execute(
        dialect_insert(s, CoinWallet).values(user_id=purchase.user_id, coins=purchase.coins, updated_at=now)
        .on_conflict_do_update(index_elements=[CoinWallet.user_id],
                               set_={"coins": CoinWallet.coins + purchase.coins, "updated_at": now})
    )
    await ledger.record_coins_bought(s, purchase_id=purchase.id, user_id=purchase.user_id, amount=purchase.amount)
    await record_event(s, "coins.credited", {"purchase_id": purchase.id, "user_id": purchase.user_id,
                                            "coins": purchase.coins})


payments.register_purpose("coins", credit_coins, "/coins?payment={payment_id}")


async def coin_purchase(s: AsyncSession, user: User, purchase_id: int) -> CoinPurchase:
    purchase = await s.get(CoinPurchase, purchase_id, populate_existing=True)
    if purchase is None or purchase.user_id != user.id:
        raise CoinPurchaseNotFound("no such coin purchase")
    return purchase


async def purchase_of_payment(s: AsyncSession, user: User, payment_id: int) -> CoinPurchase | None:
    got = await s.execute(select(CoinPurchase).where(CoinPurchase.payment_id == payment_id,
                                                     CoinPurchase.user_id == user.id))
    return got.scalar_one_or_none()


async def coin_balance(s: AsyncSession, user_id: int) -> int:
    got = await s.execute(select(CoinWallet.coins).where(CoinWallet.user_id == user_id))
    return int(got.scalar_one_or_none() or 0)


# ---- gifts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    gift_send: GiftSend
    balance: int


async def send_gift(s: AsyncSession, settings: Settings, sender: User, session_id: int, gift_code: str,
                    count: int) -> Sent:
    """Send `count` of a gift to the host of a live room, paid in coins."""
    gift = GIFTS.get(gift_code)
    if gift is None:
        raise UnknownGift(f"no gift called {gift_code!r}", field="gift")
    if not 1 <= count <= MAX_GIFTS_PER_SEND:
        raise DomainError("send between 1 and %(most)s at a time", code="invalid_request", status=422,
                          field="count", most=MAX_GIFTS_PER_SEND)
    session = await live_session(s, session_id)
    if session.host_id == sender.id:
        raise OwnRoomGift("hosts cannot send gifts in their own room")
    await ensure_may_post(s, session, sender)
    coins = gift.coins * count
    left = await s.execute(update(CoinWallet)
                           .where(CoinWallet.user_id == sender.id, CoinWallet.coins >= coins)
                           .values(coins=CoinWallet.coins - coins, updated_at=utcnow())
                           .returning(CoinWallet.coins))
    balance = left.scalar_one_or_none()
    if balance is None:
        raise InsufficientCoins(Message("%(gift)s ×%(count)s costs %(needed)s coins; top up first",
                                        {"gift": gift.name, "count": count}),
                                needed=coins, balance=await coin_balance(s, sender.id))
    value = coins * settings.coin_value_fen
    creator = value * settings.gift_creator_share_bps // 10_000
    sent = GiftSend(session_id=session.id, sender_id=sender.id, host_id=session.host_id, gift=gift.code,
                    count=count, coins=coins, creator_share=creator, platform_share=value - creator)
    s.add(sent)
    await s.flush()
    await ledger.record_gift_sent(s, gift_send_id=sent.id, sender_id=sender.id, host_id=session.host_id,
                                  creator_share=creator, platform_share=value - creator)
    await record_event(s, "gift.sent", {
        "session_id": session.id, "gift_send_id": sent.id, "sender_id": sender.id, "sender": sender.display_name,
        "gift": gift.code, "name": gift.name, "emoji": gift.emoji, "count": count, "coins": coins,
    })
    return Sent(sent, int(balance))


@dataclass(frozen=True)
class RankEntry:
    rank: int
    user_id: int
    name: str
    coins: int


async def gift_ranking(s: AsyncSession, session_id: int, limit: int = 10) -> tuple[int, list[RankEntry]]:
    """The room's total coins received and its top senders."""
    rows = await repository.gift_ranking(s, session_id, limit)
    ranking = [RankEntry(i, uid, name, coins) for i, (uid, name, coins) in enumerate(rows, start=1)]
    return await repository.gift_total(s, session_id), ranking
