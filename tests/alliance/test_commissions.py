"""The alliance end to end on the database: list, take, sell from a room, pay, refund, complete, settle, claw back."""

from __future__ import annotations

from datetime import timedelta

from laotie.alliance.service import commissions
from laotie.identity import service as identity
from laotie.ledger import service as ledger
from laotie.models import CommissionLine, Order, utcnow
from laotie.orders.service import lifecycle, refunds
from laotie.orders.service.checkout import Address, LineRequest, checkout
from tests.live.conftest import go_live
from tests.support import ADDRESS, Api


async def _user(api: Api, token: str):  # type: ignore[no-untyped-def]
    async with api.db.transaction() as s:
        return await identity.user_for_token(s, token)


async def _world(api: Api, rate_bps: int = 2_000, price: int = 10_000) -> dict[str, int | str]:
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    merchant, product, sku = await api.merchant_with_product(cat, price=price, stock=50)
    creator = await api.user("creator")
    r = await api.call("POST", "/api/v1/alliance/listings", merchant, expect=201,
                       json={"product_id": product, "rate_bps": rate_bps})
    listing = r.json()["id"]
    await api.call("POST", f"/api/v1/alliance/listings/{listing}/take", creator, expect=201)
    return {"op": op, "merchant": merchant, "product": product, "sku": sku, "creator": creator, "listing": listing}


async def _buy_from(api: Api, buyer_token: str, sku: int, source: str) -> int:
    buyer = await _user(api, buyer_token)
    async with api.db.transaction() as s:
        result = await checkout(s, api.db.settings, buyer, [LineRequest(sku, 1)], Address(**ADDRESS), source=source)
    await api.pay(buyer_token, result.payment_id)
    return result.order_ids[0]


async def _line(api: Api, order_id: int) -> CommissionLine:
    async with api.db.transaction() as s:
        from sqlalchemy import select

        return (await s.execute(select(CommissionLine).where(CommissionLine.order_id == order_id))).scalar_one()


async def _complete(api: Api, w: dict[str, int | str], buyer_token: str, order_id: int) -> None:
    await api.call("POST", f"/api/v1/orders/{order_id}/ship", str(w["merchant"]), expect=200,
                   json={"carrier": "SF", "tracking_no": f"SF{order_id:08d}"})
    await api.call("POST", f"/api/v1/orders/{order_id}/confirm-receipt", buyer_token, expect=200)
    await api.settle()


async def _refund(api: Api, order_id: int, amount: int, ref: str) -> None:
    async with api.db.transaction() as s:
        await refunds.refund_order(s, api.db.settings, order_id, amount, reason="test", ref=ref)
    await api.settle()


async def test_a_showcase_sale_is_attributed_estimated_refunded_settled_and_balanced(api: Api) -> None:
    w = await _world(api)
    creator = await _user(api, str(w["creator"]))
    assert creator is not None
    buyer = await api.user()
    order_id = await _buy_from(api, buyer, int(w["sku"]), f"profile:{creator.id}")
    line = await _line(api, order_id)
    # ¥100 at 20%: ¥20; the platform keeps 10% → the creator is owed ¥18 pending.
    assert (line.promoter_id, line.source, line.rate_bps, line.base, line.status) == (
        creator.id, "showcase", 2_000, 10_000, "estimated")
    assert (line.est_creator, line.est_platform) == (1_800, 200)
    async with api.db.transaction() as s:
        assert (await ledger.commission_balances(s, creator.id)).pending == 1_800
        shop = await ledger.shop_balances(s, line.shop_id)
    # The merchant is owed ¥100 − ¥5 扣点 − ¥20 commission.
    assert shop.pending == 10_000 - 500 - 2_000

    await _refund(api, order_id, 3_000, "r1")  # 30% back before completion
    line = await _line(api, order_id)
    assert (line.cur_creator, line.cur_platform, line.refunded) == (1_260, 140, 3_000)
    await _complete(api, w, buyer, order_id)
    line = await _line(api, order_id)
    assert line.settle_after is not None

    async with api.db.transaction() as s:
        assert await commissions.settle_due(s, utcnow()) == 0  # not due yet
    later = utcnow() + timedelta(days=8)
    async with api.db.transaction() as s:
        assert await commissions.settle_due(s, later) == 1
    async with api.db.transaction() as s:
        assert await commissions.settle_due(s, later) == 0  # once
        balances = await ledger.commission_balances(s, creator.id)
        shop = await ledger.shop_balances(s, line.shop_id)
    assert (balances.pending, balances.available) == (0, 1_260)
    # 7000 paid for; 扣点 350; commission 1400: the merchant keeps 5250, all available.
    assert (shop.pending, shop.available) == (0, 7_000 - 350 - 1_400)

    await _refund(api, order_id, 7_000, "r2")  # the rest, after settlement: a clawback
    line = await _line(api, order_id)
    assert (line.cur_creator, line.set_creator, line.status) == (0, 1_260, "settled")
    async with api.db.transaction() as s:
        balances = await ledger.commission_balances(s, creator.id)
    assert balances.available == 0
    assert await api.ledger_ok()

    earnings = (await api.call("GET", "/api/v1/alliance/earnings", str(w["creator"]), expect=200)).json()
    assert (earnings["estimated"], earnings["settled"], earnings["standing"]) == (1_800, 1_260, 0)


async def test_live_room_sales_are_attributed_to_the_host_and_own_shop_rooms_are_not(api: Api) -> None:
    w = await _world(api, rate_bps=1_000)
    # The creator goes live with the library product in the cart.
    room = await go_live(api)
    key = (await api.call("POST", "/api/v1/live/keys", str(w["creator"]), expect=201)).json()["stream_key"]
    from laotie.live.media.plane import callback_token

    token = callback_token(api.db.settings.secret("media-hooks"))
    r = await api.client.post(f"/media/hooks/publish?token={token}", data={"call": "publish", "name": key})
    assert r.status_code == 302
    creator = await _user(api, str(w["creator"]))
    assert creator is not None
    sessions = (await api.call("GET", "/api/v1/live/sessions?status=live", expect=200)).json()
    session = next(x for x in sessions if x["host_id"] == creator.id)
    await api.call("POST", f"/api/v1/live/sessions/{session['id']}/cart", str(w["creator"]), expect=204,
                   json={"product_id": w["product"]})
    buyer = await api.user()
    order_id = await _buy_from(api, buyer, int(w["sku"]), f"live:{session['id']}")
    line = await _line(api, order_id)
    assert (line.promoter_id, line.source, line.source_id) == (creator.id, "live", session["id"])
    # A merchant's own room sells its own goods: no commission line.
    own = await _buy_from(api, buyer, room.sku_id, f"live:{room.session_id}")
    async with api.db.transaction() as s:
        from sqlalchemy import select

        assert (await s.execute(select(CommissionLine).where(CommissionLine.order_id == own))).first() is None
        order = await s.get(Order, own)
        assert order is not None and order.source == f"live:{room.session_id}"
    assert await api.ledger_ok()


async def test_an_unpaid_order_keeps_its_attribution_on_the_line_and_moves_no_money(api: Api) -> None:
    """Attribution is written with the order line at checkout; the commission exists only once paid."""
    from sqlalchemy import select

    from laotie.models import OrderLine

    w = await _world(api)
    creator = await _user(api, str(w["creator"]))
    assert creator is not None
    buyer_token = await api.user()
    buyer = await _user(api, buyer_token)
    async with api.db.transaction() as s:
        result = await checkout(s, api.db.settings, buyer, [LineRequest(int(w["sku"]), 1)], Address(**ADDRESS),
                                source=f"profile:{creator.id}")
    async with api.db.transaction() as s:
        line = (await s.execute(select(OrderLine).where(OrderLine.order_id == result.order_ids[0]))).scalar_one()
        assert line.attribution is not None
        assert (line.attribution["promoter_id"], line.attribution["source"], line.attribution["rate_bps"]) == (
            creator.id, "showcase", 2_000)
        assert (await s.execute(select(CommissionLine).where(CommissionLine.order_id == line.order_id))).first() \
            is None
    await api.call("POST", f"/api/v1/orders/{result.order_ids[0]}/cancel", buyer_token, expect=200)
    await api.settle()
    async with api.db.transaction() as s:
        assert (await s.execute(select(CommissionLine).where(CommissionLine.order_id == result.order_ids[0]))
                ).first() is None
        assert (await ledger.commission_balances(s, creator.id)).pending == 0
    assert await api.ledger_ok()


async def test_bad_input_is_refused_and_changes_nothing(api: Api) -> None:
    w = await _world(api)
    other_merchant, other_product, _ = await api.merchant_with_product(await api.category(str(w["op"])))
    # a plan on another merchant's product
    r = await api.call("POST", "/api/v1/alliance/listings", other_merchant, json={"product_id": w["product"],
                                                                                  "rate_bps": 2_000})
    assert r.status_code in (403, 404) and r.json()["code"]
    # below the default 1% floor, above 100%
    r = await api.call("POST", "/api/v1/alliance/listings", other_merchant, expect=422,
                       json={"product_id": other_product, "rate_bps": 50})
    assert r.json()["code"] == "rate_out_of_range"
    r = await api.call("POST", "/api/v1/alliance/listings", other_merchant, expect=422,
                       json={"product_id": other_product, "rate_bps": 10_001})
    # an operator's floor raises the bar
    await api.call("PUT", f"/api/v1/alliance/floors/{999_999}", str(w["op"]), expect=404, json={"floor_bps": 500})
    # listing twice; taking twice; a paused listing
    r = await api.call("POST", "/api/v1/alliance/listings", str(w["merchant"]), expect=409,
                       json={"product_id": w["product"], "rate_bps": 2_000})
    assert r.json()["code"] == "already_listed"
    r = await api.call("POST", f"/api/v1/alliance/listings/{w['listing']}/take", str(w["creator"]), expect=409)
    assert r.json()["code"] == "already_promoting"
    await api.call("PUT", f"/api/v1/alliance/listings/{w['listing']}/status", str(w["merchant"]), expect=200,
                   json={"active": False})
    late = await api.user("creator")
    r = await api.call("POST", f"/api/v1/alliance/listings/{w['listing']}/take", late, expect=409)
    assert r.json()["code"] == "listing_paused"
    r = await api.call("POST", "/api/v1/alliance/listings/999999/take", late, expect=404)
    assert r.json()["code"] == "listing_not_found"
    # a withdrawn listing attributes nothing
    creator = await _user(api, str(w["creator"]))
    assert creator is not None
    order_id = await _buy_from(api, await api.user(), int(w["sku"]), f"profile:{creator.id}")
    async with api.db.transaction() as s:
        from sqlalchemy import select

        assert (await s.execute(select(CommissionLine).where(CommissionLine.order_id == order_id))).first() is None


async def test_a_raise_reaches_promoters_at_once_and_a_cut_after_the_notice(api: Api) -> None:
    w = await _world(api, rate_bps=2_000)
    creator = await _user(api, str(w["creator"]))
    assert creator is not None
    r = await api.call("PUT", f"/api/v1/alliance/listings/{w['listing']}/rate", str(w["merchant"]), expect=200,
                       json={"rate_bps": 2_500})
    assert r.json()["rate_cut_at"] is None
    order_id = await _buy_from(api, await api.user(), int(w["sku"]), f"profile:{creator.id}")
    assert (await _line(api, order_id)).rate_bps == 2_500
    r = await api.call("PUT", f"/api/v1/alliance/listings/{w['listing']}/rate", str(w["merchant"]), expect=200,
                       json={"rate_bps": 1_000})
    assert r.json()["rate_cut_at"] is not None
    await api.settle()
    notices = (await api.call("GET", "/api/v1/me/inbox", str(w["creator"]), expect=200)).json()
    kinds = [n["kind"] for n in notices["items"]]
    assert kinds.count("alliance.rate_changed") == 2  # the raise, then the cut with its date
    assert "from " + r.json()["rate_cut_at"][:10] in notices["items"][0]["title"]
    order_id = await _buy_from(api, await api.user(), int(w["sku"]), f"profile:{creator.id}")
    assert (await _line(api, order_id)).rate_bps == 2_500  # still in the notice period
    newcomer = await api.user("creator")
    await api.call("POST", f"/api/v1/alliance/listings/{w['listing']}/take", newcomer, expect=201)
    newcomer_user = await _user(api, newcomer)
    assert newcomer_user is not None
    order_id = await _buy_from(api, await api.user(), int(w["sku"]), f"profile:{newcomer_user.id}")
    assert (await _line(api, order_id)).rate_bps == 1_000


async def test_completion_runs_through_the_lifecycle_function(api: Api) -> None:
    """Completion by the auto-confirm path moves the commission with the merchant's money too."""
    w = await _world(api)
    creator = await _user(api, str(w["creator"]))
    assert creator is not None
    buyer = await api.user()
    order_id = await _buy_from(api, buyer, int(w["sku"]), f"profile:{creator.id}")
    await api.call("POST", f"/api/v1/orders/{order_id}/ship", str(w["merchant"]), expect=200,
                   json={"carrier": "SF", "tracking_no": "SF00000001"})
    async with api.db.transaction() as s:
        order = await s.get(Order, order_id)
        assert order is not None
        await lifecycle._complete(s, order, by="system")
        shop = await ledger.shop_balances(s, order.shop_id)
    assert shop.pending == 0 and shop.available == 10_000 - 500 - 2_000
    assert await api.ledger_ok()


async def test_settlement_run_twice_at_once_settles_each_line_once(api: Api) -> None:
    """Two settlement runs racing (two processes on PostgreSQL): every line settled once, balances exact."""
    import asyncio

    w = await _world(api, rate_bps=1_000)
    creator = await _user(api, str(w["creator"]))
    assert creator is not None
    buyer = await api.user()
    orders = [await _buy_from(api, buyer, int(w["sku"]), f"profile:{creator.id}") for _ in range(6)]
    for order_id in orders:
        await _complete(api, w, buyer, order_id)
    later = utcnow() + timedelta(days=8)

    async def run() -> int:
        total = 0
        while True:
            async with api.db.transaction() as s:
                n = await commissions.settle_due(s, later, limit=2)
            total += n
            if n == 0:
                return total

    first, second = await asyncio.gather(run(), run())
    assert first + second == 6
    async with api.db.transaction() as s:
        balances = await ledger.commission_balances(s, creator.id)
    assert (balances.pending, balances.available) == (0, 6 * 900)
    assert await api.ledger_ok()


async def test_the_library_filters_and_sorts_on_columns_kept_in_step(api: Api) -> None:
    from laotie.alliance.service import listings as listing_service

    w = await _world(api, rate_bps=2_000, price=10_000)  # earns ¥20 an order
    cat = await api.category(str(w["op"]))
    cheap_merchant, cheap, cheap_sku = await api.merchant_with_product(cat, price=1_000)
    r = await api.call("POST", "/api/v1/alliance/listings", cheap_merchant, expect=201,
                       json={"product_id": cheap, "rate_bps": 5_000})  # earns ¥5 an order
    cheap_listing = r.json()["id"]
    items = (await api.call("GET", "/api/v1/alliance/library", str(w["creator"]), expect=200)).json()
    assert [i["listing_id"] for i in items[:2]] == [w["listing"], cheap_listing]
    assert items[0]["earnings_per_order"] == 1_800 and items[1]["earnings_per_order"] == 450
    items = (await api.call("GET", "/api/v1/alliance/library?sort=rate", expect=200)).json()
    assert [i["listing_id"] for i in items[:2]] == [cheap_listing, w["listing"]]
    items = (await api.call("GET", f"/api/v1/alliance/library?category_id={cat}", expect=200)).json()
    assert [i["listing_id"] for i in items] == [cheap_listing]
    items = (await api.call("GET", "/api/v1/alliance/library?max_price=5000", expect=200)).json()
    assert [i["listing_id"] for i in items] == [cheap_listing]
    # both shops are new: the band filter sees them as such; a sale shows in 30-day sales after a refresh
    items = (await api.call("GET", "/api/v1/alliance/library?band=new&band=良", expect=200)).json()
    assert {i["listing_id"] for i in items} >= {cheap_listing, w["listing"]}
    assert (await api.call("GET", "/api/v1/alliance/library?band=优", expect=200)).json() == []
    assert (await api.call("GET", "/api/v1/alliance/library?min_sales=1", expect=200)).json() == []
    await _buy_from(api, await api.user(), cheap_sku, "direct")
    async with api.db.transaction() as s:
        assert await listing_service.refresh_library(s) == 1
        assert await listing_service.refresh_library(s) == 0  # only what changed is written
    items = (await api.call("GET", "/api/v1/alliance/library?min_sales=1", expect=200)).json()
    assert [(i["listing_id"], i["sold"]) for i in items] == [(cheap_listing, 1)]
    r = await api.call("GET", "/api/v1/alliance/library?band=best&limit=1000", expect=422)
    assert r.json()["field"] in ("band", "query.band", "band.0", "limit")


async def test_a_video_sale_is_attributed_to_the_videos_owner_and_a_strangers_video_to_no_one(api: Api) -> None:
    """Source video:<id> finds its promoter through the video's owner, in the same one lookup."""
    from sqlalchemy import select

    from laotie.models import OrderLine, Video

    w = await _world(api, rate_bps=1_500)
    creator = await _user(api, str(w["creator"]))
    assert creator is not None
    async with api.db.transaction() as s:
        video = Video(owner_id=creator.id, caption="开箱 apples", file_name="v.mp4", size_bytes=1)
        s.add(video)
        await s.flush()
        video_id = video.id
    order_id = await _buy_from(api, await api.user(), int(w["sku"]), f"video:{video_id}")
    line = await _line(api, order_id)
    assert (line.promoter_id, line.source, line.source_id, line.rate_bps) == (creator.id, "video", video_id, 1_500)
    # Another creator's video sells the same product without promoting it: nothing is attributed.
    other = await _user(api, await api.user("creator"))
    assert other is not None
    async with api.db.transaction() as s:
        stranger = Video(owner_id=other.id, caption="x", file_name="w.mp4", size_bytes=1)
        s.add(stranger)
        await s.flush()
        stranger_id = stranger.id
    order_id = await _buy_from(api, await api.user(), int(w["sku"]), f"video:{stranger_id}")
    async with api.db.transaction() as s:
        row = (await s.execute(select(OrderLine).where(OrderLine.order_id == order_id))).scalar_one()
        assert row.attribution is None
        assert (await s.execute(select(CommissionLine).where(CommissionLine.order_id == order_id))).first() is None
    assert await api.ledger_ok()
