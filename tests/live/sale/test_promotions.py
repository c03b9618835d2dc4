"""In-room promotions: coupons claimed under concurrency and spent at checkout; lucky bags drawn fairly."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select, update

from laotie.identity import service as identity
from laotie.ledger import service as ledger
from laotie.live.chat import service as chat
from laotie.live.sale.service import lucky_bags
from laotie.live.sale.tasks import draw_lucky_bags
from laotie.live.service import presence
from laotie.models import CouponClaim, LiveCoupon, LuckyBag, Order, OrderLine, Payment, Sku, User, utcnow
from tests.live.conftest import LiveRoom, go_live
from tests.support import ADDRESS, Api


async def user_of(api: Api, token: str) -> User:
    async with api.db.transaction() as s:
        user = await identity.user_for_token(s, token)
        assert user is not None
        return user


async def viewer(api: Api, room: LiveRoom) -> str:
    token = await api.user()
    await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/presence", token, expect=204)
    return token


async def pushed_coupon(api: Api, room: LiveRoom, *, amount_off: int = 1000, min_spend: int = 5000,
                        total: int = 10, live_cart_only: bool = False) -> dict:
    r = await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/coupons", room.host, expect=201, json={
        "amount_off": amount_off, "min_spend": min_spend, "total": total, "live_cart_only": live_cart_only,
        "valid_until": (utcnow() + timedelta(hours=1)).isoformat()})
    coupon = r.json()
    return dict((await api.call("POST", f"/api/v1/live/coupons/{coupon['id']}/push", room.host, expect=200)).json())


async def claim(api: Api, token: str, coupon_id: int):
    return await api.call("POST", f"/api/v1/live/coupons/{coupon_id}/claim", token)


async def buy_with(api: Api, token: str, sku_id: int, coupon_id: int, quantity: int = 1, expect: int | None = 201):
    return await api.call("POST", "/api/v1/checkout", token, expect=expect, json={
        "items": [{"sku_id": sku_id, "quantity": quantity}], "address": ADDRESS, "coupon_id": coupon_id})


async def test_50_viewers_claim_a_10_count_coupon(api: Api) -> None:
    room = await go_live(api)
    r = await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/coupons", room.host, expect=201, json={
        "amount_off": 1000, "min_spend": 5000, "total": 10,
        "valid_until": (utcnow() + timedelta(hours=1)).isoformat()})
    early = await viewer(api, room)
    r = await claim(api, early, r.json()["id"])
    assert (r.status_code, r.json()["code"]) == (409, "coupon_not_pushed")

    coupon = await pushed_coupon(api, room, total=10)
    viewers = await asyncio.gather(*(viewer(api, room) for _ in range(50)))
    responses = await asyncio.gather(*(claim(api, v, coupon["id"]) for v in viewers))
    assert Counter(r.status_code for r in responses) == {201: 10, 409: 40}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"coupon_claimed_out"}
    winner = next(v for v, r in zip(viewers, responses, strict=True) if r.status_code == 201)
    r = await claim(api, winner, coupon["id"])
    assert (r.status_code, r.json()["code"]) == (409, "coupon_already_claimed")
    absent = await api.user()  # never opened the room
    r = await claim(api, absent, coupon["id"])
    assert (r.status_code, r.json()["code"]) == (403, "not_in_room")
    r = await claim(api, room.host, coupon["id"])
    assert (r.status_code, r.json()["code"]) == (403, "coupon_own_shop")
    async with api.db.transaction() as s:
        assert (await s.get(LiveCoupon, coupon["id"])).claimed == 10
        claims = (await s.execute(select(func.count()).select_from(CouponClaim))).scalar_one()
        assert claims == 10  # refused claims left no row


async def test_coupon_at_checkout_ledger_and_give_back(api: Api) -> None:
    room = await go_live(api, stock=50)  # ¥99.00 SKU, 5% commission
    coupon = await pushed_coupon(api, room, amount_off=1000, min_spend=15000)
    buyer = await viewer(api, room)
    r = await buy_with(api, buyer, room.sku_id, coupon["id"], expect=403)
    assert r.json()["code"] == "coupon_not_claimed"
    assert (await claim(api, buyer, coupon["id"])).status_code == 201

    # Below the minimum spend: refused, and nothing was spent or taken.
    r = await buy_with(api, buyer, room.sku_id, coupon["id"], quantity=1, expect=409)
    assert r.json()["code"] == "coupon_not_applicable"
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(Order))).scalar_one() == 0
        assert (await s.execute(select(CouponClaim.status))).scalar_one() == "claimed"
        assert (await s.get(Sku, room.sku_id)).stock == 50

    # 2 × ¥99.00 − ¥10.00 = ¥188.00; 5% commission on what the buyer pays = ¥9.40.
    placed = (await buy_with(api, buyer, room.sku_id, coupon["id"], quantity=2)).json()
    assert placed["amount"] == 18800
    order = (await api.call("GET", f"/api/v1/orders/{placed['order_ids'][0]}", buyer, expect=200)).json()
    assert (order["total"], order["commission"], order["discount"]) == (18800, 940, 1000)
    assert order["source"] == f"live:{room.session_id}"
    r = await buy_with(api, buyer, room.sku_id, coupon["id"], quantity=2, expect=409)
    assert r.json()["code"] == "coupon_used"

    # Cancelled: the coupon is the buyer's again and buys the next order.
    await api.call("POST", f"/api/v1/orders/{placed['order_ids'][0]}/cancel", buyer, expect=200)
    await api.settle()
    async with api.db.transaction() as s:
        claim_row = (await s.execute(select(CouponClaim))).scalar_one()
        assert (claim_row.status, claim_row.order_id) == ("claimed", None)
    placed = (await buy_with(api, buyer, room.sku_id, coupon["id"], quantity=2)).json()
    await api.pay(buyer, placed["payment_id"])
    async with api.db.transaction() as s:
        shop_id = (await s.get(Order, placed["order_ids"][0])).shop_id
        line = (await s.execute(select(OrderLine).where(OrderLine.order_id == placed["order_ids"][0]))).scalar_one()
        assert (line.unit_price, line.quantity, line.discount, line.commission) == (9900, 2, 1000, 940)
        balances = await ledger.shop_balances(s, shop_id)
        platform = await ledger.platform_balances(s)
        assert (await s.get(Sku, room.sku_id)).stock == 48
    # The merchant funds the coupon: owed 18800 − 940; the platform earns 940 on 18800 received.
    assert (balances.pending, balances.available) == (17860, 0)
    assert platform == {"gateway_clearing": 18800, "commission_revenue": 940, "gift_revenue": 0}
    assert await api.ledger_ok()


def test_a_discount_spreads_over_lines_exactly() -> None:
    from laotie.kit.money import split_exact as spread_discount

    assert spread_discount(1000, [9900]) == [1000]
    assert spread_discount(100, [1, 1, 1]) == [34, 33, 33]
    # 266.24, 621.24, 109.52: the one fen left over goes to the largest remainder.
    assert spread_discount(997, [3000, 7000, 1234]) == [266, 621, 110]


def test_draw_is_a_pure_function_of_seed_and_entrants() -> None:
    entrants = [42, 7, 19, 3, 88]
    assert lucky_bags.draw("00ff", entrants, 2) == random.Random("00ff").sample(sorted(entrants), 2)
    assert lucky_bags.draw("00ff", list(reversed(entrants)), 2) == lucky_bags.draw("00ff", entrants, 2)
    assert sorted(lucky_bags.draw("seed", entrants, 10)) == sorted(entrants)  # fewer entrants than prizes


async def comment(api: Api, token: str, session_id: int, body: str) -> None:
    user = await user_of(api, token)
    async with api.db.transaction() as s:
        await chat.post_comment(s, api.db.settings, user, session_id, body)


async def end_now(api: Api, bag_id: int) -> None:
    async with api.db.transaction() as s:
        await s.execute(update(LuckyBag).where(LuckyBag.id == bag_id).values(ends_at=utcnow()))


async def test_keyword_lucky_bag_draw_is_reproducible_and_prizes_are_free_orders(api: Api) -> None:
    room = await go_live(api, stock=10)
    bag = (await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/lucky-bags", room.host, expect=201,
                          json={"sku_id": room.sku_id, "prizes": 3, "condition": "comment", "keyword": "福袋来了",
                                "duration_seconds": 600})).json()
    async with api.db.transaction() as s:
        assert (await s.get(Sku, room.sku_id)).stock == 7  # the prizes left the SKU at creation
    viewers = [await api.user() for _ in range(6)]
    for v in viewers[:5]:
        await comment(api, v, room.session_id, "福袋 来了!!")  # folded matching: spaces do not matter
    await comment(api, viewers[5], room.session_id, "hello")
    await comment(api, room.host, room.session_id, "福袋来了")  # the host never enters
    await api.settle()
    await end_now(api, bag["id"])
    assert await draw_lucky_bags(api.db) == 1
    assert await draw_lucky_bags(api.db) == 0  # drawn once
    await api.settle()

    record = (await api.call("GET", f"/api/v1/live/lucky-bags/{bag['id']}", expect=200)).json()
    entrant_ids = sorted([(await user_of(api, v)).id for v in viewers[:5]])
    assert record["status"] == "drawn" and record["entrants"] == entrant_ids
    # The test: anyone re-running the recorded draw gets the recorded winners.
    assert record["winners"] == lucky_bags.draw(record["seed"], record["entrants"], 3)
    assert len(set(record["winners"])) == 3 and record["verified"] is True and record["returned"] == 0
    # The room links to the same record as a page, in words, never as raw JSON.
    page = await api.client.get(f"/live/lucky-bags/{bag['id']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'data-verified="yes"' in page.text and "3 winners of 5 entrants" in page.text
    assert record["seed"] in page.text
    assert (await api.client.get("/live/lucky-bags/999999")).status_code == 404
    async with api.db.transaction() as s:
        orders = (await s.execute(select(Order).where(Order.id.in_(record["prize_order_ids"])))).scalars().all()
        assert sorted(o.buyer_id for o in orders) == sorted(record["winners"])
        assert {(o.status, o.total, o.commission, o.source) for o in orders} == {
            ("paid", 0, 0, f"live:{room.session_id}")}
        payments = (await s.execute(select(Payment).where(Payment.id.in_([o.payment_id for o in orders]))))
        assert {(p.amount, p.status) for p in payments.scalars()} == {(0, "succeeded")}
        assert (await s.get(Sku, room.sku_id)).stock == 7  # prizes were not taken twice
    assert await api.ledger_ok()


async def test_watch_lucky_bag_with_fewer_entrants_returns_the_rest(api: Api) -> None:
    room = await go_live(api, stock=10)
    bag = (await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/lucky-bags", room.host, expect=201,
                          json={"sku_id": room.sku_id, "prizes": 3, "condition": "watch", "watch_minutes": 5,
                                "duration_seconds": 600})).json()
    steady, glimpse, gap = [await user_of(api, await api.user()) for _ in range(3)]
    start = utcnow() - timedelta(minutes=10)
    async with api.db.transaction() as s:
        for minute in range(6):  # a heartbeat a minute apart: each gap ≤ MAX_GAP counts
            for second in (0, 30):
                await presence.touch_presence(s, room.session_id, steady.id,
                                              start + timedelta(minutes=minute, seconds=second))
        await presence.touch_presence(s, room.session_id, glimpse.id, start)
        # Seen twice, ten minutes apart: the absence is not watched time.
        await presence.touch_presence(s, room.session_id, gap.id, start)
        await presence.touch_presence(s, room.session_id, gap.id, start + timedelta(minutes=10))
    await end_now(api, bag["id"])
    assert await draw_lucky_bags(api.db) == 1
    record = (await api.call("GET", f"/api/v1/live/lucky-bags/{bag['id']}", expect=200)).json()
    assert (record["entrants"], record["winners"], record["returned"]) == ([steady.id], [steady.id], 2)
    async with api.db.transaction() as s:
        assert (await s.get(Sku, room.sku_id)).stock == 10 - 3 + 2
    assert await api.ledger_ok()


async def test_lucky_bag_refusals_leave_stock_untouched(api: Api) -> None:
    room = await go_live(api, stock=5)
    url = f"/api/v1/live/sessions/{room.session_id}/lucky-bags"
    base = {"sku_id": room.sku_id, "prizes": 2, "duration_seconds": 60}
    cases = [
        ({**base, "condition": "watch"}, room.host, 400, "lucky_bag_invalid"),
        ({**base, "condition": "comment"}, room.host, 400, "lucky_bag_invalid"),
        ({**base, "condition": "watch", "watch_minutes": 1, "prizes": 6}, room.host, 409, "sold_out"),
        ({**base, "condition": "comment", "keyword": "go"}, await api.user("merchant"), 403, "not_your_room"),
    ]
    for body, token, status, code in cases:
        r = await api.call("POST", url, token, json=body)
        assert (r.status_code, r.json()["code"]) == (status, code)
    await api.call("GET", "/api/v1/live/lucky-bags/999", expect=404)
    async with api.db.transaction() as s:
        assert (await s.get(Sku, room.sku_id)).stock == 5
        assert (await s.execute(select(func.count()).select_from(LuckyBag))).scalar_one() == 0


async def test_console_pushes_and_room_page_claims(api: Api) -> None:
    import re

    from tests.web.test_pages import csrf_of, sign_in

    room = await go_live(api, stock=20)
    host_name = (await api.call("GET", "/api/v1/me", room.host, expect=200)).json()["username"]
    token = await sign_in(api, host_name)
    r = await api.client.post(f"/live/console/{room.session_id}/coupon", data={
        "csrf_token": token, "amount_off": "5", "min_spend": "50", "total": "2", "valid_minutes": "30"})
    assert r.status_code == 303
    r = await api.client.post(f"/live/console/{room.session_id}/coupon", data={
        "csrf_token": token, "amount_off": "50", "min_spend": "5", "total": "2"})
    assert r.status_code == 400 and "minimum spend" in r.text
    console = await api.client.get("/live/console")
    coupon_id = int(re.search(r'name="coupon_id" value="(\d+)"', console.text).group(1))  # type: ignore[union-attr]
    assert (await api.client.post(f"/live/console/{room.session_id}/push-coupon",
                                  data={"csrf_token": token, "coupon_id": str(coupon_id)})).status_code == 303
    r = await api.client.post(f"/live/console/{room.session_id}/lucky-bag", data={
        "csrf_token": token, "sku_id": str(room.sku_id), "prizes": "2", "minutes": "5", "condition": "comment",
        "keyword": "来了"})
    assert r.status_code == 303
    async with api.db.transaction() as s:
        assert (await s.get(Sku, room.sku_id)).stock == 18

    api.client.cookies.clear()
    await api.user(name="claimer1")
    await sign_in(api, "claimer1")
    page = await api.client.get(f"/live/{room.session_id}")  # opening the room records presence
    assert "领券 Claim" in page.text and "¥5.00 off" in page.text and "Comment “来了” to enter" in page.text
    csrf = csrf_of(page.text)
    r = await api.client.post(f"/live/coupons/{coupon_id}/claim", data={"csrf_token": csrf})
    assert r.status_code == 303
    panel = await api.client.get(f"/live/{room.session_id}/panel")
    assert "Claimed ✓" in panel.text
    r = await api.client.post(f"/live/coupons/{coupon_id}/claim", data={"csrf_token": csrf})
    assert r.status_code == 409 and 'data-code="coupon_already_claimed"' in r.text
