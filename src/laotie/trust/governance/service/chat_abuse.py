"""Abuse in live rooms (直播间不文明 / 夸大宣传): classifying comments, muting abusive viewers, cases against hosts.

Every comment (`chat.commented`) goes through a classifier. What follows from its labels:

- a viewer's "abuse": flagged in the audit log; the `VIEWER_ABUSE_LIMIT`-th flag within
  `VIEWER_ABUSE_WINDOW` mutes them in the host's rooms for `MUTE_MINUTES` (as the host would);
- the host's "abuse": a `live_abuse` case opened by the detector with `immediate=True`, which
  ends the stream at once (the rest of the penalty still waits for the appeal window);
- the host's "hype" (夸大宣传: 全网最低, 根治, 100%有效 …): a `hype_selling` case, not immediate.
A host gets at most one case of each kind per live session, however many comments match.

The classifier is pluggable. Anything with `classify(text) -> Verdict` will do (a model, a
remote moderation service); install it at start-up with `use_classifier(...)`, e.g. from a
module listed in the app's DOMAIN_MODULES. It must be fast and must not block: it also runs
when a comment is recorded, to decide whether this handler needs to run at all.

The chat masks the platform's rude words (settings `chat_masked_words`) before anyone sees a
comment, this handler included, so a masked run (＊＊) counts as abuse: those lists hold insults.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.errors import DomainError
from laotie.kit.events import bus
from laotie.live.chat import service as chat
from laotie.live.service import sessions
from laotie.models import User
from laotie.trust.governance import service as governance
from laotie.trust.governance.service import audit

log = logging.getLogger("laotie.chat_abuse")

ABUSE = "abuse"
HYPE = "hype"

VIEWER_ABUSE_LIMIT = 3
VIEWER_ABUSE_WINDOW = timedelta(minutes=10)
MUTE_MINUTES = 60  # at least the window, so flags from before a mute cannot mute again on their own


@dataclass(frozen=True)
class Verdict:
    labels: set[str] = field(default_factory=set)
    matched: list[str] = field(default_factory=list)  # the words or phrases that decided it, as written


class ChatClassifier(Protocol):
    def classify(self, text: str) -> Verdict: ...


# Insults (辱骂). CJK words match inside text (spaces and punctuation ignored: "傻 逼");
# Latin words must start a word, so "fucking" counts and "scunthorpe" does not.
ABUSE_WORDS: tuple[str, ...] = (
    "傻逼", "傻b", "煞笔", "沙比", "草泥马", "操你", "你妈的", "去你妈", "尼玛的", "去死", "滚蛋", "滚出去",
    "废物", "垃圾东西", "脑残", "智障", "弱智", "白痴", "蠢货", "贱人", "狗东西", "畜生", "人渣", "王八蛋", "混蛋",
    "死全家",
    "fuck", "shit", "bitch", "asshole", "idiot", "moron", "retard", "dickhead",
)
# Short Latin insults only as whole words ("sb" but not "sbc").
ABUSE_WHOLE_WORDS: tuple[str, ...] = ("sb", "tmd", "nmsl", "cnm", "wtf", "stfu")

# Exaggerated or false claims (夸大宣传, 极限词) under the advertising law's absolute terms.
HYPE_WORDS: tuple[str, ...] = (
    "全网最低", "全网最便宜", "最便宜", "最低价", "史上最低", "全国最低", "100%有效", "百分百有效", "百分之百有效",
    "根治", "治愈", "包治", "药到病除", "特效药", "特效", "神药", "国家级", "世界级", "第一品牌", "销量第一",
    "全国第一", "全网第一", "行业第一", "无副作用", "永不反弹", "立竿见影", "一次见效", "祖传秘方", "绝对正品",
    "cheapest anywhere", "100% effective", "cures", "miracle cure",
)
# "全网/全国/史上 …最…" in any wording: an absolute claim of being the most of something.
HYPE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?:全网|全国|全球|全世界|史上|行业|宇宙)最[低便好强大优]"),
    re.compile(r"(?:100|百分百|百分之百)[%％]?(?:有效|治愈|正品|见效)"),
)
MASKED_RUN = re.compile(re.escape(chat.MASK) + "{2,}")


class RuleClassifier:
    """Word lists and a few rules: cheap enough to run on every comment of a busy room."""

    def __init__(self, abuse_words: Sequence[str] = ABUSE_WORDS, hype_words: Sequence[str] = HYPE_WORDS, *,
                 abuse_whole_words: Sequence[str] = ABUSE_WHOLE_WORDS,
                 hype_patterns: Sequence[re.Pattern[str]] = HYPE_PATTERNS, masked_is_abuse: bool = True) -> None:
        self.abuse_words = tuple(abuse_words)
        self.abuse_whole_words = tuple(abuse_whole_words)
        self.hype_words = tuple(hype_words)
        self.hype_patterns = tuple(hype_patterns)
        self.masked_is_abuse = masked_is_abuse

    def classify(self, text: str) -> Verdict:
        spans: dict[str, list[tuple[int, int]]] = {
            ABUSE: [*chat.find_words(text, self.abuse_words),
                    *chat.find_words(text, self.abuse_whole_words, whole=True)],
            HYPE: chat.find_words(text, self.hype_words),
        }
        if self.masked_is_abuse:
            spans[ABUSE] += [m.span() for m in MASKED_RUN.finditer(text)]
        compact, where = _compact(text)
        spans[HYPE] += [(where[m.start()], where[m.end() - 1] + 1)
                        for p in self.hype_patterns for m in p.finditer(compact)]
        merged = sorted(span for label in (ABUSE, HYPE) for span in _merge(spans[label]))
        matched: list[str] = []
        for a, b in merged:
            if text[a:b] not in matched:
                matched.append(text[a:b])
        return Verdict({label for label, found in spans.items() if found}, matched)


def _compact(text: str) -> tuple[str, list[int]]:
    """The text without spaces and punctuation ("全 网 最 低" reads as one phrase), with each kept index."""
    kept = [(i, ch) for i, ch in enumerate(text)
            if not ch.isspace() and not unicodedata.category(ch).startswith("P")]
    return "".join(ch for _, ch in kept), [i for i, _ in kept]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping matches as one: "全网最低价" is one claim, not "全网最低" and "最低价"."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


_classifier: ChatClassifier = RuleClassifier()


def classifier() -> ChatClassifier:
    return _classifier


def use_classifier(new: ChatClassifier) -> ChatClassifier:
    """Install another classifier for every room; returns the one it replaces (to put back in tests)."""
    global _classifier
    old, _classifier = _classifier, new
    return old


def _flagged(payload: dict[str, Any]) -> bool:
    """Run the handler only for comments the classifier labels: most comments cost nothing more."""
    return bool(classifier().classify(str(payload.get("body", ""))).labels)


@bus.on("chat.commented", "trust.chat_abuse", when=_flagged)
async def review_comment(s: AsyncSession, payload: dict[str, Any]) -> None:
    body = str(payload["body"])
    verdict = classifier().classify(body)
    if not verdict.labels:
        return
    session = await sessions.get_session(s, int(payload["session_id"]))
    user_id = int(payload["user_id"])
    at = datetime.fromisoformat(str(payload["at"]))
    evidence = {"session_id": session.id, "message_id": payload.get("message_id"), "body": body,
                "matched": verdict.matched, "labels": sorted(verdict.labels), "at": at.isoformat()}
    if user_id == session.host_id:
        if ABUSE in verdict.labels:
            await _case_against_host(s, session.host_id, session.id, "live_abuse", evidence, immediate=True,
                                     reason=f"abusive language by the host in live room {session.id}")
        if HYPE in verdict.labels:
            await _case_against_host(s, session.host_id, session.id, "hype_selling", evidence, immediate=False,
                                     reason=f"exaggerated claims by the host in live room {session.id}")
    elif ABUSE in verdict.labels:
        await _viewer_abuse(s, session.id, session.host_id, user_id, evidence, at)


async def _case_against_host(s: AsyncSession, host_id: int, session_id: int, code: str, evidence: dict[str, Any],
                             *, immediate: bool, reason: str) -> None:
    since = datetime.fromisoformat(str(evidence["at"])) - timedelta(days=2)  # no session outlasts this
    for case in await governance.recent_cases(s, host_id, code, "chat_abuse", since):
        if (case.evidence or {}).get("session_id") == session_id:
            return  # one case per session and kind: the stream is cut already, or the warning stands
    await governance.open_case(s, None, violation_code=code, subject_id=host_id, reason=reason,
                               evidence=evidence, immediate=immediate, source="chat_abuse")


async def _viewer_abuse(s: AsyncSession, session_id: int, host_id: int, user_id: int, evidence: dict[str, Any],
                        at: datetime) -> None:
    await audit.record(s, None, "chat.abuse_flagged", "user", user_id,
                       f"abusive comment in live room {session_id}: {', '.join(evidence['matched'])}", evidence, at=at)
    since = at - VIEWER_ABUSE_WINDOW
    last_mute = await audit.last_at(s, "chat.muted", "user", user_id)
    if last_mute is not None and last_mute >= since:
        since = last_mute + timedelta(microseconds=1)  # flags that led to a mute do not count towards the next
    flags = await audit.count_since(s, "chat.abuse_flagged", "user", user_id, since)
    if flags < VIEWER_ABUSE_LIMIT:
        return
    host = await s.get(User, host_id)
    assert host is not None
    try:
        # As the host would: the mute covers the host's rooms and shows in its moderation tools.
        await chat.mute_user(s, host, session_id, user_id, MUTE_MINUTES)
    except DomainError as exc:  # an operator or a moderator the host cannot mute: leave it to people
        log.info("not muting user %s in room %s: %s", user_id, session_id, exc.message)
        return
    await audit.record(s, None, "chat.muted", "user", user_id,
                       f"{flags} abusive comments within {int(VIEWER_ABUSE_WINDOW.total_seconds() // 60)} minutes",
                       {"session_id": session_id, "host_id": host_id, "minutes": MUTE_MINUTES}, at=at)
