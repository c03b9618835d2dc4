"""Lucky bags (福袋): the host puts up a prize, viewers who meet the condition enter, a fair draw at the end.

Fairness is checkable by anyone: at the end time the draw records a fresh seed
(`secrets.token_hex(16)`) and the sorted entrant list, and the winners are exactly
`draw(seed, entrants, prizes)`; the bag's public record shows all three. The prize
units leave the SKU when the bag is created (so the shop cannot sell them twice);
units nobody won go back at the draw. Each winner gets one unit as a ¥0 order, paid
at once without a gateway.

Conditions: "comment" (comment the keyword during the bag; entries recorded from the
`chat.commented` event), "watch" (watched N minutes, from room presence), "follow" (a viewer of the session who
follows the host at the draw). A condition is one entry in `_RESOLVERS`.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.config import Settings
from laotie.kit.db import dialect_insert
from laotie.kit.events import record_event
from laotie.live.chat.service import find_words
from laotie.live.errors import (
    LuckyBagConditionUnsupported,
    LuckyBagInvalid,
    LuckyBagNotFound,
    NotInLiveCart,
    SessionNotLive,
)
from laotie.live.sale.service.coupons import host_shop
from laotie.live.service.presence import watched_at_least
from laotie.live.service.sessions import get_session, hosted_session
from laotie.models import LuckyBag, LuckyBagEntry, Product, Sku, User, utcnow
from laotie.orders.errors import SoldOut
from laotie.orders.service import payment, queries
from laotie.orders.service.checkout import Address, LineRequest, checkout

MAX_PRIZES = 100
# A winner who never gave an address: the merchant confirms one with them before shipping.
NO_PHONE, NO_ADDRESS = "00000", "address to be confirmed with the winner"


def draw(seed: str, entrants: Sequence[int], k: int) -> list[int]:
    """The winners, in draw order: pure, so anyone can re-run a recorded draw."""
    pool = sorted(entrants)
    return random.Random(seed).sample(pool, min(k, len(pool)))


@dataclass(frozen=True)
class BagTerms:
    sku_id: int
    prizes: int
    condition: str
    ends_at: datetime
    keyword: str | None = None
    watch_minutes: int | None = None


async def create_lucky_bag(s: AsyncSession, host: User, session_id: int, terms: BagTerms) -> LuckyBag:
    session = await hosted_session(s, host, session_id)
    if session.status != "live":
        raise SessionNotLive("lucky bags run while you are live")
    shop = await host_shop(s, host)
    if terms.condition not in _RESOLVERS:
        raise LuckyBagConditionUnsupported("the condition is 'comment', 'watch' or 'follow'", field="condition")
    keyword = (terms.keyword or "").strip() if terms.condition == "comment" else None
    if terms.condition == "comment" and not keyword:
        raise LuckyBagInvalid("give the keyword viewers comment to enter", field="keyword")
    if terms.condition == "watch" and not terms.watch_minutes:
        raise LuckyBagInvalid("give the minutes viewers must watch", field="watch_minutes")
    if not 1 <= terms.prizes <= MAX_PRIZES:
        raise LuckyBagInvalid("1 to %(max_prizes)s winners", field="prizes", max_prizes=MAX_PRIZES)
    if terms.ends_at <= utcnow():
        raise LuckyBagInvalid("the end time must be in the future", field="ends_at")
    sku = await s.get(Sku, terms.sku_id)
    product = await s.get(Product, sku.product_id) if sku is not None else None
    if sku is None or product is None or product.shop_id != shop.id or product.status != "published":
        raise NotInLiveCart("the prize must be a published product of your shop", field="sku_id")
    moved = await s.execute(update(Sku).where(Sku.id == sku.id, Sku.stock >= terms.prizes)
                            .values(stock=Sku.stock - terms.prizes).returning(Sku.stock))
    if moved.first() is None:
        raise SoldOut("the SKU does not have that many units for prizes", field="prizes")
    bag = LuckyBag(session_id=session.id, shop_id=shop.id, sku_id=sku.id, prizes=terms.prizes,
                   condition=terms.condition, keyword=keyword,
                   watch_minutes=terms.watch_minutes if terms.condition == "watch" else None,
                   ends_at=terms.ends_at, status="open", returned=0, created_at=utcnow())
    s.add(bag)
    await s.flush()
    await record_event(s, "lucky_bag.started", {
        "session_id": session.id, "bag_id": bag.id, "title": product.title, "prizes": bag.prizes,
        "condition": bag.condition, "keyword": bag.keyword, "watch_minutes": bag.watch_minutes,
        "ends_at": bag.ends_at.isoformat()})
    return bag


async def get_bag(s: AsyncSession, bag_id: int) -> LuckyBag:
    bag = await s.get(LuckyBag, bag_id)
    if bag is None:
        raise LuckyBagNotFound("no such lucky bag")
    return bag


async def enter_by_comment(s: AsyncSession, session_id: int, user_id: int, body: str, at: datetime) -> list[int]:
    """A comment posted at `at` enters every open keyword bag of the room it names; returns their ids."""
    stmt = select(LuckyBag).where(LuckyBag.session_id == session_id, LuckyBag.status == "open",
                                  LuckyBag.condition == "comment")
    entered = []
    for bag in (await s.execute(stmt)).scalars():
        # Only comments made while the bag was open count, however late the event arrives.
        if not bag.created_at <= at < bag.ends_at or not bag.keyword or not find_words(body, [bag.keyword]):
            continue
        await s.execute(dialect_insert(s, LuckyBagEntry)
                        .values(bag_id=bag.id, user_id=user_id, entered_at=at).on_conflict_do_nothing())
        entered.append(bag.id)
    return entered


async def _commenters(s: AsyncSession, bag: LuckyBag) -> list[int]:
    stmt = select(LuckyBagEntry.user_id).where(LuckyBagEntry.bag_id == bag.id)
    return [int(u) for u in (await s.execute(stmt)).scalars()]


async def _watchers(s: AsyncSession, bag: LuckyBag) -> list[int]:
    return await watched_at_least(s, bag.session_id, (bag.watch_minutes or 0) * 60)


async def _present_followers(s: AsyncSession, bag: LuckyBag) -> list[int]:
    """Viewers of this session who follow the host when the bag is drawn."""
    from laotie.social.follows.service import followers_among

    session = await get_session(s, bag.session_id)
    return await followers_among(s, session.host_id, await watched_at_least(s, bag.session_id, 0))


# Who qualifies under each condition.
_RESOLVERS: dict[str, Callable[[AsyncSession, LuckyBag], Awaitable[list[int]]]] = {
    "comment": _commenters,
    "watch": _watchers,
    "follow": _present_followers,
}


async def draw_bag(s: AsyncSession, settings: Settings, bag_id: int, now: datetime) -> LuckyBag | None:
    """Draw a bag past its end time (once: the status flips conditionally), give prizes, return the rest."""
    flipped = await s.execute(update(LuckyBag).where(LuckyBag.id == bag_id, LuckyBag.status == "open",
                                                     LuckyBag.ends_at <= now)
                              .values(status="drawn", drawn_at=now).returning(LuckyBag.id))
    if flipped.first() is None:
        return None
    bag = await get_bag(s, bag_id)
    await s.refresh(bag)
    # The host and the shop's owner never win their own prize.
    excluded = {await _host_of(s, bag), await _shop_owner(s, bag.shop_id)}
    entrants = sorted(set(await _RESOLVERS[bag.condition](s, bag)) - excluded)
    seed = secrets.token_hex(16)
    winners = draw(seed, entrants, bag.prizes)
    order_ids = [await _give_prize(s, settings, bag, winner) for winner in winners]
    unawarded = bag.prizes - len(winners)
    if unawarded:
        await s.execute(update(Sku).where(Sku.id == bag.sku_id).values(stock=Sku.stock + unawarded))
    bag.seed, bag.entrants, bag.winners, bag.prize_order_ids, bag.returned = (
        seed, entrants, winners, order_ids, unawarded)
    await s.flush()
    await record_event(s, "lucky_bag.drawn", {"session_id": bag.session_id, "bag_id": bag.id, "seed": seed,
                                              "entrants": len(entrants), "winners": winners,
                                              "returned": unawarded})
    return bag


async def _host_of(s: AsyncSession, bag: LuckyBag) -> int:
    return (await get_session(s, bag.session_id)).host_id


async def _shop_owner(s: AsyncSession, shop_id: int) -> int:
    return (await catalog.get_shop(s, shop_id)).owner_id


async def _give_prize(s: AsyncSession, settings: Settings, bag: LuckyBag, winner_id: int) -> int:
    """One unit as a ¥0 order from the units the bag holds, paid at once."""
    winner = await s.get(User, winner_id)
    assert winner is not None
    last = await queries.last_address(s, winner)
    recipient, phone, address = last or (winner.display_name[:60], NO_PHONE, NO_ADDRESS)
    result = await checkout(s, settings, winner, [LineRequest(bag.sku_id, 1, unit_price=0, stock_held=True)],
                            Address(recipient, phone, address),
                            source=f"live:{bag.session_id}")
    await payment.settle_free_payment(s, result.payment_id)
    return result.order_ids[0]


async def due_bags(s: AsyncSession, now: datetime) -> list[int]:
    stmt = select(LuckyBag.id).where(LuckyBag.status == "open", LuckyBag.ends_at <= now).order_by(LuckyBag.id)
    return [int(i) for i in (await s.execute(stmt)).scalars()]


async def session_bags(s: AsyncSession, session_id: int) -> Sequence[LuckyBag]:
    stmt = select(LuckyBag).where(LuckyBag.session_id == session_id).order_by(LuckyBag.id)
    return (await s.execute(stmt)).scalars().all()
