"""nginx-rtmp's HTTP callbacks: on_publish authorises and renames, on_publish_done ends.

nginx calls these from the loopback with form fields (call, app, name, addr, ...) and a
shared token in the query string; a 2xx/3xx answer lets the stream in, anything else
drops it. A 3xx Location renames the stream to the session's public playback name.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response

from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.signing import same_secret
from laotie.live.service import sessions

router = APIRouter(prefix="/media/hooks", include_in_schema=False)


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
