"""Stream keys, the media callbacks, sessions, the live cart and pinning (no media plane needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from laotie.live import room
from laotie.live.media.endpoints import callback_token
from laotie.models import ChatMessage, LiveSession
from tests.support import Api


def hooks(api: Api) -> str:
    return callback_token(api.db.settings.secret("media-hooks"))


async def publish(api: Api, name: str, token: str | None = None, call: str = "publish"):
    return await api.client.post(f"/media/hooks/{call}?token={token if token is not None else hooks(api)}",
                                 data={"call": call, "app": "live", "name": name, "addr": "127.0.0.1"})


async def test_publish_with_keys(api: Api) -> None:
    host = await api.user("creator")
    r = await api.call("POST", "/api/v1/live/keys", host, expect=201)
    key = r.json()["stream_key"]
    assert r.json()["rtmp_url"].endswith("/live")

    assert (await publish(api, key, token="wrong")).status_code == 403
    assert (await publish(api, "lk_forged")).status_code == 403
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(LiveSession))).scalar_one() == 0

    r = await publish(api, key)
    assert r.status_code == 302
    playback = r.headers["location"]
    assert key not in playback
    live = (await api.call("GET", "/api/v1/live/sessions?status=live", expect=200)).json()
    assert [x["playback_url"] for x in live] == [f"/hls/{playback}.m3u8"]

    # rotating the key: the old one is refused at once
    new_key = (await api.call("POST", "/api/v1/live/keys", host, expect=201)).json()["stream_key"]
    assert (await publish(api, key)).status_code == 403
    assert (await publish(api, new_key)).headers["location"] == playback  # same live session resumes

    assert (await publish(api, playback, call="publish_done")).status_code == 200
    ended = (await api.call("GET", f"/api/v1/live/sessions/{live[0]['id']}", expect=200)).json()
    assert (ended["status"], ended["end_reason"]) == ("ended", "publish_done")


async def test_only_hosts_and_suspensions(api: Api) -> None:
    consumer = await api.user()
    r = await api.call("POST", "/api/v1/live/keys", consumer, expect=403)
    assert r.json()["code"] == "live_not_allowed"
    host = await api.user("merchant")
    key = (await api.call("POST", "/api/v1/live/keys", host, expect=201)).json()["stream_key"]
    me = (await api.call("GET", "/api/v1/me", host, expect=200)).json()
    op = await api.operator()
    until = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    await api.call("POST", f"/api/v1/live/users/{me['id']}/suspend", host, expect=403, json={"until": until})
    await api.call("POST", f"/api/v1/live/users/{me['id']}/suspend", op, expect=204, json={"until": until})
    r = await publish(api, key)
    assert r.status_code == 403 and r.text == "live_suspended"


async def test_cart_pin_and_room_messages(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op)
    host, product, _ = await api.merchant_with_product(cat)
    other, other_product, _ = await api.merchant_with_product(cat)
    session = (await api.call("POST", "/api/v1/live/sessions", host, expect=201, json={"title": "Apples!"})).json()
    sid = session["id"]
    sub = api.db.hub.subscribe(room.channel(sid))

    r = await api.call("POST", f"/api/v1/live/sessions/{sid}/pin", host, expect=400, json={"product_id": product})
    assert r.json()["code"] == "not_in_live_cart"
    r = await api.call("POST", f"/api/v1/live/sessions/{sid}/cart", host, expect=403,
                       json={"product_id": other_product})
    assert r.json()["code"] == "not_your_shop"
    r = await api.call("POST", f"/api/v1/live/sessions/{sid}/cart", other, expect=403, json={"product_id": product})
    assert r.json()["code"] == "not_your_room"
    await api.call("POST", f"/api/v1/live/sessions/{sid}/cart", host, expect=204, json={"product_id": product})
    r = await api.call("POST", f"/api/v1/live/sessions/{sid}/pin", host, expect=200, json={"product_id": product})
    assert r.json()["pinned_product_id"] == product
    await api.settle()

    received = [json.loads(sub.queue.get_nowait()) for _ in range(sub.queue.qsize())]
    events = [m["payload"]["event"] for m in received]
    assert events == ["live.cart_changed", "live.pinned"]
    assert received[1]["payload"]["product_id"] == product
    async with api.db.transaction() as s:
        logged = (await s.execute(select(ChatMessage.id).where(ChatMessage.session_id == sid)
                                  .order_by(ChatMessage.id))).scalars().all()
    assert logged == [m["id"] for m in received]  # the log and the channel agree, in order
    sub.close()

    r = await api.call("POST", f"/api/v1/live/sessions/{sid}/cut", host, expect=403, json={"reason": "abuse"})
    r = await api.call("POST", f"/api/v1/live/sessions/{sid}/cut", op, expect=200, json={"reason": "abuse"})
    assert r.json()["status"] == "ended" and r.json()["end_reason"].startswith("operator_cut")


async def test_a_cut_stream_cannot_reconnect_at_once(api: Api) -> None:
    host = await api.user("creator")
    key = (await api.call("POST", "/api/v1/live/keys", host, expect=201)).json()["stream_key"]
    assert (await publish(api, key)).status_code == 302
    sid = (await api.call("GET", "/api/v1/live/sessions?status=live", expect=200)).json()[0]["id"]
    op = await api.operator()
    await api.call("POST", f"/api/v1/live/sessions/{sid}/cut", op, expect=200, json={"reason": "unsafe"})
    r = await publish(api, key)  # the encoder reconnecting by itself
    assert (r.status_code, r.text) == (403, "live_suspended")
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(LiveSession))).scalar_one() == 1
