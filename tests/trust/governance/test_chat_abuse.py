"""Abuse in live rooms: the classifier's verdicts, viewers muted for repeated abuse, cases against hosts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from laotie.identity import service as identity
from laotie.live.chat import service as chat
from laotie.live.errors import ChatMuted
from laotie.models import AuditEntry, LiveSession, RoomRestriction, ViolationCase, utcnow
from laotie.trust.governance.service import chat_abuse
from laotie.trust.governance.service.chat_abuse import ABUSE, HYPE, RuleClassifier, Verdict
from tests.live.conftest import go_live
from tests.support import Api


@pytest.mark.parametrize(("text", "labels", "matched"), [
    ("你这个傻 逼", {ABUSE}, ["傻 逼"]),
    ("主播是白痴吗", {ABUSE}, ["白痴"]),
    ("FUCKing hell", {ABUSE}, ["FUCK"]),
    ("sb主播", {ABUSE}, ["sb"]),
    ("说的什么＊＊话", {ABUSE}, ["＊＊"]),  # what the chat masked is an insult
    ("全网最低价，赶紧拍", {HYPE}, ["全网最低价"]),
    ("全 网 最 便 宜", {HYPE}, ["全 网 最 便 宜"]),
    ("全国最好的苹果", {HYPE}, ["全国最好"]),
    ("100%有效，根治失眠", {HYPE}, ["100%有效", "根治"]),
    ("百分百见效", {HYPE}, ["百分百见效"]),
    ("傻逼才不买，全网最低", {ABUSE, HYPE}, ["傻逼", "全网最低"]),
    ("100%有效", {HYPE}, ["100%有效"]),
    ("this hit is great", set(), []),
    ("sbc is a company", set(), []),
    ("好吃又便宜，我妈妈爱吃", set(), []),
    ("多少钱？", set(), []),
])
def test_rule_classifier_verdicts(text: str, labels: set[str], matched: list[str]) -> None:
    assert RuleClassifier().classify(text) == Verdict(labels, matched)


def test_the_classifier_is_swappable() -> None:
    class Bananas:
        def classify(self, text: str) -> Verdict:
            return Verdict({ABUSE}, ["banana"]) if "banana" in text else Verdict()

    old = chat_abuse.use_classifier(Bananas())
    try:
        assert chat_abuse.classifier().classify("banana split").labels == {ABUSE}
        assert chat_abuse.classifier().classify("傻逼").labels == set()
    finally:
        assert isinstance(chat_abuse.use_classifier(old), Bananas)
    assert chat_abuse.classifier() is old


async def say(api: Api, token: str, session_id: int, text: str) -> None:
    async with api.db.transaction() as s:
        user = await identity.user_for_token(s, token)
        assert user is not None
        await chat.post_comment(s, api.db.settings, user, session_id, text)


async def user_id(api: Api, token: str) -> int:
    return int((await api.call("GET", "/api/v1/me", token, expect=200)).json()["id"])


async def rows(api: Api, model: Any, *where: Any) -> list[Any]:
    async with api.db.transaction() as s:
        return list((await s.execute(select(model).where(*where).order_by(model.id))).scalars().all())


async def test_a_viewer_is_muted_after_repeated_abuse(api: Api) -> None:
    room = await go_live(api)
    rude, polite = await api.user(), await api.user()
    rude_id, polite_id = await user_id(api, rude), await user_id(api, polite)
    await say(api, polite, room.session_id, "全网最低吗？多少钱")  # a viewer's hype is no one's violation
    await say(api, rude, room.session_id, "主播是白痴")
    await say(api, rude, room.session_id, "傻逼主播")
    await api.settle()
    assert await rows(api, RoomRestriction, RoomRestriction.kind == "mute") == []
    await say(api, rude, room.session_id, "滚蛋吧你")
    await api.settle()

    mutes = await rows(api, RoomRestriction, RoomRestriction.kind == "mute")
    assert [(r.user_id, r.host_id) for r in mutes] == [(rude_id, (await rows(api, LiveSession))[0].host_id)]
    assert mutes[0].until is not None and mutes[0].until > utcnow()
    with pytest.raises(ChatMuted):
        await say(api, rude, room.session_id, "let me talk")
    await say(api, polite, room.session_id, "nice apples")  # others talk on

    audit = [(e.action, e.subject_id, e.actor_id) for e in await rows(api, AuditEntry)]
    assert audit == [("chat.abuse_flagged", rude_id, None)] * 3 + [("chat.muted", rude_id, None)]
    assert polite_id not in {e[1] for e in audit}
    assert await rows(api, ViolationCase) == []


async def test_the_hosts_hype_warns_and_abuse_ends_the_stream(api: Api) -> None:
    room = await go_live(api)
    host_id = await user_id(api, room.host)
    await say(api, room.host, room.session_id, "家人们，全网最低价，100%有效！")
    await say(api, room.host, room.session_id, "根治失眠，就在今天")  # the same session: no second case
    await api.settle()
    cases = await rows(api, ViolationCase)
    assert [(c.violation_code, c.subject_id, c.opened_by, c.source, c.immediate, c.status) for c in cases] == [
        ("hype_selling", host_id, None, "chat_abuse", False, "notified")]
    assert cases[0].evidence is not None and cases[0].evidence["session_id"] == room.session_id
    assert cases[0].evidence["matched"] == ["全网最低价", "100%有效"]
    session = (await rows(api, LiveSession, LiveSession.id == room.session_id))[0]
    assert session.status == "live"  # a warning, not a safety measure

    await say(api, room.host, room.session_id, "你们这群白痴，爱买不买")
    await api.settle()
    cases = await rows(api, ViolationCase, ViolationCase.violation_code == "live_abuse")
    assert [(c.subject_id, c.opened_by, c.immediate, c.status, c.points) for c in cases] == [
        (host_id, None, True, "notified", 6)]
    session = (await rows(api, LiveSession, LiveSession.id == room.session_id))[0]
    assert session.status == "ended" and session.end_reason is not None
    assert session.end_reason.startswith("operator_cut")
    actions = [e.action for e in await rows(api, AuditEntry, AuditEntry.subject_kind == "case",
                                            AuditEntry.subject_id == cases[0].id)]
    assert actions == ["case.opened", "live.cut"]
    # The host is told, and may appeal like any other case.
    mine = (await api.call("GET", "/api/v1/governance/mine", room.host, expect=200)).json()
    assert {c["violation_code"]: c["appealable"] for c in mine["cases"]} == {"live_abuse": True,
                                                                              "hype_selling": True}


async def test_clean_comments_cost_nothing(api: Api) -> None:
    room = await go_live(api)
    viewer = await api.user()
    await say(api, viewer, room.session_id, "这个苹果甜吗")
    await say(api, room.host, room.session_id, "很甜，今天有优惠")
    await api.settle()
    assert await rows(api, AuditEntry) == []
    assert await rows(api, ViolationCase) == []
