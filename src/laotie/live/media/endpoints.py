"""nginx-rtmp's HTTP callbacks (on_publish authorises and renames, on_publish_done ends); players' latency reports.

nginx calls these from the loopback with form fields (call, app, name, addr, ...) and a
shared token in the query string; a 2xx/3xx answer lets the stream in, anything else
drops it. A 3xx Location renames the stream to the session's public playback name.

Players report how far behind the host they are (see latency.py); the answer carries the
server's clock, from which they estimate their own clock's offset.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response

from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.limits import body_at_most
from laotie.kit.signing import same_secret
from laotie.kit.types import PathId
from laotie.live.media import service as media
from laotie.live.media.schemas import LatencyIn, LatencyOut
from laotie.live.service import sessions

router = APIRouter(prefix="/media/hooks", include_in_schema=False)
viewer_router = APIRouter(prefix="/api/v1/live", tags=["live"])
# A report is one number; a body of a kilobyte is already not one.
REPORT_MAX_BYTES = 1024


def callback_token(secret: bytes) -> str:
    return hashlib.sha256(b"media-hooks:" + secret).hexdigest()[:32]


def _allowed(request: Request, token: str) -> bool:
    expected = callback_token(get_db(request).settings.secret("media-hooks"))
    return same_secret(expected, token)


@router.post("/publish")
async def on_publish(request: Request, s: Session, name: Annotated[str, Form(max_length=200)],
                     token: Annotated[str, Query(max_length=64)] = "") -> Response:
    if not _allowed(request, token):
        return Response("forbidden", status_code=403)
    try:
        async with s.begin_nested():  # a refused publish leaves nothing behind
            session = await sessions.authorize_publish(
                s, name, timedelta(minutes=get_db(request).settings.live_cut_cooldown_minutes))
    except DomainError as exc:
        return Response(exc.code, status_code=403)  # nginx drops the stream on any 4xx
    return Response(status_code=302, headers={"Location": session.playback_name})


@router.post("/publish_done")
async def on_publish_done(request: Request, s: Session, name: Annotated[str, Form(max_length=200)],
                          token: Annotated[str, Query(max_length=64)] = "") -> Response:
    if not _allowed(request, token):
        return Response("forbidden", status_code=403)
    await sessions.publish_done(s, name)
    return Response("ok")


def _sender(request: Request) -> tuple[str, str]:
    """(viewer, address) for the rate limit: the credential or page cookie sent, hashed, and the peer.

    Only the rate limit uses it, and nothing is attributed to an account, so nothing is looked
    up: the bearer token an app sends, or the CSRF cookie every page visitor gets (laotie_csrf).
    """
    address = request.client.host if request.client else "-"
    credential = request.headers.get("authorization") or request.cookies.get("laotie_csrf") or ""
    return hashlib.sha256(f"{address}|{credential}".encode()).hexdigest()[:24], address


@viewer_router.post("/sessions/{session_id}/latency")
@body_at_most(REPORT_MAX_BYTES)
async def report_latency(session_id: PathId, body: LatencyIn, request: Request, s: Session) -> LatencyOut:
    """A player's latency in a live room (every ~12 s while playing; signed in or not).

    The room's median over the last minute sets when the host's countdown ends (the
    streamer console). `latency_ms: null` asks for the server's time only.
    """
    viewer, address = _sender(request)
    recorded = await media.report_latency(s, media.latency_of(get_db(request)), session_id, body.latency_ms,
                                          viewer=viewer, address=address)
    return LatencyOut(server_time_ms=time.time_ns() // 1_000_000, recorded=recorded)
