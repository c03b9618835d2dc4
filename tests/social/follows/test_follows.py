"""Follows, fan counts and brackets, go-live notices to followers, profiles and the following feed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from laotie.live.media.endpoints import callback_token
from laotie.live.sale.tasks import draw_lucky_bags
from laotie.models import Follow, LuckyBag, Notification, SocialCount, Video, utcnow
from laotie.social.follows.service import bracket
from tests.live.conftest import go_live
from tests.live.sale.test_promotions import user_of
from tests.support import Api


async def follow(api: Api, token: str, user_id: int, expect: int | None = 200):
    return await api.call("POST", f"/api/v1/users/{user_id}/follow", token, expect=expect)


def test_brackets() -> None:
    assert [bracket(n) for n in (0, 9_999, 10_000, 99_999, 100_000, 999_999, 1_000_000, 4_999_999,
                                 5_000_000, 9_999_999, 10_000_000, 10**9)] == [
        "<10k", "<10k", "10k–100k", "10k–100k", "100k–1M", "100k–1M", "1M–5M", "1M–5M",
        "5M–10M", "5M–10M", "≥10M", "≥10M"]


async def test_follow_unfollow_counts_and_refusals(api: Api) -> None:
    star, fan = await api.user("creator"), await api.user()
    star_user, fan_user = await user_of(api, star), await user_of(api, fan)
    r = await follow(api, fan, star_user.id)
    assert r.json() == {"user_id": star_user.id, "following": True, "fans": 1, "bracket": "<10k"}
    assert (await follow(api, fan, star_user.id)).json()["fans"] == 1  # twice is once
    r = await follow(api, fan, fan_user.id, expect=409)
    assert (r.json()["code"], r.json()["field"]) == ("cannot_follow_self", "user_id")
    r = await follow(api, fan, 987654, expect=404)
    assert r.json()["code"] == "user_not_found"
    await api.call("POST", f"/api/v1/users/{star_user.id}/follow", expect=401)
    await api.call("POST", "/api/v1/users/0/follow", fan, expect=422)

    fans = (await api.call("GET", f"/api/v1/users/{star_user.id}/fans", expect=200)).json()
    assert [f["id"] for f in fans] == [fan_user.id]
    following = (await api.call("GET", f"/api/v1/users/{fan_user.id}/following", expect=200)).json()
    assert [f["id"] for f in following] == [star_user.id]
    profile = (await api.call("GET", f"/api/v1/users/{fan_user.id}/profile", expect=200)).json()
    assert (profile["fans"], profile["following"]) == (0, 1)

    r = await api.call("DELETE", f"/api/v1/users/{star_user.id}/follow", fan, expect=200)
    assert r.json()["fans"] == 0 and not r.json()["following"]
    await api.call("DELETE", f"/api/v1/users/{star_user.id}/follow", fan, expect=200)  # again: nothing to undo
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(Follow))).scalar_one() == 0
        counts = {c.user_id: (c.fans, c.following) for c in (await s.execute(select(SocialCount))).scalars()}
        assert counts == {star_user.id: (0, 0), fan_user.id: (0, 0)}


async def test_concurrent_follows_count_exactly(api: Api) -> None:
    star = await user_of(api, await api.user("creator"))
    fans = [await api.user() for _ in range(25)]
    rs = await asyncio.gather(*(follow(api, f, star.id, expect=None) for f in fans + fans[:5]))
    assert {r.status_code for r in rs} == {200}
    profile = (await api.call("GET", f"/api/v1/users/{star.id}/profile", expect=200)).json()
    assert profile["fans"] == 25
    # Two accounts following each other at the same moment: both land, neither waits forever.
    a, b = await api.user(), await api.user()
    ua, ub = await user_of(api, a), await user_of(api, b)
    await asyncio.gather(follow(api, a, ub.id), follow(api, b, ua.id))
    for u in (ua, ub):
        got = (await api.call("GET", f"/api/v1/users/{u.id}/profile", expect=200)).json()
        assert (got["fans"], got["following"]) == (1, 1)


async def test_going_live_notifies_every_follower_once(api: Api) -> None:
    op = await api.operator()
    host, product, _ = await api.merchant_with_product(await api.category(op))
    host_user = await user_of(api, host)
    followers = [await api.user() for _ in range(4)]
    stranger = await api.user()
    for f in followers:
        await follow(api, f, host_user.id)
    key = (await api.call("POST", "/api/v1/live/keys", host, expect=201)).json()["stream_key"]
    token = callback_token(api.db.settings.secret("media-hooks"))
    r = await api.client.post(f"/media/hooks/publish?token={token}", data={"call": "publish", "name": key})
    assert r.status_code == 302
    await api.settle()
    session_id = (await api.call("GET", "/api/v1/live/sessions?status=live", expect=200)).json()[0]["id"]
    for f in followers:
        inbox = (await api.call("GET", "/api/v1/me/inbox", f, expect=200)).json()
        assert inbox["unread"] == 1
        [notice] = inbox["items"]
        assert notice["kind"] == "live.started" and notice["url"] == f"/live/{session_id}"
        assert "is live" in notice["title"]
    assert (await api.call("GET", "/api/v1/me/inbox", stranger, expect=200)).json() == {"unread": 0, "items": []}
    await api.call("POST", "/api/v1/me/inbox/read", followers[0], expect=204)
    assert (await api.call("GET", "/api/v1/me/inbox", followers[0], expect=200)).json()["unread"] == 0
    await api.settle()  # a redelivered event writes nothing twice
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(Notification))).scalar_one() == 4

    # The following feed: the live room first, then videos of followed accounts, newest first.
    other = await user_of(api, await api.user("creator"))
    await follow(api, followers[1], other.id)
    async with api.db.transaction() as s:
        now = utcnow()
        for owner, caption, age in ((host_user.id, "old", 3), (other.id, "new", 1), (other.id, "gone", 0)):
            s.add(Video(owner_id=owner, caption=caption, file_name=f"{caption}.mp4", size_bytes=1,
                        status="removed" if caption == "gone" else "published",
                        created_at=now - timedelta(hours=age)))
    feed = (await api.call("GET", "/api/v1/feed/following", followers[1], expect=200)).json()
    assert [x["session_id"] for x in feed["live"]] == [session_id]
    assert [v["caption"] for v in feed["videos"]] == ["new", "old"]
    # The page is logged, so the host's traffic report counts what following brought it.
    mine = (await api.call("GET", "/api/v1/me/traffic", host, expect=200)).json()
    assert mine["by_source"] == {"following": 2}  # its live room and its video
    profile = (await api.call("GET", f"/api/v1/users/{host_user.id}/profile", expect=200)).json()
    assert profile["live_session_id"] == session_id and profile["product_ids"] == [product]
    assert profile["fans"] == 4


async def test_follow_lucky_bag_draws_among_present_followers(api: Api) -> None:
    room = await go_live(api, stock=10)
    host = await user_of(api, room.host)
    present_fan, present_stranger, absent_fan = [await api.user() for _ in range(3)]
    for v in (present_fan, present_stranger):
        await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/presence", v, expect=204)
    await follow(api, present_fan, host.id)
    await follow(api, absent_fan, host.id)
    bag = (await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/lucky-bags", room.host, expect=201,
                          json={"sku_id": room.sku_id, "prizes": 2, "condition": "follow",
                                "duration_seconds": 60})).json()
    async with api.db.transaction() as s:
        row = await s.get(LuckyBag, bag["id"])
        row.ends_at = utcnow() - timedelta(seconds=1)
    assert await draw_lucky_bags(api.db) == 1
    record = (await api.call("GET", f"/api/v1/live/lucky-bags/{bag['id']}", expect=200)).json()
    fan_id = (await user_of(api, present_fan)).id
    assert (record["entrants"], record["winners"], record["returned"]) == ([fan_id], [fan_id], 1)
    assert await api.ledger_ok()


async def test_profile_pages_refuse_unknown_accounts_and_actions(api: Api) -> None:
    from tests.web.test_pages import sign_in

    star = await user_of(api, await api.user("creator", name="pagestar"))
    page = await api.client.get(f"/u/{star.id}")
    assert page.status_code == 200 and "pagestar" in page.text and "Sign in to follow" in page.text
    assert (await api.client.get("/u/987654")).status_code == 404
    await api.user(name="pagefan")
    token = await sign_in(api, "pagefan")
    r = await api.client.post(f"/u/{star.id}/befriend", data={"csrf_token": token})
    assert r.status_code == 404
    r = await api.client.post("/u/987654/follow", data={"csrf_token": token})
    assert r.status_code == 404
    r = await api.client.post(f"/u/{star.id}/follow", data={"csrf_token": token})
    assert r.status_code == 303
    page = await api.client.get(f"/u/{star.id}")
    assert 'data-follow="on"' in page.text
    assert (await api.client.get("/following")).status_code == 200
    assert (await api.client.get("/inbox")).status_code == 200


async def test_the_me_page_lists_what_is_the_accounts(api: Api) -> None:
    from tests.web.test_pages import sign_in

    await api.user("creator", name="mecreator")
    await sign_in(api, "mecreator")
    page = await api.client.get("/me")
    assert page.status_code == 200
    for link in ("/orders", "/inbox", "/coins", "/me/cases", "/videos/upload", "/me/traffic"):
        assert f'href="{link}"' in page.text
    assert 'href="/merchant"' not in page.text.split("<main", 1)[1]
