"""Live chat through the real WebSocket: rules, moderation, purchase replies, resume, likes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from laotie.config import Settings
from laotie.live.chat import service as chat_rules
from laotie.models import ChatMessage, LiveSession, OutboxEvent, RoomRestriction
from tests.live.chat.support import SeededRoom, chat, fast_chat, seed_room, served
from tests.support import Api


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return fast_chat(settings)


@pytest.fixture
async def base(api: Api) -> AsyncIterator[str]:
    async with served(api.app) as url:
        yield url


@pytest.fixture
async def seeded(api: Api) -> SeededRoom:
    return await seed_room(api.db, ["ann", "bob", "cat"],
                           titles=("Linyi apples 5kg", "Yantai pears 3kg", "Laiyang pear juice"))


def comment_of(body: str) -> Any:
    return lambda m: m.get("type") == "comment" and m["body"] == body


async def count(api: Api, model: Any, *where: Any) -> int:
    async with api.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def test_comments_reach_viewers_and_anonymous_cannot_post(api: Api, base: str, seeded: SeededRoom) -> None:
    sid, (ann_id, ann) = seeded.session_id, seeded.users["ann"]
    async with chat(base, sid) as viewer, chat(base, sid, ann) as poster:
        # the history on connect: the room's system messages so far, oldest first
        history = await viewer.until(lambda m: m.get("type") == "system")
        assert history["payload"]["event"] == "live.started"
        await poster.send(type="comment", body="  hello <b>room</b>  ")
        got = await viewer.until(comment_of("hello <b>room</b>"))  # stored raw, trimmed
        assert (got["user_id"], got["user"]) == (ann_id, "ann")
        await viewer.send(type="comment", body="me too")
        assert (await viewer.error())["code"] == "not_authenticated"
        await viewer.send(type="nonsense")
        await viewer.send(type="comment")
    assert await count(api, ChatMessage, ChatMessage.kind == "comment") == 1


async def test_rate_limit_is_a_token_bucket(api: Api, base: str, seeded: SeededRoom) -> None:
    sid, (_, bob) = seeded.session_id, seeded.users["bob"]
    async with chat(base, sid, bob) as poster:
        for i in range(4):  # burst 3, then 1/s
            await poster.send(type="comment", body=f"burst {i}")
        error = await poster.error()
        assert error["code"] == "rate_limited" and error["details"]["retry_after_ms"] > 0
        for i in range(3):
            await poster.until(comment_of(f"burst {i}"))
        await asyncio.sleep(1.05)  # one token back
        await poster.send(type="comment", body="after a pause")
        await poster.until(comment_of("after a pause"))
    async with api.db.transaction() as s:
        bodies = (await s.execute(select(ChatMessage.body).where(ChatMessage.kind == "comment")
                                  .order_by(ChatMessage.id))).scalars().all()
    assert bodies == ["burst 0", "burst 1", "burst 2", "after a pause"]  # the refused one left nothing


async def test_word_filter_masks_and_blocks(api: Api, base: str, seeded: SeededRoom) -> None:
    sid, (_, cat) = seeded.session_id, seeded.users["cat"]
    async with chat(base, sid, cat) as poster:
        await poster.send(type="comment", body="加 微 信 ab123 便宜")  # spaced out, still the same word
        assert (await poster.error())["code"] == "comment_blocked"
        await poster.send(type="comment", body="ＶＸ: ab123")  # full-width letters fold to vx
        assert len([m for m in await poster.drain(0.3) if m.get("code") == "comment_blocked"]) == 1
        await poster.send(type="comment", body="this hit is FUCKing 傻逼 great")
        masked = await poster.until(lambda m: m.get("type") == "comment")
        assert masked["body"] == "this hit is ＊＊＊＊ing ＊＊ great"
        await poster.send(type="comment", body="x" * 201)
        assert (await poster.until(lambda m: m.get("code") == "comment_too_long"))["code"] == "comment_too_long"
    assert await count(api, ChatMessage, ChatMessage.kind == "comment") == 1


def test_word_matching_rules() -> None:
    assert chat_rules.find_words("vx123456", ["vx"]) == [(0, 2)]
    assert chat_rules.find_words("wechat me", ["wechat"]) == [(0, 6)]
    assert chat_rules.find_words("this hit", ["shit"]) == []
    assert chat_rules.mask_words("草 泥 马!", ["草泥马"]) == "＊ ＊ ＊!"
    assert chat_rules.is_purchase_intent("这个 多少 钱？") and chat_rules.is_purchase_intent("How MUCH is it")
    assert chat_rules.is_purchase_intent("link pls") and not chat_rules.is_purchase_intent("linked in")
    assert not chat_rules.is_purchase_intent("好漂亮")


async def test_purchase_question_gets_the_pinned_card(api: Api, base: str, seeded: SeededRoom) -> None:
    sid, (ann_id, ann) = seeded.session_id, seeded.users["ann"]
    pinned = seeded.product_ids[0]
    async with chat(base, sid) as viewer, chat(base, sid, ann) as poster:
        await poster.send(type="comment", body="梨子多少钱？")  # mentions pears, but a card is pinned
        question = await viewer.until(comment_of("梨子多少钱？"))
        reply = await viewer.until(lambda m: m.get("type") == "reply")
        assert reply["id"] > question["id"]
        card = reply["payload"]["product"]
        assert (card["id"], card["title"], card["min_price"]) == (pinned, "Linyi apples 5kg", 9900)
        assert reply["payload"]["in_reply_to"] == question["id"] and reply["payload"]["to_user_id"] == ann_id
        assert reply["body"].startswith("@ann Linyi apples 5kg ¥99.00")
        await poster.send(type="comment", body="nice colour")  # no question, no reply
        await viewer.until(comment_of("nice colour"))
    assert await count(api, ChatMessage, ChatMessage.kind == "reply") == 1


async def test_without_a_pin_the_best_matching_cart_product_answers(api: Api, base: str) -> None:
    room = await seed_room(api.db, ["dan"], titles=("Linyi apples 5kg", "Yantai pears 3kg"), pin=False)
    async with chat(base, room.session_id, room.users["dan"][1]) as poster:
        await poster.send(type="comment", body="where to buy the pears?")
        reply = await poster.until(lambda m: m.get("type") == "reply")
        assert reply["payload"]["product"]["id"] == room.product_ids[1]
        assert reply["payload"]["pinned"] is False
        await asyncio.sleep(1.05)
        await poster.send(type="comment", body="链接在哪")  # nothing matches: the first in the cart
        reply = await poster.until(lambda m: m.get("type") == "reply" and m["payload"]["in_reply_to"] != 0
                                   and m["body"].startswith("@dan Linyi"))
        assert reply["payload"]["product"]["id"] == room.product_ids[0]


async def wait_until_moderator(api: Api, host_id: int, user_id: int) -> None:
    from laotie.models import RoomRestriction

    for _ in range(100):
        async with api.db.transaction() as s:
            found = (await s.execute(select(RoomRestriction.id).where(
                RoomRestriction.host_id == host_id, RoomRestriction.user_id == user_id,
                RoomRestriction.kind == "moderator"))).first()
        if found:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the appointment never committed")


async def test_mute_ban_and_moderators(api: Api, base: str, seeded: SeededRoom) -> None:
    sid = seeded.session_id
    (ann_id, ann), (bob_id, bob), (cat_id, cat) = seeded.users["ann"], seeded.users["bob"], seeded.users["cat"]
    async with chat(base, sid, ann) as a, chat(base, sid, bob) as b, chat(base, sid, seeded.host_token) as host:
        # a viewer is no moderator
        await b.send(type="mute", user_id=ann_id, minutes=5)
        assert (await b.error())["code"] == "not_moderator"
        # the host appoints bob; bob mutes ann; ann is refused with a stable code
        await host.send(type="appoint", user_id=bob_id)
        # Sockets are independent: on PostgreSQL bob's next action may otherwise run before
        # the host's appointment has committed.
        await wait_until_moderator(api, seeded.host_id, bob_id)
        await b.send(type="mute", user_id=ann_id, minutes=5)
        await b.send(type="mute", user_id=seeded.host_id, minutes=5)
        assert (await b.error())["code"] == "cannot_moderate"
        await asyncio.sleep(0.2)
        await a.send(type="comment", body="let me talk")
        error = await a.error()
        assert error["code"] == "muted" and "until" in error["details"]
        # the host bans cat; cat cannot post in any of the host's rooms
        await host.send(type="ban", user_id=cat_id)
        await host.send(type="mute", user_id=bob_id, minutes=7 * 24 * 60 + 1)
        assert (await host.error())["code"] == "invalid_duration"
    async with chat(base, sid, cat) as c:
        await c.send(type="comment", body="hello?")
        assert (await c.error())["code"] == "banned"
    async with api.db.transaction() as s:
        rows = (await s.execute(select(RoomRestriction.kind, RoomRestriction.user_id, RoomRestriction.created_by)
                                .order_by(RoomRestriction.id))).all()
        events = (await s.execute(select(OutboxEvent.name).where(OutboxEvent.name.like("chat.%"))
                                  .order_by(OutboxEvent.id))).scalars().all()
    assert [tuple(r) for r in rows] == [("moderator", bob_id, seeded.host_id), ("mute", ann_id, bob_id),
                                        ("ban", cat_id, seeded.host_id)]
    assert events == ["chat.moderator_appointed", "chat.user_muted", "chat.user_banned"]
    assert await count(api, ChatMessage, ChatMessage.kind == "comment") == 0


async def test_hide_removes_for_everyone_and_from_history(api: Api, base: str, seeded: SeededRoom) -> None:
    sid, (_, ann), (_, bob) = seeded.session_id, seeded.users["ann"], seeded.users["bob"]
    op = seeded.users["op"][1]
    async with chat(base, sid) as viewer, chat(base, sid, ann) as a:
        await a.send(type="comment", body="spam spam")
        spam = await viewer.until(comment_of("spam spam"))
        await a.send(type="hide", id=spam["id"])
        assert (await a.error())["code"] == "not_moderator"
        async with chat(base, sid, op) as operator:  # operators moderate every room
            await operator.send(type="hide", id=spam["id"])
            assert (await viewer.until(lambda m: m.get("type") == "hide"))["id"] == spam["id"]
        await a.send(type="comment", body="sorry")
        await viewer.until(comment_of("sorry"))
    async with chat(base, sid, bob) as late:
        await late.until(comment_of("sorry"))
        assert not [m for m in late.messages if m.get("body") == "spam spam"]
    async with api.db.transaction() as s:
        assert (await s.get(ChatMessage, spam["id"])).hidden  # type: ignore[union-attr]
    assert await count(api, OutboxEvent, OutboxEvent.name == "chat.message_hidden") == 1


async def test_resume_after_id_without_duplicates(api: Api, base: str, seeded: SeededRoom) -> None:
    sid, (_, ann) = seeded.session_id, seeded.users["ann"]
    async with chat(base, sid, ann) as poster:
        for i in range(3):
            await poster.send(type="comment", body=f"first {i}")
        await poster.until(comment_of("first 2"))
    # Only the poster's own comments: system messages from setting up the room (pin, cart) may
    # land before or after them, depending on when the outbox dispatches.
    seen = [m["id"] for m in poster.logged() if str(m.get("body", "")).startswith("first")]
    last_seen = next(m["id"] for m in poster.logged() if m.get("body") == "first 1")
    async with chat(base, sid, after=last_seen) as back:
        await back.until(comment_of("first 2"))
        await asyncio.sleep(1.05)
        async with chat(base, sid, ann) as again:
            await again.send(type="comment", body="second")
            await again.until(lambda m: m.get("body") == "second" or m.get("type") == "error")
            assert not [m for m in again.messages if m.get("type") == "error"], again.messages
        await back.until(comment_of("second"))
        await back.drain(0.2)
    ids = [m["id"] for m in back.logged()]
    assert ids == sorted(set(ids)), "nothing twice, in order"
    comments = [m for m in back.logged() if m.get("type") == "comment"]
    assert comments[0]["id"] == next(m["id"] for m in poster.logged() if m.get("body") == "first 2")
    assert min(ids) > last_seen and set(seen) & set(ids) == {comments[0]["id"]}


async def test_likes_and_viewer_counts_come_in_stats(api: Api, base: str, seeded: SeededRoom) -> None:
    sid = seeded.session_id
    async with chat(base, sid) as one, chat(base, sid) as two:
        for _ in range(30):  # 20 count per socket per second
            await one.send(type="like")
        await two.send(type="like")
        stats = await two.until(lambda m: m.get("type") == "stats" and m["likes"] == 21 and m["viewers"] == 2)
        assert stats["skipped"] == 0
    async with api.db.transaction() as s:
        assert (await s.get(LiveSession, sid)).peak_viewers == 2  # type: ignore[union-attr]


async def test_ended_room_refuses_comments_and_unknown_room_closes(api: Api, base: str, seeded: SeededRoom) -> None:
    from websockets.exceptions import ConnectionClosed

    sid, (_, ann) = seeded.session_id, seeded.users["ann"]
    await api.call("POST", f"/api/v1/live/sessions/{sid}/end", seeded.host_token, expect=200)
    async with chat(base, sid, ann) as poster:
        await poster.send(type="comment", body="still there?")
        assert (await poster.error())["code"] == "session_not_live"
    async with chat(base, 999999) as nowhere:
        with pytest.raises(ConnectionClosed) as closed:
            await nowhere.ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404


async def test_a_cookie_from_another_site_is_ignored(api: Api, base: str, seeded: SeededRoom) -> None:
    from laotie.identity import service as identity
    from laotie.models import User
    from laotie.web.render import SESSION_COOKIE

    async with api.db.transaction() as s:
        ann = await s.get(User, seeded.users["ann"][0])
        assert ann is not None
        raw = await identity.start_web_session(s, api.db.settings, ann)
    cookie = f"{SESSION_COOKIE}={raw}"
    host = base.removeprefix("ws://")
    async with chat(base, seeded.session_id, Cookie=cookie, Origin=f"http://{host}") as mine:
        await mine.send(type="comment", body="from the page")
        await mine.until(comment_of("from the page"))
    async with chat(base, seeded.session_id, Cookie=cookie, Origin="https://evil.example") as forged:
        await forged.send(type="comment", body="forged")
        assert (await forged.error())["code"] == "not_authenticated"
