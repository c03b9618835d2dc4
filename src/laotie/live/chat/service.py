"""Live chat rules (直播间弹幕): comments, automatic purchase replies, moderation, history, likes.

Nothing here knows about HTTP or sockets: the WebSocket endpoint, pages, jobs and the
simulator call the same functions. Every message is a row in the room's log
(chat_messages) before it is published; the publish itself leaves after commit
(room.publish). Text is stored as typed: escaping is the display's job (textContent).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.kit.errors import DomainError, NotFound
from laotie.kit.events import record_event
from laotie.kit.money import yuan
from laotie.live import repository, room
from laotie.live.analytics.meter import count_comment_after_commit, meter_of
from laotie.live.chat.state import chat_state
from laotie.live.errors import (
    CannotModerate,
    ChatBanned,
    ChatMuted,
    ChatRateLimited,
    CommentBlocked,
    CommentEmpty,
    CommentTooLong,
    MessageNotFound,
    NotModerator,
    NotYourRoom,
    SessionNotLive,
)
from laotie.live.service.sessions import ensure_host, get_session
from laotie.models import ChatMessage, LiveSession, Product, RoomRestriction, User, utcnow

MASK = "＊"
MAX_MUTE_MINUTES = 7 * 24 * 60

# Purchase intent (求链接): a comment containing any of these gets the product card as a reply.
# Matched on folded text (NFKC, case-folded); Latin phrases only as whole words.
PURCHASE_INTENT: tuple[str, ...] = (
    "在哪买", "哪里买", "哪买", "怎么买", "如何买", "怎么拍", "怎么下单", "怎么购买", "求链接", "上链接", "链接",
    "多少钱", "几块钱", "啥价", "什么价", "价格", "价钱",
    "how much", "where to buy", "where can i buy", "how to buy", "how do i buy", "price", "link",
)


# ---- text folding and word lists -------------------------------------------------------------

def _fold(text: str, *, tight: bool) -> tuple[str, list[int]]:
    """Text folded for matching, with each folded character's index in the original.

    NFKC turns full-width and styled letters into plain ones and casefold ignores case,
    so "ＶＸ" and "Vx" read as "vx". `tight` drops spaces and punctuation too, so CJK
    words spread out ("加 微-信") still match; Latin words keep one space per gap so
    "this hit" never reads as "shit".
    """
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if not c.isalnum():
                if tight or (out and out[-1] == " "):
                    continue
                c = " "
            out.append(c)
            where.append(i)
    return "".join(out), where


@lru_cache(maxsize=64)
def _matchers(words: tuple[str, ...], whole: bool) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """Latin words as one regex over loose text; the others as substrings of tight text.

    A Latin word must start a word ("this hit" is no "shit"); `whole` also wants it to end
    one ("linked" is no "link"), while without it "fucking" still counts as "fuck".
    """
    latin: list[str] = []
    other: list[str] = []
    for word in words:
        folded = _fold(word, tight=not word.isascii())[0].strip()
        if not folded:
            continue
        (latin if word.isascii() else other).append(folded)
    pattern = None
    if latin:
        alternatives = "|".join(re.escape(w) for w in sorted(latin, key=len, reverse=True))
        pattern = re.compile(rf"(?<![a-z0-9])(?:{alternatives})" + ("(?![a-z])" if whole else ""))
    return pattern, tuple(other)


def find_words(text: str, words: Sequence[str], *, whole: bool = False) -> list[tuple[int, int]]:
    """Spans [start, end) of `text` where any of `words` occurs, after folding."""
    latin, other = _matchers(tuple(words), whole)
    spans: list[tuple[int, int]] = []
    if latin is not None:
        loose, where = _fold(text, tight=False)
        spans += [(where[m.start()], where[m.end() - 1] + 1) for m in latin.finditer(loose)]
    if other:
        tight, where = _fold(text, tight=True)
        for word in other:
            start = tight.find(word)
            while start >= 0:
                spans.append((where[start], where[start + len(word) - 1] + 1))
                start = tight.find(word, start + 1)
    return spans


def mask_words(text: str, words: Sequence[str]) -> str:
    spans = find_words(text, words)
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if not chars[i].isspace():
                chars[i] = MASK
    return "".join(chars)


def is_purchase_intent(text: str) -> bool:
    return bool(find_words(text, PURCHASE_INTENT, whole=True))


def clean_comment(settings: Settings, text: str) -> str:
    """The comment as it will be stored, or a refusal (empty, too long, blocked word)."""
    # Control characters (except newlines and tabs, shown as spaces) only break displays.
    text = "".join(" " if c in "\t\r\n" else c for c in text if c in "\t\r\n" or unicodedata.category(c) != "Cc")
    text = text.strip()
    if not text:
        raise CommentEmpty("write something first", field="body")
    if len(text) > settings.chat_max_length:
        raise CommentTooLong("comments are at most %(max_length)s characters", field="body",
                             max_length=settings.chat_max_length)
    if find_words(text, settings.chat_blocked_words):
        raise CommentBlocked("this comment cannot be posted here", field="body")
    return mask_words(text, settings.chat_masked_words)


# ---- posting -----------------------------------------------------------------------------------

@dataclass
class Posted:
    comment: dict[str, Any]
    reply: dict[str, Any] | None


async def live_session(s: AsyncSession, session_id: int) -> LiveSession:
    session = await get_session(s, session_id)
    if session.status != "live":
        raise SessionNotLive("the room is not live")
    return session


async def ensure_may_post(s: AsyncSession, session: LiveSession, user: User) -> None:
    now = utcnow()
    for r in await repository.restrictions(s, session.host_id, user.id, ("ban", "mute")):
        if r.kind == "ban":
            raise ChatBanned("you are banned from this host's rooms")
        if r.until is not None and r.until > now:
            raise ChatMuted("you are muted in this room for now", until=r.until.isoformat())


async def post_comment(s: AsyncSession, settings: Settings, user: User, session_id: int, text: str) -> Posted:
    """Post a comment to a live room; a purchase question gets the product card as a reply."""
    body = clean_comment(settings, text)
    session = await live_session(s, session_id)
    await ensure_may_post(s, session, user)
    # Last: a refused comment does not spend the user's allowance.
    state = chat_state(s.info.get("db"))
    verdict = await state.take_token(f"user:{user.id}", settings.chat_rate_per_second, settings.chat_rate_burst)
    if not verdict.allowed:
        raise ChatRateLimited("slow down a little", retry_after_ms=verdict.retry_after_ms)
    comment = ChatMessage(session_id=session.id, user_id=user.id, kind="comment", body=body, created_at=utcnow())
    s.add(comment)
    await s.flush()
    posted = Posted(room.message_dict(comment, user.display_name), None)
    await room.publish(s, session.id, posted.comment)
    count_comment_after_commit(s, session.id)
    # Room features that react to what viewers say (lucky-bag keywords) listen here, not in chat.
    await record_event(s, "chat.commented", {"session_id": session.id, "user_id": user.id, "message_id": comment.id,
                                             "body": body, "at": comment.created_at.isoformat()})
    if user.id != session.host_id and is_purchase_intent(body):
        posted.reply = await _answer_purchase_question(s, settings, session, user, comment)
    return posted


def product_card(product: Product) -> dict[str, Any]:
    return {"id": product.id, "title": product.title, "min_price": product.min_price,
            "cover": f"/media/{product.cover_image}" if product.cover_image else None}


def _tokens(text: str) -> set[str]:
    """Words for matching a comment against titles: Latin words and CJK character pairs."""
    folded = _fold(text, tight=False)[0]
    out: set[str] = set()
    for chunk in folded.split():
        latin = re.findall(r"[a-z0-9]+", chunk)
        out.update(w for w in latin if len(w) > 1)
        cjk = re.sub(r"[a-z0-9]+", " ", chunk).split()
        for run in cjk:
            out.update(run[i:i + 2] for i in range(len(run) - 1))
            if len(run) == 1:
                out.add(run)
    return out


def best_match(comment: str, products: Sequence[Product]) -> Product | None:
    """The product whose title shares most words with the comment; the first when none does."""
    if not products:
        return None
    words = _tokens(comment)
    best, best_score = products[0], 0
    for product in products:
        score = len(words & _tokens(product.title))
        if score > best_score:
            best, best_score = product, score
    return best


async def _answer_purchase_question(s: AsyncSession, settings: Settings, session: LiveSession, user: User,
                                    comment: ChatMessage) -> dict[str, Any] | None:
    products = [p for _, p in await repository.cart(s, session.id)]
    product = next((p for p in products if p.id == session.pinned_product_id), None)
    if product is None:
        product = best_match(comment.body, products)
    if product is None:
        return None  # nothing on offer: silence beats a useless answer
    # One room, many askers: a few replies per window keep the card visible without flooding.
    verdict = await chat_state(s.info.get("db")).take_token(
        f"reply:{session.id}", settings.chat_reply_per_second, settings.chat_reply_burst)
    if not verdict.allowed:
        return None
    card = product_card(product)
    reply = ChatMessage(session_id=session.id, user_id=None, kind="reply",
                        body=f"@{user.display_name} {product.title} ¥{yuan(product.min_price)} — tap the card to buy",
                        payload={"in_reply_to": comment.id, "to_user_id": user.id, "product": card,
                                 "pinned": product.id == session.pinned_product_id},
                        created_at=utcnow())
    s.add(reply)
    await s.flush()
    message = room.message_dict(reply)
    await room.publish(s, session.id, message)
    return message


# ---- history and likes -------------------------------------------------------------------------

async def history(s: AsyncSession, session_id: int, after_id: int = 0, limit: int = 50) -> list[dict[str, Any]]:
    """Visible messages with id > after_id, oldest first: the latest `limit` of them.

    A chat shows the present: a viewer back after a long gap gets the newest `limit`
    messages, so what follows live joins on without a hole.
    """
    return [room.message_dict(m, name) for m, name in await repository.chat_tail(s, session_id, after_id, limit)]


def like(db: Any, session_id: int, taps: int = 1) -> None:
    """Count likes (点赞); totals reach viewers in the room's periodic stats, never one per tap."""
    taps = max(0, min(taps, 100))
    chat_state(db).add_likes(session_id, taps)
    meter_of(db).count_likes(session_id, taps)


async def record_peak_viewers(s: AsyncSession, session_id: int, viewers: int) -> None:
    """Raise the session's peak viewer count (a conditional update: processes race harmlessly)."""
    await s.execute(update(LiveSession).where(LiveSession.id == session_id, LiveSession.peak_viewers < viewers)
                    .values(peak_viewers=viewers))


# ---- moderation --------------------------------------------------------------------------------

async def _is_moderator(s: AsyncSession, host_id: int, user_id: int) -> bool:
    return bool(await repository.restrictions(s, host_id, user_id, ("moderator",)))


async def moderated_session(s: AsyncSession, actor: User, session_id: int) -> LiveSession:
    """The session, if `actor` may moderate it: its host, a moderator the host appointed, an operator."""
    session = await get_session(s, session_id)
    if actor.id == session.host_id or actor.has_role("operator"):
        return session
    if not await _is_moderator(s, session.host_id, actor.id):
        raise NotModerator("only the host and the host's moderators moderate this room")
    return session


async def _ensure_can_act_on(s: AsyncSession, session: LiveSession, actor: User, user_id: int) -> User:
    target = await s.get(User, user_id)
    if target is None:
        raise NotFound("no such user", field="user_id")
    if target.id == actor.id or target.id == session.host_id or target.has_role("operator"):
        raise CannotModerate("that user cannot be muted or banned here")
    if actor.id != session.host_id and not actor.has_role("operator") and await _is_moderator(
            s, session.host_id, target.id):
        raise CannotModerate("only the host mutes or bans a moderator")
    return target


async def hide_message(s: AsyncSession, actor: User, message_id: int) -> ChatMessage:
    """Take a message off the screen (and out of history) for every viewer."""
    message = await s.get(ChatMessage, message_id)
    if message is None or message.kind == "system":
        raise MessageNotFound("no such chat message", field="id")
    session = await moderated_session(s, actor, message.session_id)
    if message.hidden:
        return message
    message.hidden = True
    await record_event(s, "chat.message_hidden", {"session_id": session.id, "message_id": message.id,
                                                  "author_id": message.user_id, "by": actor.id})
    await room.publish(s, session.id, {"type": "hide", "id": message.id})
    return message


async def _restrict(s: AsyncSession, host_id: int, user_id: int, kind: str, by: int,
                    until: datetime | None = None) -> RoomRestriction:
    """The one row of this kind for this user in this host's rooms: created, or given a new end."""
    existing = await repository.restrictions(s, host_id, user_id, (kind,))
    if existing:
        restriction = existing[0]
        restriction.until, restriction.created_by = until, by
    else:
        restriction = RoomRestriction(host_id=host_id, user_id=user_id, kind=kind, until=until, created_by=by,
                                      created_at=utcnow())
        s.add(restriction)
    await s.flush()
    return restriction


async def mute_user(s: AsyncSession, actor: User, session_id: int, user_id: int, minutes: int) -> RoomRestriction:
    """Silence a user in every room of this host for a while (禁言)."""
    if not 1 <= minutes <= MAX_MUTE_MINUTES:
        raise DomainError(f"mute for 1 to {MAX_MUTE_MINUTES} minutes", code="invalid_duration", field="minutes")
    session = await moderated_session(s, actor, session_id)
    await _ensure_can_act_on(s, session, actor, user_id)
    until = utcnow() + timedelta(minutes=minutes)
    restriction = await _restrict(s, session.host_id, user_id, "mute", actor.id, until=until)
    await record_event(s, "chat.user_muted", {"session_id": session.id, "host_id": session.host_id,
                                              "user_id": user_id, "until": until.isoformat(), "by": actor.id})
    return restriction


async def ban_user(s: AsyncSession, actor: User, session_id: int, user_id: int) -> RoomRestriction:
    """Keep a user out of this host's chat for good (拉黑)."""
    session = await moderated_session(s, actor, session_id)
    await _ensure_can_act_on(s, session, actor, user_id)
    existing = await repository.restrictions(s, session.host_id, user_id, ("ban",))
    if existing:
        return existing[0]
    restriction = await _restrict(s, session.host_id, user_id, "ban", actor.id)
    await record_event(s, "chat.user_banned", {"session_id": session.id, "host_id": session.host_id,
                                               "user_id": user_id, "by": actor.id})
    return restriction


async def lift_restriction(s: AsyncSession, actor: User, session_id: int, user_id: int, kind: str) -> None:
    """Unmute or unban (the host, a moderator for mutes, an operator)."""
    if kind not in ("mute", "ban"):
        raise DomainError("lift a mute or a ban", code="invalid_kind", field="kind")
    session = await moderated_session(s, actor, session_id)
    if kind == "ban" and actor.id != session.host_id and not actor.has_role("operator"):
        raise NotModerator("only the host lifts a ban")
    for restriction in await repository.restrictions(s, session.host_id, user_id, (kind,)):
        await s.delete(restriction)
    await record_event(s, f"chat.{'unmuted' if kind == 'mute' else 'unbanned'}",
                       {"session_id": session.id, "host_id": session.host_id, "user_id": user_id, "by": actor.id})


async def appoint_moderator(s: AsyncSession, host: User, user_id: int) -> RoomRestriction:
    """The host names a room moderator (房管) for all of the host's rooms."""
    ensure_host(host)
    if user_id == host.id:
        raise CannotModerate("you moderate your own rooms already")
    if await s.get(User, user_id) is None:
        raise NotFound("no such user", field="user_id")
    existing = await repository.restrictions(s, host.id, user_id, ("moderator",))
    if existing:
        return existing[0]
    restriction = await _restrict(s, host.id, user_id, "moderator", host.id)
    await record_event(s, "chat.moderator_appointed", {"host_id": host.id, "user_id": user_id})
    return restriction


async def appoint_moderator_in(s: AsyncSession, host: User, session_id: int, user_id: int) -> RoomRestriction:
    """`appoint_moderator` from inside a room: only that room's host may."""
    session = await get_session(s, session_id)
    if session.host_id != host.id:
        raise NotYourRoom("only the host appoints moderators")
    return await appoint_moderator(s, host, user_id)
