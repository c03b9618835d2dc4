"""Coins bought through the gateway, gifts sent in live rooms, the ranking, and the ledger split."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from sqlalchemy import func, select

from laotie.ledger import accounts as acct
from laotie.ledger import repository as ledger_repo
from laotie.live.chat import service as chat
from laotie.models import ChatMessage, CoinPurchase, GiftSend, JournalEntry, Payment, utcnow
from laotie.orders.gateway import gateway_for
from laotie.orders.service import payment as payments
from tests.live.conftest import LiveRoom, go_live
from tests.live.sale.test_promotions import user_of
from tests.support import Api


async def buy_coins(api: Api, token: str, coins: int) -> dict:
    r = await api.call("POST", "/api/v1/coins/purchases", token, expect=201, json={"coins": coins})
    purchase = r.json()
    await api.pay(token, purchase["payment_id"])
    return dict(purchase)


async def gift(api: Api, token: str, room: LiveRoom, code: str, count: int = 1, expect: int | None = 201):
    return await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/gifts", token, expect=expect,
                          json={"gift": code, "count": count})


async def balance(api: Api, code: str) -> int:
    async with api.db.transaction() as s:
        return (await ledger_repo.balances(s, [code])).get(code, 0)


async def test_coins_are_bought_at_the_gateway_and_gifts_split_between_creator_and_platform(api: Api) -> None:
    room = await go_live(api)
    fan = await api.user()
    r = await api.call("POST", "/api/v1/coins/purchases", fan, expect=201, json={"coins": 1000})
    purchase = r.json()
    assert (purchase["amount"], purchase["status"]) == (10_000, "pending")  # 1000 coins at ¥0.10
    assert purchase["pay_url"] == f"/sandbox/pay/{purchase['payment_id']}"
    wallet = (await api.call("GET", "/api/v1/coins/wallet", fan, expect=200)).json()
    assert wallet["coins"] == 0  # nothing until the money arrives

    await api.pay(fan, purchase["payment_id"])
    got = (await api.call("GET", f"/api/v1/coins/purchases/{purchase['id']}", fan, expect=200)).json()
    assert got["status"] == "credited"
    assert (await api.call("GET", "/api/v1/coins/wallet", fan, expect=200)).json()["coins"] == 1000

    # The gateway says it again: already processed, not credited twice.
    async with api.db.transaction() as s:
        pay = await s.get(Payment, purchase["payment_id"])
        body, sig = gateway_for(api.db.settings).notification(
            payment_id=pay.id, amount=pay.amount, currency=pay.currency, status="succeeded",
            gateway_ref=pay.gateway_ref, reason="")
        outcome = await payments.handle_notification(s, api.db.settings, body, sig)
    assert outcome.result == "already_processed"
    assert (await api.call("GET", "/api/v1/coins/wallet", fan, expect=200)).json()["coins"] == 1000
    fan_user = await user_of(api, fan)
    assert await balance(api, acct.user_coins(fan_user.id)[0]) == -10_000

    sent = (await gift(api, fan, room, "rocket")).json()
    assert (sent["coins"], sent["balance"]) == (1000, 0)
    host_user = await user_of(api, room.host)
    # ¥100 of coins: ¥50 to the creator, ¥50 to the platform; the fan's coins are spent.
    assert await balance(api, acct.user_coins(fan_user.id)[0]) == 0
    assert await balance(api, acct.creator_gift_earnings(host_user.id)[0]) == -5_000
    assert await balance(api, acct.GIFT_REVENUE[0]) == -5_000
    earnings = (await api.call("GET", "/api/v1/live/earnings", room.host, expect=200)).json()
    assert earnings == {"earnings": 5_000, "creator_share_bps": 5000}
    assert await api.ledger_ok()

    ranking = (await api.call("GET", f"/api/v1/live/sessions/{room.session_id}/gift-ranking", expect=200)).json()
    assert ranking["total_coins"] == 1000
    assert [(r["rank"], r["user_id"], r["coins"]) for r in ranking["ranking"]] == [(1, fan_user.id, 1000)]


async def test_the_creator_share_is_a_setting(api: Api) -> None:
    api.db.settings.gift_creator_share_bps = 7000
    room = await go_live(api)
    fan = await api.user()
    await buy_coins(api, fan, 52)
    await gift(api, fan, room, "kiss")  # 52 coins = 520 fen
    host_user = await user_of(api, room.host)
    assert await balance(api, acct.creator_gift_earnings(host_user.id)[0]) == -364  # 70%
    assert await balance(api, acct.GIFT_REVENUE[0]) == -156
    async with api.db.transaction() as s:
        row = (await s.execute(select(GiftSend))).scalar_one()
        assert (row.creator_share, row.platform_share) == (364, 156)
    assert await api.ledger_ok()


async def test_refused_gifts_and_purchases_leave_nothing_behind(api: Api) -> None:
    room = await go_live(api)
    fan = await api.user()
    await buy_coins(api, fan, 10)

    r = await gift(api, fan, room, "unicorn", expect=422)
    assert (r.json()["code"], r.json()["field"]) == ("unknown_gift", "gift")
    r = await gift(api, fan, room, "heart", count=0, expect=422)
    assert r.json()["field"] == "count"
    r = await gift(api, fan, room, "heart", count=100, expect=422)
    assert r.json()["field"] == "count"
    r = await gift(api, fan, room, "kiss", expect=409)  # 52 coins, has 10
    assert r.json()["code"] == "insufficient_coins"
    assert r.json()["details"] == {"needed": 52, "balance": 10}
    r = await gift(api, room.host, room, "heart", expect=403)
    assert r.json()["code"] == "own_room_gift"
    r = await api.call("POST", "/api/v1/live/sessions/999999/gifts", fan, json={"gift": "heart"})
    assert r.status_code == 404
    r = await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/gifts", json={"gift": "heart"})
    assert r.status_code == 401

    # Banned from the host's rooms: no gifts either.
    troll = await api.user()
    await buy_coins(api, troll, 10)
    host, troll_user = await user_of(api, room.host), await user_of(api, troll)
    async with api.db.transaction() as s:
        await chat.ban_user(s, host, room.session_id, troll_user.id)
    r = await gift(api, troll, room, "heart", expect=403)
    assert r.json()["code"] == "banned"

    for bad in ({"coins": 0}, {"coins": 100_001}, {"coins": "lots"}, {}):
        r = await api.call("POST", "/api/v1/coins/purchases", fan, json=bad, expect=422)
        assert r.json()["field"] == "coins"
    other = await api.user()
    mine = (await api.call("POST", "/api/v1/coins/purchases", fan, expect=201, json={"coins": 5})).json()
    r = await api.call("GET", f"/api/v1/coins/purchases/{mine['id']}", other, expect=404)
    assert r.json()["code"] == "coin_purchase_not_found"

    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(GiftSend))).scalar_one() == 0
        kinds = (await s.execute(select(JournalEntry.kind))).scalars().all()
        assert "gift.sent" not in kinds
        assert (await s.execute(select(func.count()).select_from(CoinPurchase))).scalar_one() == 3
    assert (await api.call("GET", "/api/v1/coins/wallet", fan, expect=200)).json()["coins"] == 10

    # After the stream ends the room takes no gifts.
    await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/end", room.host, expect=200)
    r = await gift(api, fan, room, "heart", expect=409)
    assert r.json()["code"] == "session_not_live"
    assert await api.ledger_ok()


async def test_concurrent_gifts_never_spend_more_than_the_wallet(api: Api) -> None:
    room = await go_live(api)
    fan = await api.user()
    await buy_coins(api, fan, 100)
    responses = await asyncio.gather(*(gift(api, fan, room, "lollipop", expect=None) for _ in range(30)))
    assert Counter(r.status_code for r in responses) == {201: 11, 409: 19}  # 11 × 9 = 99 of 100
    assert (await api.call("GET", "/api/v1/coins/wallet", fan, expect=200)).json()["coins"] == 1
    fan_user = await user_of(api, fan)
    assert await balance(api, acct.user_coins(fan_user.id)[0]) == -10  # one coin left, worth ¥0.10
    assert await api.ledger_ok()


async def test_the_ranking_is_announced_in_the_room_with_each_gift(api: Api) -> None:
    room = await go_live(api)
    fans = [await api.user() for _ in range(3)]
    for fan in fans:
        await buy_coins(api, fan, 2000)
    await gift(api, fans[0], room, "car")  # 520
    await gift(api, fans[1], room, "rocket")  # 1000
    await gift(api, fans[2], room, "car")  # 520: ties with fans[0], who got there first
    await gift(api, fans[0], room, "heart", count=3)  # 523: ahead again
    await api.settle()
    ids = [(await user_of(api, f)).id for f in fans]
    ranking = (await api.call("GET", f"/api/v1/live/sessions/{room.session_id}/gift-ranking", expect=200)).json()
    assert [(r["user_id"], r["coins"]) for r in ranking["ranking"]] == [(ids[1], 1000), (ids[0], 523),
                                                                         (ids[2], 520)]
    assert ranking["total_coins"] == 2043
    async with api.db.transaction() as s:
        said = (await s.execute(select(ChatMessage).where(ChatMessage.kind == "system")
                                .order_by(ChatMessage.id))).scalars().all()
    gifts_said = [m for m in said if (m.payload or {}).get("event") == "gift.sent"]
    assert len(gifts_said) == 4
    last = gifts_said[-1]
    assert last.body.endswith("sent ❤️ 小心心 ×3")
    assert [(r["user_id"], r["coins"]) for r in last.payload["ranking"]] == [(ids[1], 1000), (ids[0], 523),
                                                                             (ids[2], 520)]
    assert last.payload["total_coins"] == 2043
    json.dumps(last.payload, ensure_ascii=False)  # travels as JSON on the room's channel
    assert utcnow() >= last.created_at
