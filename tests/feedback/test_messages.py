"""Buyer–merchant messages per order, the shop's reply times, the opening hours, and the per-order
3-minute reply facts the shop score is measured on."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta

import numpy as np
from sqlalchemy import func, select

from laotie.feedback.service import messages
from laotie.feedback.service.messages import DEFAULT_OPENING_HOURS, OpeningHours
from laotie.models import OrderMessage
from tests.aftersales.test_aftersales import paid_order, world
from tests.support import Api
from tests.trust.score.test_db import Builder, D, at


async def message_count(api: Api) -> int:
    async with api.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(OrderMessage))).scalar_one())


async def test_buyer_and_shop_talk_about_an_order_and_nobody_else_can(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    url = f"/api/v1/orders/{order_id}/messages"
    first = (await api.call("POST", url, w.buyer, expect=201, json={"text": "  什么时候发货？ "})).json()
    assert (first["sender_role"], first["text"]) == ("buyer", "什么时候发货？")
    assert first["in_opening_hours"] == DEFAULT_OPENING_HOURS.contains(datetime.fromisoformat(first["created_at"]))
    await api.call("POST", url, w.buyer, expect=201, json={"text": "急用"})
    waiting = (await api.call("GET", "/api/v1/shops/mine/conversations", w.merchant, expect=200)).json()
    assert [(c["order_id"], c["last_message"]) for c in waiting] == [(order_id, "急用")]

    await api.call("POST", url, w.merchant, expect=201, json={"text": "今天下午发"})
    thread = (await api.call("GET", url, w.buyer, expect=200)).json()
    assert thread["opening_hours"] == "09:00–22:00 Asia/Shanghai"
    assert [(m["sender_role"], m["text"]) for m in thread["messages"]] == [
        ("buyer", "什么时候发货？"), ("buyer", "急用"), ("merchant", "今天下午发")]
    # The wait opened by the first buyer message is answered; the second message was in the same wait.
    waits = [m["reply_seconds"] for m in thread["messages"]]
    assert waits[0] is not None and 0 <= waits[0] < 60 and waits[1:] == [None, None]
    assert (await api.call("GET", "/api/v1/shops/mine/conversations", w.merchant, expect=200)).json() == []
    assert (await api.call("GET", url, w.merchant, expect=200)).json() == thread

    stranger = await api.user()
    other_shop = await api.user("merchant")
    await api.call("POST", "/api/v1/shops", other_shop, expect=201, json={"name": "nosy shop"})
    for who in (stranger, other_shop):
        assert (await api.call("POST", url, who, expect=403, json={"text": "hi"})).json()["code"] == "not_your_order"
        await api.call("GET", url, who, expect=403)
    for text in ("", "字" * 1001):
        r = await api.call("POST", url, w.buyer, expect=422, json={"text": text})
        assert r.json()["field"] == "text"
    await api.call("POST", url, w.buyer, expect=422, json={"text": "   "})  # blank after trimming
    await api.call("POST", "/api/v1/orders/999999/messages", w.buyer, expect=404, json={"text": "?"})
    assert await message_count(api) == 3


async def test_operators_set_the_opening_hours(api: Api) -> None:
    op = await api.operator()
    assert (await api.call("GET", "/api/v1/feedback/opening-hours", expect=200)).json() == {
        "start": "09:00", "end": "22:00", "tz": "Asia/Shanghai"}
    merchant = await api.user("merchant")
    body = {"start": "08:30", "end": "23:00", "tz": "Asia/Urumqi"}
    await api.call("PUT", "/api/v1/feedback/opening-hours", merchant, expect=403, json=body)
    bad = await api.call("PUT", "/api/v1/feedback/opening-hours", op, expect=422, json={**body, "tz": "Mars/Base"})
    assert bad.json()["field"] == "tz"
    await api.call("PUT", "/api/v1/feedback/opening-hours", op, expect=422, json={**body, "end": "25:00"})
    assert (await api.call("PUT", "/api/v1/feedback/opening-hours", op, expect=200, json=body)).json() == body
    assert (await api.call("GET", "/api/v1/feedback/opening-hours", expect=200)).json() == body


def test_opening_hours_in_local_time_overnight_and_around_daylight_saving() -> None:
    def utc(*args: int) -> float:
        return datetime(*args, tzinfo=UTC).timestamp()

    hours = DEFAULT_OPENING_HOURS  # 09:00–22:00 in Shanghai = 01:00–14:00 UTC
    got = hours.contains_epochs(np.array([utc(2024, 6, 1, 0, 59), utc(2024, 6, 1, 1, 0), utc(2024, 6, 1, 13, 59),
                                          utc(2024, 6, 1, 14, 0)]))
    assert got.tolist() == [False, True, True, False]
    night = OpeningHours(time(20), time(2), "Asia/Shanghai")
    assert night.contains_epochs(np.array([utc(2024, 6, 1, 12), utc(2024, 6, 1, 17), utc(2024, 6, 1, 18)])
                                 ).tolist() == [True, True, False]
    berlin = OpeningHours(time(9), time(17), "Europe/Berlin")  # UTC+1 in winter, +2 in summer
    assert berlin.contains_epochs(np.array([utc(2024, 1, 15, 8, 30), utc(2024, 7, 15, 7, 30)])).tolist() == [
        True, True]
    assert berlin.contains_epochs(np.array([utc(2024, 1, 15, 7, 30), utc(2024, 7, 15, 6, 30)])).tolist() == [
        False, False]
    assert OpeningHours(time(0), time(0)).contains(datetime(2024, 1, 1, 3, tzinfo=UTC))  # around the clock


async def test_first_reply_facts_per_order(api: Api) -> None:
    """Per order: the first buyer message inside opening hours, and the shop's first message after it."""
    since, as_of = at(D - timedelta(days=29), 0), at(D, 20)
    async with api.db.transaction() as s:
        b = Builder(s)
        await b.setup()
        await b.shop("S", await b.category("杂货"))
        paid = at(D - timedelta(days=3), 8)
        # order: ([(days before D, hour in Shanghai, sender)], expected fact; None = no fact)
        cases: dict[str, tuple[list[tuple[int, float, str]], float | None]] = {
            "on_time": ([(2, 10, "buyer"), (2, 10 + 3 / 60, "merchant")], 1.0),  # exactly 3 min
            "late": ([(2, 10, "buyer"), (2, 10 + 3 / 60 + 1 / 3600, "merchant")], 0.0),  # 3 min 1 s
            "never": ([(2, 10, "buyer")], 0.0),
            # Asked at night (not counted), then again in the morning and answered in 36 s.
            "night_then_day": ([(2, 23, "buyer"), (2, 23.5, "merchant"), (1, 11, "buyer"), (1, 11.01, "merchant")],
                               1.0),
            "night_only": ([(2, 23, "buyer")], None),  # outside opening hours: no fact
            "shop_first": ([(2, 9.5, "merchant"), (2, 10, "buyer"), (2, 10.2, "merchant")], 0.0),  # 12 min
            "second_ask_ignored": ([(2, 10, "buyer"), (2, 10.5, "merchant"), (2, 12, "buyer"),
                                    (2, 12.01, "merchant")], 0.0),
        }
        for name, (msgs, _) in cases.items():
            await b.order(name, "S", paid)
            for days, hour, role in msgs:
                s.add(OrderMessage(order_id=b.orders[name], shop_id=b.shops["S"], sender_id=b.buyer, sender_role=role,
                                   body="x", created_at=at(D - timedelta(days=days), hour)))
        await b.order("running", "S", paid)  # asked 1 minute before as_of: still inside its 3 minutes
        s.add(OrderMessage(order_id=b.orders["running"], shop_id=b.shops["S"], sender_id=b.buyer,
                           sender_role="buyer", body="x", created_at=as_of - timedelta(minutes=1)))
        await s.flush()
        orders, flags = await messages.first_reply_facts(s, since=since, as_of=as_of, hours=DEFAULT_OPENING_HOURS)
    got = dict(zip(orders.tolist(), flags.tolist(), strict=True))
    for name, (_, expected) in cases.items():
        if expected is None:
            assert b.orders[name] not in got, name
        else:
            assert got[b.orders[name]] == expected, name
    assert math.isnan(got[b.orders["running"]])
    assert orders.tolist() == sorted(orders.tolist())
