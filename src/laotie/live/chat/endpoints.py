"""Live chat over WebSocket: comments, likes, moderation, and every room event, batched per viewer.

`/ws/live/{session_id}?after=<last id seen>` (optionally `&token=<API token>`; pages use
their session cookie). Every server → client frame is a JSON array of messages:

    {"id", "type": "comment"|"reply"|"system", "user_id", "user", "body", "payload", "at"}
    {"type": "hide", "id"}                      a moderator took message `id` down
    {"type": "stats", "viewers", "likes", "skipped"}
    {"type": "error", "code", "message"}        to the one client whose action was refused
    {"type": "flash_state", "flash_id", "state"}  a flash sold out or closed ("sold_out" | "closed")

Client → server: {"type": "comment", "body"}, {"type": "like"}, a flash-sale tap
{"type": "flash.buy", "flash_id", "request_id", "quantity", "address"} (answered to this
client alone with {"type": "flash.answer", "request_id", ...} or an error carrying the
request_id; see live/sale/fastpath.py), and for moderators
{"type": "hide", "id"}, {"type": "mute", "user_id", "minutes"}, {"type": "ban", "user_id"},
{"type": "unmute"|"unban", "user_id"}; the host also {"type": "appoint", "user_id"}.
Each action is its own short transaction.
Close codes: 4404 no such room, 4008 too slow for the room (reconnect with after=).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Query, WebSocket
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocketDisconnect

from laotie.identity import service as identity
from laotie.identity.errors import NotAuthenticated
from laotie.kit.db import Database
from laotie.kit.errors import DomainError
from laotie.live import room
from laotie.live.analytics.meter import meter_of
from laotie.live.chat import service as chat
from laotie.live.chat.fanout import LAGGING, Fanout, Viewer
from laotie.live.errors import SessionNotFound
from laotie.live.sale.fastpath import answer_socket_tap
from laotie.live.service import presence
from laotie.live.service.sessions import get_session
from laotie.models import User, utcnow
from laotie.web.render import SESSION_COOKIE

log = logging.getLogger("laotie.chat")
router = APIRouter(tags=["live chat"])
NOT_FOUND = 4404
LIKES_PER_SECOND = 20  # taps counted per socket per second; a script gains nothing by spamming


def fanout_of(app: FastAPI) -> Fanout:
    current: Fanout | None = getattr(app.state, "chat_fanout", None)
    if current is None:
        current = app.state.chat_fanout = Fanout(app.state.db)
    return current


def _same_site(ws: WebSocket, db: Database) -> bool:
    """A cookie only counts when the page that opened the socket is ours (no cross-site hijacking)."""
    origin = ws.headers.get("origin")
    if not origin:
        return True  # not a browser: it could send the cookie anyway, it owns it
    netloc = urlsplit(origin).netloc
    return netloc in (ws.headers.get("host"), urlsplit(db.settings.base_url).netloc)


async def _who(s: AsyncSession, ws: WebSocket, db: Database, token: str | None) -> User | None:
    if token:
        return await identity.user_for_token(s, token)
    raw = ws.cookies.get(SESSION_COOKIE)
    if raw and _same_site(ws, db):
        return await identity.user_for_web_session(s, raw)
    return None


def _error(exc: DomainError) -> str:
    return room.encode([{"type": "error", **exc.to_dict()}])


def _int(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise DomainError(f"{name} must be a positive whole number", code="invalid_request", field=name)
    return value


class _Likes:
    """Per-socket cap on counted taps."""

    def __init__(self) -> None:
        self.window = 0
        self.count = 0

    def allow(self) -> bool:
        now = int(time.monotonic())
        if now != self.window:
            self.window, self.count = now, 0
        self.count += 1
        return self.count <= LIKES_PER_SECOND


async def _act(db: Database, viewer: Viewer, user: User | None, session_id: int, data: dict[str, Any],
               likes: _Likes) -> None:
    kind = data.get("type")
    if kind == "like":
        if likes.allow():
            chat.like(db, session_id)
        return
    if kind == "flash.buy":  # 上车 over the open socket: the lean accept path, answered with the request id
        viewer.offer_private(await answer_socket_tap(db, user, data))
        return
    if user is None:
        raise NotAuthenticated("sign in to take part in the chat")
    settings = db.settings
    async with db.transaction() as s:
        if kind == "comment":
            body = data.get("body")
            if not isinstance(body, str):
                raise DomainError("body must be text", code="invalid_request", field="body")
            posted = await chat.post_comment(s, settings, user, session_id, body)
        elif kind == "hide":
            await chat.hide_message(s, user, _int(data, "id"))
        elif kind == "mute":
            await chat.mute_user(s, user, session_id, _int(data, "user_id"), _int(data, "minutes"))
        elif kind == "ban":
            await chat.ban_user(s, user, session_id, _int(data, "user_id"))
        elif kind in ("unmute", "unban"):
            await chat.lift_restriction(s, user, session_id, _int(data, "user_id"), kind[2:])
        elif kind == "appoint":
            await chat.appoint_moderator_in(s, user, session_id, _int(data, "user_id"))
        else:
            raise DomainError("unknown message type", code="invalid_request", field="type")
    if kind == "comment":
        # The author always sees their own comment, even when the display cap skips it
        # for the room; the client drops the copy that arrives in a frame (same id).
        viewer.offer_private(room.encode([posted.comment]))


async def _receive(ws: WebSocket, db: Database, viewer: Viewer, user: User | None, session_id: int) -> None:
    likes = _Likes()
    while True:
        raw = await ws.receive_text()
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise DomainError("send a JSON object", code="invalid_request")
            await _act(db, viewer, user, session_id, data, likes)
        except ValueError:
            viewer.offer_private(_error(DomainError("send a JSON object", code="invalid_request")))
        except DomainError as exc:
            viewer.offer_private(_error(exc))


async def _keep_present(db: Database, session_id: int, user_id: int) -> None:
    """While the socket is open the viewer is in the room: a sighting every heartbeat (watched time)."""
    while True:
        await asyncio.sleep(presence.HEARTBEAT_SECONDS)
        try:
            async with db.transaction() as s:
                await presence.touch_presence(s, session_id, user_id, utcnow())
        except Exception:  # a missed beat only costs watched time; the socket carries on
            log.exception("presence heartbeat failed in room %s", session_id)


@router.websocket("/ws/live/{session_id}")
async def live_room(ws: WebSocket, session_id: int, after: Annotated[int, Query(ge=0, lt=2**63)] = 0,
                    token: Annotated[str | None, Query(max_length=200)] = None) -> None:
    db: Database = ws.app.state.db
    await ws.accept()
    fanout = fanout_of(ws.app)
    viewer: Viewer | None = None
    receiving: asyncio.Task[None] | None = None
    beating: asyncio.Task[None] | None = None
    try:
        # One short transaction for the whole arrival: the room, who this is, what they missed.
        async with db.transaction() as s:
            try:
                await get_session(s, session_id)
            except SessionNotFound:
                await ws.close(code=NOT_FOUND, reason="no such live room")
                return
            user = await _who(s, ws, db, token)
            if user is not None:
                await presence.touch_presence(s, session_id, user.id, utcnow())
            # Join before reading the history: whatever is published meanwhile is queued, and
            # the viewer filters what the history already carried: nothing lost, nothing twice.
            viewer = fanout.join(session_id, ws.send_text)
            past = await chat.history(s, session_id, after, db.settings.chat_history_limit)
        if after == 0:
            # An entry (进场) is a fresh arrival; a reconnect resumes with after=<last id> and is no new one.
            meter_of(db).count_entry(session_id)
        viewer.start(past, after)
        receiving = asyncio.create_task(_receive(ws, db, viewer, user, session_id), name="chat-receive")
        if user is not None:
            beating = asyncio.create_task(_keep_present(db, session_id, user.id), name="chat-presence")
        waiters: set[asyncio.Future[Any]] = {viewer.ended, receiving}
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if viewer.ended in done:
            if viewer.ended.result() == "lagging":
                with contextlib.suppress(Exception):
                    await ws.close(code=LAGGING, reason="too slow; reconnect with after=<last id>")
            # Let an action already under way (a comment sent just before leaving) finish;
            # the receiver then meets the closed socket and ends by itself.
            await asyncio.wait({receiving}, timeout=10)
    except WebSocketDisconnect:
        pass
    finally:
        if beating is not None:
            beating.cancel()
        if receiving is not None and not receiving.done():
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiving
        elif receiving is not None and not receiving.cancelled():
            failure = receiving.exception()  # a disconnect ends the receiver: nothing to report
            if failure is not None and not isinstance(failure, WebSocketDisconnect):
                log.error("chat socket failed in room %s", session_id, exc_info=failure)
        if viewer is not None:
            await fanout.leave(session_id, viewer)
