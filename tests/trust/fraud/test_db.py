"""Fake-order rings through the real tables: load, detect, queue, confirm or dismiss, and the device cookie.

The world: three popular shops with forty honest buyers (old accounts, their own addresses and
phones, reviews of ordinary length, receipt confirmed days later), a small community shop whose
six regulars buy again and again (dense, honest), and a planted ring: eight accounts opened
ten days ago, two phones and two drop addresses between them, ordering a ¥5 listing from two
colluding shops in four organised sittings — half of them through a colluding creator's live
room — confirmed within the hour and praised with "好评"; they camouflage at popular shops.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.identity import service as identity
from laotie.models import (
    AuditEntry,
    ExcludedOrder,
    FraudRing,
    LiveSession,
    Order,
    OrderLine,
    OutboxEvent,
    Payment,
    Product,
    Review,
    User,
    utcnow,
)
from laotie.trust.fraud import service as fraud_rings
from laotie.trust.fraud.core import OrderBatch
from laotie.trust.fraud.core.detect import Ring
from laotie.trust.fraud.service import KnownRing, fingerprint, known_accounts, match_ring, normalise_address
from laotie.trust.fraud.tasks import detect_fraud
from tests.support import Api
from tests.web.seed import merchant_with_product
from tests.web.test_pages import csrf_of, sign_in

DAY = timedelta(days=1)
DROP_ADDRESSES = ("8 Drop Road, Linyi 代收点", "８ drop road  LINYI,代收点", "Room 3, 12 Depot Lane")


@dataclass
class World:
    operator: User
    op_token: str
    now: datetime
    ring_buyers: set[int]
    ring_shops: set[int]
    creator_id: int
    ring_orders: set[int]
    loyal_buyers: set[int]
    honest_buyers: set[int]
    shops: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # name -> shop, product, sku


async def _users(s: AsyncSession, names: list[str], created_at: datetime) -> list[int]:
    """Buyer accounts straight into the table: they never sign in, and argon2 for fifty is slow."""
    rows = [User(username=n, display_name=n, password_hash="-", roles="consumer", created_at=created_at)
            for n in names]
    s.add_all(rows)
    await s.flush()
    return [u.id for u in rows]


async def _order(s: AsyncSession, *, buyer: int, shop: tuple[int, int, int], amount: int, at: datetime,
                 confirmed_after: timedelta | None, address: str, device: str | None, source: str = "direct",
                 review: tuple[int, str] | None = None) -> int:
    """A paid order with one line (and maybe a review), as checkout and payment would leave it."""
    shop_id, product_id, sku_id = shop
    pay = Payment(buyer_id=buyer, amount=amount, currency="CNY", gateway="sandbox", status="succeeded",
                  created_at=at, succeeded_at=at)
    s.add(pay)
    await s.flush()
    done = at + confirmed_after if confirmed_after is not None else None
    order = Order(buyer_id=buyer, shop_id=shop_id, payment_id=pay.id, status="completed" if done else "paid",
                  total=amount, commission=0, source=source, recipient="收件人", phone="13800000000",
                  address=address, device_fp=hashlib.sha256(device.encode()).hexdigest()[:32] if device else None,
                  pay_deadline=at + timedelta(minutes=15), created_at=at, paid_at=at, completed_at=done)
    s.add(order)
    await s.flush()
    line = OrderLine(order_id=order.id, sku_id=sku_id, product_id=product_id, title="item", sku_attributes={},
                     unit_price=amount, quantity=1, commission_bps=0, commission=0)
    s.add(line)
    await s.flush()
    if review is not None:
        s.add(Review(order_line_id=line.id, order_id=order.id, buyer_id=buyer, shop_id=shop_id,
                     product_id=product_id, product_stars=review[0], logistics_stars=5, service_stars=5,
                     body=review[1], created_at=at + DAY))
    return order.id


async def _shop(s: AsyncSession, settings: Settings, name: str, price: int) -> tuple[int, int, int]:
    m = await merchant_with_product(s, settings, name, title=f"{name} goods", price=price)
    product = await s.get(Product, m.product_id)
    return product.shop_id, m.product_id, m.sku_id


@pytest.fixture
async def world(api: Api) -> World:
    async with api.db.transaction() as s:
        return await plant(s, api.db.settings, utcnow())


async def plant(s: AsyncSession, settings: Settings, now: datetime) -> World:
    """The world of the module docstring, through the real tables; the operator is `fraud_op`."""
    rng = random.Random(7)
    operator = await identity.register_user(s, settings, username="fraud_op", password="password123",
                                            roles={"operator"}, self_serve=False)
    op_token = await identity.issue_api_token(s, operator)
    prices = {"popular_a": 6900, "popular_b": 12900, "popular_c": 4900, "village_tea": 3600, "colluder_x": 500,
              "colluder_y": 500}
    shops = {name: await _shop(s, settings, name, price) for name, price in prices.items()}
    price_of = {shops[name]: price for name, price in prices.items()}
    creator = (await _users(s, ["colluding_host"], now - 900 * DAY))[0]
    room = LiveSession(host_id=creator, title="今晚福利", status="ended", playback_name="fraud-test-room",
                       started_at=now - 20 * DAY, ended_at=now - DAY, created_at=now - 20 * DAY)
    s.add(room)
    await s.flush()

    honest = await _users(s, [f"honest{i}" for i in range(40)], now - 400 * DAY)
    popular = [shops["popular_a"]] * 6 + [shops["popular_b"]] * 3 + [shops["popular_c"]]
    for i, buyer in enumerate(honest):
        for _ in range(rng.randint(3, 6)):
            shop = rng.choice(popular)
            reviewed = rng.random() < 0.4
            body = "物流很快，包装完好，味道和描述一致，会回购的，推荐给朋友们。"
            await _order(s, buyer=buyer, shop=shop, amount=price_of[shop] * rng.randint(1, 3),
                         at=now - rng.uniform(1, 28) * DAY,
                         confirmed_after=None if rng.random() < 0.1 else rng.uniform(3, 9) * DAY,
                         address=f"{i} Honest Street, Jinan", device=f"phone-{i}" if i % 4 else None,
                         review=(rng.choice([4, 5, 5]), body) if reviewed else None)

    loyal = await _users(s, [f"regular{i}" for i in range(6)], now - 700 * DAY)
    for i, buyer in enumerate(loyal):
        for _ in range(6):
            await _order(s, buyer=buyer, shop=shops["village_tea"], amount=3600,
                         at=now - rng.uniform(1, 28) * DAY, confirmed_after=rng.uniform(3, 6) * DAY,
                         address=f"{i} Tea Lane, Rizhao", device=f"tea-phone-{i}",
                         review=(5, "老顾客了，这家的绿茶一直很新鲜，泡出来清香，价格也公道。"))

    ring = await _users(s, [f"shua{i}" for i in range(8)], now - 10 * DAY)
    ring_orders: set[int] = set()
    for sitting, days_ago in enumerate((8, 6, 4, 2)):
        start = now - days_ago * DAY
        for i, buyer in enumerate(ring):
            for j, name in enumerate(("colluder_x", "colluder_y")):
                via_room = (i + j + sitting) % 2 == 0
                ring_orders.add(await _order(
                    s, buyer=buyer, shop=shops[name], amount=500, at=start + timedelta(minutes=i * 2 + j),
                    confirmed_after=timedelta(hours=1), address=DROP_ADDRESSES[i % 2],
                    device=f"farm-phone-{i % 2}", source=f"live:{room.id}" if via_room else "direct",
                    review=(5, "好评") if (i + sitting) % 5 else None))
    for i, buyer in enumerate(ring):  # camouflage
        for shop in (shops["popular_a"], shops["popular_b"]):
            await _order(s, buyer=buyer, shop=shop, amount=price_of[shop],
                         at=now - rng.uniform(1, 9) * DAY, confirmed_after=4 * DAY,
                         address=DROP_ADDRESSES[i % 2], device=f"farm-phone-{i % 2}")
    return World(operator=operator, op_token=op_token, now=now, ring_buyers=set(ring),
                 ring_shops={shops["colluder_x"][0], shops["colluder_y"][0]}, creator_id=creator,
                 ring_orders=ring_orders, loyal_buyers=set(loyal), honest_buyers=set(honest), shops=shops)


async def events(api: Api, name: str) -> list[dict[str, Any]]:
    async with api.db.transaction() as s:
        rows = await s.execute(select(OutboxEvent.payload).where(OutboxEvent.name == name).order_by(OutboxEvent.id))
        return [dict(p) for p in rows.scalars()]


async def detect(api: Api, world: World, expect: int = 200) -> dict[str, Any]:
    r = await api.call("POST", "/api/v1/fraud/detect", world.op_token, expect=expect, json={"days": 30})
    return dict(r.json())


# ---- loading -------------------------------------------------------------------------------------


async def test_load_batch_reads_every_column_from_the_tables(api: Api, world: World) -> None:
    async with api.db.transaction() as s:
        batch = await fraud_rings.load_batch(s, world.now - 30 * DAY, world.now + DAY)
        orders = {o.id: o for o in (await s.execute(select(Order))).scalars()}
        room_id = (await s.execute(select(LiveSession.id))).scalar_one()
    assert isinstance(batch, OrderBatch) and len(batch) == len(orders)
    row = {int(o): i for i, o in enumerate(batch.order_id)}
    ring_order = orders[min(world.ring_orders)]
    i = row[ring_order.id]
    assert batch.buyer_id[i] == ring_order.buyer_id and batch.shop_id[i] == ring_order.shop_id
    assert batch.product_id[i] == world.shops["colluder_x"][1] and batch.amount[i] == 500
    assert batch.confirm_delay[i] == pytest.approx(3600)
    assert batch.created_at[i] == pytest.approx(ring_order.created_at.timestamp())
    assert batch.buyer_created_at[i] == pytest.approx((world.now - 10 * DAY).timestamp(), abs=1)
    assert batch.device_fp[i] == fingerprint(ring_order.device_fp) != 0
    assert (batch.review_stars[i], batch.review_chars[i]) in {(5, 2), (0, 0)}
    # The creator is the live room's host; direct orders have none.
    via_room = [o for o in world.ring_orders if orders[o].source == f"live:{room_id}"]
    direct = [o for o in world.ring_orders if orders[o].source == "direct"]
    assert via_room and direct
    assert {int(batch.creator_id[row[o]]) for o in via_room} == {world.creator_id}
    assert {int(batch.creator_id[row[o]]) for o in direct} == {0}
    # One drop address in two spellings (full-width digit, case, spaces, comma) is one fingerprint.
    assert normalise_address(DROP_ADDRESSES[0]) == normalise_address(DROP_ADDRESSES[1])
    drop = {int(batch.address_fp[row[o]]) for o in world.ring_orders}
    assert len(drop) == 1
    # An order without a device has fingerprint 0; an unconfirmed one a NaN delay.
    no_device = next(o for o in orders.values() if o.device_fp is None)
    assert batch.device_fp[row[no_device.id]] == 0
    unconfirmed = next(o for o in orders.values() if o.completed_at is None)
    assert np.isnan(batch.confirm_delay[row[unconfirmed.id]])


async def test_an_empty_or_oversized_window_is_refused(api: Api, world: World) -> None:
    async with api.db.transaction() as s:
        with pytest.raises(fraud_rings.EmptyWindow):
            await fraud_rings.load_batch(s, world.now - 400 * DAY, world.now - 350 * DAY)
        with pytest.raises(fraud_rings.InvalidWindow):
            await fraud_rings.load_batch(s, world.now - 100 * DAY, world.now)
        assert await fraud_rings.run_detection(s, world.now - 400 * DAY, world.now - 350 * DAY) == []


# ---- detection -----------------------------------------------------------------------------------


async def test_detection_finds_the_planted_ring_with_its_evidence(api: Api, world: World) -> None:
    body = await detect(api, world)
    rings = body["rings"]
    assert isinstance(rings, list) and len(rings) == 1, rings
    ring = rings[0]
    assert set(ring["buyer_ids"]) == world.ring_buyers
    assert set(ring["shop_ids"]) == world.ring_shops and ring["creator_ids"] == [world.creator_id]
    assert ring["order_count"] == len(world.ring_orders) and ring["status"] == "suspected"
    assert sorted(ring["shop_names"].values()) == ["colluder_x shop", "colluder_y shop"]
    evidence = {e["signal"]: e for e in ring["evidence"]}
    assert ring["evidence"][0]["signal"] == "density"
    for signal in ("new_accounts", "shared_fingerprints", "bursts", "tiny_instant"):
        assert evidence[signal]["value"] >= 0.9, evidence[signal]
    assert evidence["short_five_star"]["value"] >= 0.7
    assert "8 of 8 accounts were less than 7 days old" in evidence["new_accounts"]["explanation"]
    assert ring["score"] >= 0.9

    detail = (await api.call("GET", f"/api/v1/fraud/rings/{ring['id']}", world.op_token, expect=200)).json()
    assert set(detail["order_ids"]) == world.ring_orders
    queue = (await api.call("GET", "/api/v1/fraud/rings", world.op_token, expect=200)).json()
    assert [r["id"] for r in queue] == [ring["id"]] and queue[0]["order_ids"] is None
    ran = await events(api, "fraud.detection_ran")
    assert ran[-1]["new"] == [ring["id"]] and ran[-1]["by"] == world.operator.id
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(ExcludedOrder))).scalar_one() == 0


async def test_a_second_run_refreshes_the_ring_and_never_duplicates_it(api: Api, world: World) -> None:
    first = (await detect(api, world))["rings"]
    second = (await detect(api, world))["rings"]
    assert [r["id"] for r in first] == [r["id"] for r in second]
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(FraudRing))).scalar_one() == 1
    assert (await events(api, "fraud.detection_ran"))[-1]["refreshed"] == [first[0]["id"]]
    # The daily job over the same orders refreshes the same ring, in its own transactions.
    assert await detect_fraud(api.db, now=world.now + timedelta(minutes=1)) == 1
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(FraudRing))).scalar_one() == 1


async def test_two_runs_at_once_store_one_ring(api: Api, world: World) -> None:
    async def run() -> None:
        async with api.db.transaction() as s:
            await fraud_rings.run_detection(s, world.now - 30 * DAY, world.now + DAY)

    await asyncio.gather(run(), run())
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(FraudRing))).scalar_one() == 1


# ---- the operator's decision ---------------------------------------------------------------------


async def test_confirming_excludes_the_orders_and_tells_the_other_domains(api: Api, world: World) -> None:
    ring_id = (await detect(api, world))["rings"][0]["id"]
    r = await api.call("POST", f"/api/v1/fraud/rings/{ring_id}/confirm", world.op_token, expect=200,
                       json={"reason": "device farm, drop addresses, ¥5 listing confirmed within the hour"})
    ring = r.json()
    assert ring["status"] == "confirmed" and ring["decided_by"] == world.operator.id
    assert ring["reason"] == "device farm, drop addresses, ¥5 listing confirmed within the hour"
    async with api.db.transaction() as s:
        excluded = {o: why for o, why in await s.execute(select(ExcludedOrder.order_id, ExcludedOrder.reason))}
        assert set(excluded) == world.ring_orders
        assert set(excluded.values()) == {f"fraud_ring:{ring_id}"}
        some = min(world.ring_orders)
        assert await fraud_rings.is_excluded(s, some)
        honest_order = (await s.execute(select(Order.id).where(Order.buyer_id.in_(world.honest_buyers))
                                        .limit(1))).scalar_one()
        assert await fraud_rings.excluded_order_ids(s, [some, honest_order]) == {some}
        counted = (await s.execute(select(func.count()).select_from(Order).where(~fraud_rings.excluded(Order.id))
                                   )).scalar_one()
        total = (await s.execute(select(func.count()).select_from(Order))).scalar_one()
        assert counted == total - len(world.ring_orders)
        audit = (await s.execute(select(AuditEntry).where(AuditEntry.subject_kind == "fraud_ring"))).scalars().all()
        assert [(a.action, a.actor_id, a.subject_id) for a in audit] == [
            ("fraud_ring.confirmed", world.operator.id, ring_id)]
        # Excluded orders are out of the next window's batch.
        batch = await fraud_rings.load_batch(s, world.now - 30 * DAY, world.now + DAY)
        assert not set(batch.order_id.tolist()) & world.ring_orders
    confirmed = await events(api, "fraud.ring_confirmed")
    assert confirmed == [{
        "ring_id": ring_id, "shop_ids": sorted(world.ring_shops), "buyer_ids": sorted(world.ring_buyers),
        "creator_ids": [world.creator_id], "order_ids": sorted(world.ring_orders), "by": world.operator.id,
        "reason": "device farm, drop addresses, ¥5 listing confirmed within the hour"}]

    # A retried click changes nothing and tells nobody twice; dismissing it now is refused.
    await api.call("POST", f"/api/v1/fraud/rings/{ring_id}/confirm", world.op_token, expect=200,
                   json={"reason": "again"})
    assert len(await events(api, "fraud.ring_confirmed")) == 1
    r = await api.call("POST", f"/api/v1/fraud/rings/{ring_id}/dismiss", world.op_token, expect=409,
                       json={"reason": "changed my mind"})
    assert r.json()["code"] == "fraud_ring_decided"
    # The next run finds nothing new: the ring's orders no longer count.
    assert (await detect(api, world))["rings"] == []
    confirmed_list = (await api.call("GET", "/api/v1/fraud/rings?status=confirmed", world.op_token,
                                     expect=200)).json()
    assert [x["id"] for x in confirmed_list] == [ring_id]
    # Governance opens a 虚假交易 case against each of the ring's shops.
    await api.settle()
    from laotie.models import ViolationCase

    async with api.db.transaction() as s:
        opened = (await s.execute(select(ViolationCase.shop_id, ViolationCase.source)
                                  .where(ViolationCase.violation_code == "fake_orders"))).all()
    assert sorted(opened) == sorted((shop, "fraud_ring") for shop in world.ring_shops)
    async with api.db.transaction() as s:  # sales figures never count them (and never go below zero)
        from laotie.models import Product

        assert min((await s.execute(select(Product.sold_count))).scalars().all()) >= 0


async def test_dismissing_keeps_every_order_and_the_ring_stays_closed(api: Api, world: World) -> None:
    ring_id = (await detect(api, world))["rings"][0]["id"]
    r = await api.call("POST", f"/api/v1/fraud/rings/{ring_id}/dismiss", world.op_token, expect=200,
                       json={"reason": "a company's staff buying the team lunch"})
    assert r.json()["status"] == "dismissed"
    assert await events(api, "fraud.ring_dismissed") == [{
        "ring_id": ring_id, "shop_ids": sorted(world.ring_shops), "buyer_ids": sorted(world.ring_buyers),
        "by": world.operator.id, "reason": "a company's staff buying the team lunch"}]
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(ExcludedOrder))).scalar_one() == 0
    # The same accounts are found again, and not put back in the queue.
    assert (await detect(api, world))["rings"] == []
    assert (await events(api, "fraud.detection_ran"))[-1]["already_decided"] == [ring_id]
    async with api.db.transaction() as s:
        assert (await s.execute(select(FraudRing.status))).scalars().all() == ["dismissed"]
    r = await api.call("POST", f"/api/v1/fraud/rings/{ring_id}/confirm", world.op_token, expect=409,
                       json={"reason": "on second thoughts"})
    assert r.json()["code"] == "fraud_ring_decided"


async def test_only_operators_and_well_formed_requests(api: Api, world: World) -> None:
    ring_id = (await detect(api, world))["rings"][0]["id"]
    consumer = await api.user("consumer", "merchant")
    for method, url, body in (("POST", "/api/v1/fraud/detect", {"days": 30}), ("GET", "/api/v1/fraud/rings", None),
                              ("GET", f"/api/v1/fraud/rings/{ring_id}", None),
                              ("POST", f"/api/v1/fraud/rings/{ring_id}/confirm", {"reason": "x"}),
                              ("POST", f"/api/v1/fraud/rings/{ring_id}/dismiss", {"reason": "x"})):
        r = await api.call(method, url, consumer, json=body)
        assert r.status_code == 403 and r.json()["code"] == "role_required", (url, r.text)
    assert (await api.call("GET", "/api/v1/fraud/rings")).status_code == 401
    for url, body, name in (("/api/v1/fraud/detect", {"days": 0}, "days"),
                            ("/api/v1/fraud/detect", {"days": 93}, "days"),
                            ("/api/v1/fraud/detect", {"until": "2025-01-01T00:00:00"}, "until"),
                            (f"/api/v1/fraud/rings/{ring_id}/confirm", {"reason": ""}, "reason"),
                            (f"/api/v1/fraud/rings/{ring_id}/confirm", {}, "reason"),
                            (f"/api/v1/fraud/rings/{ring_id}/dismiss", {"reason": "x" * 501}, "reason")):
        r = await api.call("POST", url, world.op_token, json=body)
        assert r.status_code == 422 and r.json()["field"] == name, (url, body, r.text)
    r = await api.call("POST", f"/api/v1/fraud/rings/{ring_id}/confirm", world.op_token, json={"reason": "   "})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = await api.call("GET", "/api/v1/fraud/rings?status=open", world.op_token)
    assert r.status_code == 422 and r.json()["field"] == "status"
    r = await api.call("POST", "/api/v1/fraud/rings/999999/confirm", world.op_token, json={"reason": "x"})
    assert r.status_code == 404 and r.json()["code"] == "fraud_ring_not_found"
    async with api.db.transaction() as s:
        assert (await s.execute(select(FraudRing.status))).scalars().all() == ["suspected"]
        assert (await s.execute(select(func.count()).select_from(ExcludedOrder))).scalar_one() == 0
    assert await events(api, "fraud.ring_confirmed") == []


async def test_the_operator_page_lists_the_ring_and_confirms_it(api: Api, world: World) -> None:
    ring_id = (await detect(api, world))["rings"][0]["id"]
    await api.user(name="nosy_buyer")
    token = await sign_in(api, "nosy_buyer")
    assert (await api.client.get("/operator/fraud")).status_code == 403
    r = await api.client.post(f"/operator/fraud/{ring_id}/confirm", data={"csrf_token": token, "reason": "x"})
    assert r.status_code == 403
    token = await sign_in(api, "fraud_op")
    page = await api.client.get("/operator/fraud")
    assert page.status_code == 200 and f'data-ring="{ring_id}"' in page.text
    assert "8 of 8 accounts were less than 7 days old" in page.text and "colluder_x shop" in page.text
    r = await api.client.post(f"/operator/fraud/{ring_id}/confirm", data={"csrf_token": token, "reason": ""})
    assert r.status_code == 422 and 'data-code="invalid_request"' in r.text
    r = await api.client.post(f"/operator/fraud/{ring_id}/confirm", data={"csrf_token": token, "reason": "farm"})
    assert r.status_code == 303 and r.headers["location"] == f"/operator/fraud?done=confirmed&n={ring_id}"
    page = await api.client.get(r.headers["location"])
    assert f"Ring {ring_id} confirmed" in page.text and f'data-decided="{ring_id}"' in page.text
    assert "“farm”" in page.text


# ---- the device fingerprint ----------------------------------------------------------------------


async def test_the_checkout_page_sets_a_device_cookie_and_orders_keep_its_hash(api: Api) -> None:
    op = await api.operator()
    _, _, sku = await api.merchant_with_product(await api.category(op), stock=5)
    await api.user(name="device_buyer")
    token = await sign_in(api, "device_buyer")
    page = await api.client.get(f"/checkout?sku={sku}")
    device = api.client.cookies.get("laotie_device")
    assert page.status_code == 200 and device and len(device) >= 20
    assert "httponly" in page.headers["set-cookie"].lower()
    again = await api.client.get(f"/checkout?sku={sku}")
    assert "laotie_device" not in again.headers.get("set-cookie", "")  # long-lived: kept, not replaced
    form = {"csrf_token": csrf_of(page.text), "sku": str(sku), "qty": "1", "recipient": "Wang",
            "phone": "13800000000", "address": "1 Road", "idempotency_key": "device-key"}
    r = await api.client.post("/checkout", data=form)
    assert r.status_code == 303, r.text
    # The API: the app sends its own device id.
    buyer = await api.user()
    await api.call("POST", "/api/v1/checkout", buyer, expect=201, headers={"X-Device-Id": "app-install-42"},
                   json={"items": [{"sku_id": sku, "quantity": 1}],
                         "address": {"recipient": "Li", "phone": "13800000000", "address": "2 Road"}})
    await api.buy(buyer, sku)  # no header: no fingerprint
    r = await api.call("POST", "/api/v1/checkout", buyer, headers={"X-Device-Id": "x" * 201},
                       json={"items": [{"sku_id": sku, "quantity": 1}],
                             "address": {"recipient": "Li", "phone": "13800000000", "address": "2 Road"}})
    assert r.status_code == 422 and r.json()["field"] == "X-Device-Id"
    async with api.db.transaction() as s:
        fps = (await s.execute(select(Order.device_fp).order_by(Order.id))).scalars().all()
    assert fps == [hashlib.sha256(device.encode()).hexdigest()[:32],
                   hashlib.sha256(b"app-install-42").hexdigest()[:32], None]
    assert token


# ---- matching rings across runs (pure) -----------------------------------------------------------


def _ring(buyers: range | list[int], shops: tuple[int, ...] = (1,), creators: tuple[int, ...] = ()) -> Ring:
    return Ring(buyers=tuple(buyers), shops=shops, creators=creators, order_ids=(1,), density=1.0,
                density_ratio=3.0, score=0.9, evidence=())


def _known(i: int, status: str, buyers: range | list[int], shops: tuple[int, ...] = (1,),
           decided_at: datetime | None = None) -> KnownRing:
    return KnownRing(i, status, frozenset(buyers), frozenset(shops), frozenset(), decided_at)


def test_rings_match_by_their_accounts() -> None:
    queued = _known(1, "suspected", range(10))
    assert match_ring(_ring(range(5, 15)), [queued]) == queued  # half of either: the same ring, moved on
    assert match_ring(_ring(range(0, 40)), [queued]) == queued  # grown: all the old ring is in it
    assert match_ring(_ring(range(5, 15), shops=(2,)), [queued]) == queued  # the same accounts, elsewhere
    assert match_ring(_ring(range(7, 30)), [queued]) is None
    decided_at = datetime(2025, 3, 1, tzinfo=UTC)
    decided = _known(2, "dismissed", range(10), decided_at=decided_at)
    assert match_ring(_ring(range(0, 8)), [decided]) == decided
    assert match_ring(_ring(range(0, 40)), [decided]) is None  # mostly new people: a look of its own
    assert match_ring(_ring(range(20, 30)), [decided, queued]) is None
    # The same accounts at other shops: what was left before the decision, or new business after it.
    before, after = decided_at - DAY, decided_at + DAY
    assert match_ring(_ring(range(0, 8), shops=(2,)), [decided], last_order_at=before) == decided
    assert match_ring(_ring(range(0, 8), shops=(2,)), [decided], last_order_at=after) is None
    assert match_ring(_ring(range(0, 8), shops=(2,)), [decided]) is None
    both = [_known(3, "confirmed", range(0, 6)), _known(4, "suspected", range(0, 9))]
    assert match_ring(_ring(range(0, 9)), both) == both[1]  # the most shared accounts
    line = known_accounts(_ring(range(0, 8), shops=(2,)), [decided, *both])
    assert line is not None and line.signal == "known_accounts" and line.value == 1.0
    assert line.explanation == ("8 of 8 accounts were in rings already decided: 8 in ring #2 (dismissed); "
                                "6 in ring #3 (confirmed)")
    assert known_accounts(_ring(range(20, 30)), [decided]) is None
