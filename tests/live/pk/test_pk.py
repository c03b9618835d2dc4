"""PK contests: two live rooms race on paid GMV or likes; refusals carry stable codes; both rooms hear it all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from laotie.identity import service as identity
from laotie.live.analytics.meter import minute_of
from laotie.live.analytics.tasks import flush_meters
from laotie.live.chat import service as chat
from laotie.live.pk import service as pk
from laotie.live.pk.tasks import finish_pk, pk_scores
from laotie.models import ChatMessage, LiveMinute, PkContest, utcnow
from laotie.orders.service.checkout import Address, LineRequest, checkout
from tests.live.conftest import LiveRoom, go_live
from tests.support import ADDRESS, Api


async def challenge(api: Api, a: LiveRoom, b: LiveRoom, metric: str = "gmv", expect: int | None = 201) -> Any:
    r = await api.call("POST", f"/api/v1/live/sessions/{a.session_id}/pk", a.host, expect=expect,
                       json={"opponent_session_id": b.session_id, "metric": metric, "duration_seconds": 300})
    return r.json()


async def live_order(api: Api, room: LiveRoom, buyer: str, quantity: int) -> int:
    """A checkout from the room (source live:<id>) placed now; returns the payment id."""
    async with api.db.transaction() as s:
        user = await identity.user_for_token(s, buyer)
        assert user is not None
        result = await checkout(s, api.db.settings, user, [LineRequest(room.sku_id, quantity)], Address(**ADDRESS),
                                source=f"live:{room.session_id}")
    return result.payment_id


async def end_window_now(api: Api, pk_id: int) -> None:
    """Bring the contest's end forward to now, instead of waiting out its minutes."""
    async with api.db.transaction() as s:
        await s.execute(update(PkContest).where(PkContest.id == pk_id).values(ends_at=utcnow()))


async def pk_log(api: Api, session_id: int) -> list[str]:
    async with api.db.transaction() as s:
        rows = (await s.execute(select(ChatMessage).where(ChatMessage.session_id == session_id,
                                                          ChatMessage.kind == "system")
                                .order_by(ChatMessage.id))).scalars().all()
    return [str(m.payload["event"]) for m in rows if str((m.payload or {}).get("event", "")).startswith("pk.")]


async def contests(api: Api) -> int:
    async with api.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(PkContest))).scalar_one())


async def test_gmv_pk_counts_paid_orders_placed_in_the_window_of_each_room(api: Api) -> None:
    a, b = await go_live(api), await go_live(api)
    buyer = await api.user()
    early = await live_order(api, a, buyer, 3)  # placed before the start: never counts, even paid during it
    contest = await challenge(api, a, b)
    assert contest["status"] == "pending"
    r = await api.call("POST", f"/api/v1/live/pk/{contest['id']}/accept", b.host, expect=200)
    assert r.json()["status"] == "running" and r.json()["started_at"] is not None

    await api.pay(buyer, early)
    await api.pay(buyer, await live_order(api, a, buyer, 1))
    await api.pay(buyer, await live_order(api, a, buyer, 2))
    await live_order(api, a, buyer, 4)  # placed in the window, never paid: not GMV
    await api.pay(buyer, await live_order(api, b, buyer, 1))
    await api.buy(buyer, b.sku_id, 5)  # B's product bought outside the room (source direct)
    assert await pk_scores(api.db) == 1
    await api.settle()
    assert await pk_scores(api.db) == 0  # unchanged: no second announcement

    await end_window_now(api, contest["id"])
    await api.pay(buyer, await live_order(api, b, buyer, 6))  # placed after the end
    assert await finish_pk(api.db) == 1
    await api.settle()

    final = (await api.call("GET", f"/api/v1/live/pk/{contest['id']}", expect=200)).json()
    assert (final["status"], final["challenger_score"], final["opponent_score"]) == ("finished", 29700, 9900)
    assert final["winner_session_id"] == a.session_id and final["end_reason"] == "time_up"
    current = (await api.call("GET", f"/api/v1/live/sessions/{b.session_id}/pk", expect=200)).json()
    assert current["id"] == contest["id"]
    for room in (a, b):
        assert await pk_log(api, room.session_id) == ["pk.started", "pk.score", "pk.finished"]
    async with api.db.transaction() as s:
        row = await s.get(PkContest, contest["id"])
        assert row is not None and row.finished_at is not None and row.started_at is not None
        assert row.challenger_host_id != row.opponent_host_id and row.cancelled_by is None
    assert await finish_pk(api.db) == 0  # finished once


async def test_likes_pk_counts_the_minutes_of_the_window(api: Api) -> None:
    a, b = await go_live(api), await go_live(api)
    contest = await challenge(api, a, b, metric="likes")
    await api.call("POST", f"/api/v1/live/pk/{contest['id']}/accept", b.host, expect=200)
    async with api.db.transaction() as s:
        row = await s.get(PkContest, contest["id"])
        assert row is not None and row.started_at is not None
        # Likes of the minute before the start are outside the window.
        s.add(LiveMinute(session_id=a.session_id, minute=minute_of(row.started_at) - timedelta(minutes=1),
                         likes=100))
    chat.like(api.db, a.session_id, 3)
    chat.like(api.db, b.session_id, 5)
    chat.like(api.db, b.session_id, 2)
    await flush_meters(api.db)
    await end_window_now(api, contest["id"])
    async with api.db.transaction() as s:
        # Not yet: the last flushes of other processes may still be on their way.
        assert await pk.finish_pk(s, contest["id"], utcnow()) is None
    async with api.db.transaction() as s:
        done = await pk.finish_pk(s, contest["id"], utcnow() + pk.LIKES_SETTLE)
        assert done is not None
    await api.settle()
    final = (await api.call("GET", f"/api/v1/live/pk/{contest['id']}", expect=200)).json()
    assert (final["challenger_score"], final["opponent_score"], final["winner_session_id"]) == (3, 7, b.session_id)
    for room in (a, b):
        assert await pk_log(api, room.session_id) == ["pk.started", "pk.finished"]


async def test_refusals_have_stable_codes_and_leave_nothing(api: Api) -> None:
    a, b, c = await go_live(api), await go_live(api), await go_live(api)
    not_yet = await api.user("creator")
    scheduled = (await api.call("POST", "/api/v1/live/sessions", not_yet, expect=201, json={"title": "later"})).json()

    async def refused(method: str, url: str, token: str, status: int, code: str, **kw: Any) -> None:
        r = await api.call(method, url, token, **kw)
        assert (r.status_code, r.json()["code"]) == (status, code)

    body = {"opponent_session_id": scheduled["id"], "metric": "gmv", "duration_seconds": 300}
    await refused("POST", f"/api/v1/live/sessions/{a.session_id}/pk", a.host, 409, "session_not_live", json=body)
    body["opponent_session_id"] = b.session_id
    await refused("POST", f"/api/v1/live/sessions/{a.session_id}/pk", c.host, 403, "not_your_room", json=body)
    await refused("POST", f"/api/v1/live/sessions/{a.session_id}/pk", a.host, 400, "pk_invalid",
                  json={**body, "opponent_session_id": a.session_id})
    assert await contests(api) == 0

    contest = await challenge(api, a, b)
    await refused("POST", f"/api/v1/live/sessions/{c.session_id}/pk", c.host, 409, "already_in_pk", json=body)
    await refused("POST", f"/api/v1/live/sessions/{b.session_id}/pk", b.host, 409, "already_in_pk",
                  json={**body, "opponent_session_id": c.session_id})
    await refused("POST", f"/api/v1/live/pk/{contest['id']}/accept", a.host, 403, "not_pk_opponent")
    await refused("POST", f"/api/v1/live/pk/{contest['id']}/accept", c.host, 403, "not_pk_opponent")
    await refused("POST", f"/api/v1/live/pk/{contest['id']}/cancel", c.host, 403, "not_your_room")
    assert await contests(api) == 1

    async with api.db.transaction() as s:
        await s.execute(update(PkContest).where(PkContest.id == contest["id"])
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    await refused("POST", f"/api/v1/live/pk/{contest['id']}/accept", b.host, 409, "pk_challenge_expired")
    await finish_pk(api.db)
    assert (await api.call("GET", f"/api/v1/live/pk/{contest['id']}", expect=200)).json()["status"] == "expired"
    await refused("POST", f"/api/v1/live/pk/{contest['id']}/accept", b.host, 409, "pk_not_pending")

    # Both rooms are free again; B declines this one, then C's challenge to B runs and B cancels it.
    second = await challenge(api, a, b)
    r = await api.call("POST", f"/api/v1/live/pk/{second['id']}/decline", b.host, expect=200)
    assert r.json()["status"] == "declined"
    third = await challenge(api, c, b)
    await api.call("POST", f"/api/v1/live/pk/{third['id']}/accept", b.host, expect=200)
    await refused("POST", f"/api/v1/live/sessions/{a.session_id}/pk", a.host, 409, "already_in_pk", json=body)
    r = await api.call("POST", f"/api/v1/live/pk/{third['id']}/cancel", b.host, expect=200)
    assert (r.json()["status"], r.json()["winner_session_id"]) == ("cancelled", None)
    await refused("POST", f"/api/v1/live/pk/{third['id']}/cancel", c.host, 409, "pk_over")
    await api.settle()
    for room in (b, c):
        assert await pk_log(api, room.session_id) == ["pk.started", "pk.cancelled"]
    assert await pk_log(api, a.session_id) == []
    await refused("GET", "/api/v1/live/pk/999999", a.host, 404, "pk_not_found")


async def test_a_stream_that_ends_ends_its_pk(api: Api) -> None:
    a, b = await go_live(api), await go_live(api)
    contest = await challenge(api, a, b)
    await api.call("POST", f"/api/v1/live/pk/{contest['id']}/accept", b.host, expect=200)
    await api.call("POST", f"/api/v1/live/sessions/{a.session_id}/end", a.host, expect=200)
    await api.settle()
    assert await finish_pk(api.db) == 1
    await api.settle()
    final = (await api.call("GET", f"/api/v1/live/pk/{contest['id']}", expect=200)).json()
    assert (final["status"], final["end_reason"], final["winner_session_id"]) == ("finished", "stream_ended", None)


async def test_console_challenges_and_answers_and_the_room_shows_the_bar(api: Api) -> None:
    from tests.web.test_pages import sign_in

    a, b = await go_live(api), await go_live(api)
    a_name = (await api.call("GET", "/api/v1/me", a.host, expect=200)).json()["username"]
    token = await sign_in(api, a_name)
    r = await api.client.post(f"/live/console/{a.session_id}/pk", data={
        "csrf_token": token, "opponent_session_id": str(b.session_id), "metric": "likes", "minutes": "2"})
    assert r.status_code == 303
    pk_id = (await api.call("GET", f"/api/v1/live/sessions/{a.session_id}/pk", expect=200)).json()
    assert pk_id is None  # pending challenges are not on the room's bar
    api.client.cookies.clear()
    b_name = (await api.call("GET", "/api/v1/me", b.host, expect=200)).json()["username"]
    token = await sign_in(api, b_name)
    console = await api.client.get("/live/console")
    assert f"Room {a.session_id} challenges you: Likes, 2 min" in console.text
    async with api.db.transaction() as s:
        contest_id = int((await s.execute(select(PkContest.id))).scalar_one())
    r = await api.client.post(f"/live/console/{b.session_id}/pk-accept", data={
        "csrf_token": token, "pk_id": str(contest_id)})
    assert r.status_code == 303
    panel = await api.client.get(f"/live/{a.session_id}/panel")
    assert f'data-pk="{contest_id}"' in panel.text and "PK · Likes" in panel.text
