"""Reviews: who may write one and when, one per line, the shop's one reply, public listings without
hidden or fake-order reviews, photos, and the reliable-goods label."""

from __future__ import annotations

import struct
import zlib

from sqlalchemy import func, select

from laotie.feedback.service import reviews
from laotie.kit.events import record_event
from laotie.models import ExcludedOrder, OrderLine, Review, utcnow
from laotie.orders import logistics
from tests.aftersales.test_aftersales import World, paid_order, ship, world
from tests.support import Api

STARS = {"product_stars": 5, "logistics_stars": 4, "service_stars": 3}


async def line_of(api: Api, order_id: int) -> int:
    async with api.db.transaction() as s:
        return int((await s.execute(select(OrderLine.id).where(OrderLine.order_id == order_id))).scalar_one())


async def deliver(api: Api, order_id: int) -> None:
    body, sig = logistics.delivery_notification(api.db.settings, order_id, f"SF{order_id:06d}")
    await api.call("POST", "/api/v1/logistics/sandbox/callback", expect=200, content=body,
                   headers={logistics.SIGNATURE_HEADER: sig})


async def delivered(api: Api, w: World) -> tuple[int, int]:
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    return order_id, await line_of(api, order_id)


async def review(api: Api, w: World, order_id: int, line_id: int, expect: int = 201, **overrides: object):
    return await api.call("POST", f"/api/v1/orders/{order_id}/reviews", w.buyer, expect=expect,
                          json={"line_id": line_id, **STARS, **overrides})


async def review_count(api: Api) -> int:
    async with api.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(Review))).scalar_one())


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


async def test_the_buyer_reviews_a_delivered_line_once(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id, line_id = await delivered(api, w)
    got = (await review(api, w, order_id, line_id, text="  很甜，包装好  ")).json()
    assert (got["order_line_id"], got["shop_id"], got["text"], got["reply"], got["hidden"]) == (
        line_id, w.shop_id, "很甜，包装好", None, False)
    assert (got["product_stars"], got["logistics_stars"], got["service_stars"]) == (5, 4, 3)
    again = await review(api, w, order_id, line_id, expect=409, product_stars=1)
    assert again.json()["code"] == "review_exists"
    assert await review_count(api) == 1
    mine = await api.call("GET", f"/api/v1/orders/{order_id}/reviews", w.buyer, expect=200)
    theirs = await api.call("GET", f"/api/v1/orders/{order_id}/reviews", w.merchant, expect=200)
    assert [x["id"] for x in mine.json()] == [x["id"] for x in theirs.json()] == [got["id"]]
    assert mine.json()[0]["product_stars"] == 5  # the refused second review changed nothing


async def test_reviews_open_on_delivery_or_completion_for_the_buyer_only(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    line_id = await line_of(api, order_id)
    assert (await review(api, w, order_id, line_id, expect=409)).json()["code"] == "review_not_allowed"
    await ship(api, w, order_id)
    assert (await review(api, w, order_id, line_id, expect=409)).json()["code"] == "review_not_allowed"
    stranger = await api.user()
    for who in (stranger, w.merchant):
        r = await api.call("POST", f"/api/v1/orders/{order_id}/reviews", who, expect=403,
                           json={"line_id": line_id, **STARS})
        assert r.json()["code"] == "not_your_order"
    assert await review_count(api) == 0
    # Confirming receipt before the carrier's notification completes the order: reviews open.
    await api.call("POST", f"/api/v1/orders/{order_id}/confirm-receipt", w.buyer, expect=200)
    await review(api, w, order_id, line_id)


async def test_bad_ratings_text_or_line_are_422_naming_the_field(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id, line_id = await delivered(api, w)
    other_order, other_line = await delivered(api, w)
    cases: list[tuple[dict[str, object], str]] = [
        ({"product_stars": 0}, "product_stars"), ({"logistics_stars": 6}, "logistics_stars"),
        ({"service_stars": "five"}, "service_stars"), ({"text": "好" * 1001}, "text"),
        ({"line": other_line}, "line_id")]
    for overrides, field in cases:
        line = overrides.pop("line", line_id)
        r = await review(api, w, order_id, int(line), expect=422, **overrides)
        assert (r.json()["code"], r.json()["field"]) == ("invalid_request", field), overrides
    assert await review_count(api) == 0
    await review(api, w, order_id, line_id, text="好" * 1000)
    await review(api, w, other_order, other_line)


async def test_the_shop_replies_once_and_only_to_its_own_reviews(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id, line_id = await delivered(api, w)
    rid = (await review(api, w, order_id, line_id)).json()["id"]
    other_merchant = await api.user("merchant")
    await api.call("POST", "/api/v1/shops", other_merchant, expect=201, json={"name": "another shop"})
    r = await api.call("POST", f"/api/v1/reviews/{rid}/reply", other_merchant, expect=403, json={"text": "谢谢"})
    assert r.json()["code"] == "not_your_review"
    await api.call("POST", f"/api/v1/reviews/{rid}/reply", w.merchant, expect=422, json={"text": ""})
    got = (await api.call("POST", f"/api/v1/reviews/{rid}/reply", w.merchant, expect=200,
                          json={"text": "感谢支持！"})).json()
    assert got["reply"] == "感谢支持！" and got["replied_at"] is not None
    again = await api.call("POST", f"/api/v1/reviews/{rid}/reply", w.merchant, expect=409, json={"text": "再次感谢"})
    assert again.json()["code"] == "reply_exists"
    listed = (await api.call("GET", f"/api/v1/shops/{w.shop_id}/reviews", expect=200)).json()
    assert [x["reply"] for x in listed["reviews"]] == ["感谢支持！"]
    await api.call("POST", "/api/v1/reviews/999999/reply", w.merchant, expect=404, json={"text": "?"})


async def test_listings_leave_out_hidden_and_fake_order_reviews(api: Api) -> None:
    w = await world(api, good_standing=False)
    made = []
    for stars in (5, 4, 1):
        order_id, line_id = await delivered(api, w)
        r = await review(api, w, order_id, line_id, product_stars=stars, text=f"{stars} stars")
        made.append((order_id, r.json()["id"]))
    product_id = (await api.call("GET", f"/api/v1/orders/{made[0][0]}/reviews", w.buyer)).json()[0]["product_id"]
    listing = (await api.call("GET", f"/api/v1/products/{product_id}/reviews", expect=200)).json()
    assert [x["text"] for x in listing["reviews"]] == ["1 stars", "4 stars", "5 stars"]  # newest first
    assert listing["rating"] == {"reviews": 3, "product_stars": 3.33, "logistics_stars": 4.0,
                                 "service_stars": 3.0, "negative": 1}
    assert listing["reliable"] is False
    assert listing["reviews"][0]["buyer"].endswith("**")  # public: the name is masked

    # The fraud side confirms a ring containing the 1-star order: its review disappears everywhere.
    async with api.db.transaction() as s:
        await record_event(s, "fraud.ring_confirmed", {"ring_id": 7, "order_ids": [made[2][0]], "shop_ids": [],
                                                       "buyer_ids": [], "creator_ids": [], "by": 1, "reason": "x"})
    await api.settle()
    # An order excluded without its reviews hidden yet does not show either.
    async with api.db.transaction() as s:
        s.add(ExcludedOrder(order_id=made[1][0], reason="fraud_ring:8", excluded_at=utcnow()))
    listing = (await api.call("GET", f"/api/v1/products/{product_id}/reviews", expect=200)).json()
    assert [x["text"] for x in listing["reviews"]] == ["5 stars"]
    assert listing["rating"]["reviews"] == 1 and listing["rating"]["negative"] == 0
    shop = (await api.call("GET", f"/api/v1/shops/{w.shop_id}/reviews", expect=200)).json()
    assert [x["text"] for x in shop["reviews"]] == ["5 stars"]
    async with api.db.transaction() as s:
        hidden = await s.get(Review, made[2][1])
        assert hidden is not None and (hidden.hidden, hidden.hidden_reason) == (True, "fraud_ring:7")
        # Idempotent: hiding again hides nothing more and keeps the first reason.
        assert await reviews.hide_reviews_of_orders(s, [made[2][0]], "fraud_ring:9") == 0
        assert await reviews.hide_reviews_of_orders(s, [made[1][0], made[2][0]], "fraud_ring:8") == 1
    # The buyer still sees their own hidden review on the order, marked.
    mine = (await api.call("GET", f"/api/v1/orders/{made[2][0]}/reviews", w.buyer, expect=200)).json()
    assert mine[0]["hidden"] is True


async def test_photos_on_your_own_review_checked_by_their_bytes(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id, line_id = await delivered(api, w)
    rid = (await review(api, w, order_id, line_id)).json()["id"]
    files = [("files", ("a.png", png(), "image/png")), ("files", ("b.png", png(), "image/png"))]
    got = (await api.call("POST", f"/api/v1/reviews/{rid}/images", w.buyer, expect=200, files=files)).json()
    assert len(got["images"]) == 2 and all(u.startswith(f"/media/reviews/{rid}/") for u in got["images"])
    r = await api.call("POST", f"/api/v1/reviews/{rid}/images", w.buyer, expect=400,
                       files=[("files", ("x.png", b"GIF89a not a png", "image/png"))])
    assert r.json()["code"] == "bad_image"
    await api.call("POST", f"/api/v1/reviews/{rid}/images", w.merchant, expect=403,
                   files=[("files", ("a.png", png(), "image/png"))])
    r = await api.call("POST", f"/api/v1/reviews/{rid}/images", w.buyer, expect=409,
                       files=[("files", (f"{i}.png", png(), "image/png")) for i in range(5)])
    assert r.json()["code"] == "too_many_images"
    async with api.db.transaction() as s:
        row = await s.get(Review, rid)
        assert row is not None and len(row.images or []) == 2


async def test_reliable_goods_need_ratings_few_quality_returns_and_an_excellent_shop(api: Api) -> None:
    op = await api.operator()
    w = await world(api, good_standing=False)
    orders = []
    for _ in range(10):
        order_id, line_id = await delivered(api, w)
        await review(api, w, order_id, line_id, product_stars=5 if len(orders) < 6 else 4)  # mean 4.6
        orders.append(order_id)
    product_id = (await api.call("GET", f"/api/v1/orders/{orders[0]}/reviews", w.buyer)).json()[0]["product_id"]

    async def reliable() -> bool:
        return bool((await api.call("GET", f"/api/v1/products/{product_id}/reviews", expect=200)).json()["reliable"])

    assert await reliable() is False  # ratings are there, but the shop has no score (new), not 优
    # Ten orders are enough once the operator says so; alone in its category the shop is 优.
    await api.call("PUT", "/api/v1/scores/settings", op, expect=200, json={"score": {"min_orders": 10}})
    await api.call("POST", "/api/v1/scores/recompute", op, expect=200)
    assert (await api.call("GET", f"/api/v1/shops/{w.shop_id}/score", expect=200)).json()["band"] == "优"
    assert await reliable() is True
    # One quality refund in ten orders is 10% > 1%: the label goes.
    a = (await api.call("POST", "/api/v1/aftersales", w.buyer, expect=201,
                        json={"order_id": orders[0], "kind": "refund_only", "reason": "quality",
                              "amount": 100})).json()
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=200, json={"approve": True})
    assert await reliable() is False
