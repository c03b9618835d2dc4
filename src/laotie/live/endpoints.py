"""Live API: stream keys, sessions, presence; operators cut and suspend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from laotie.config import Settings
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.live import repository
from laotie.live.schemas import (
    CutIn,
    SessionIn,
    SessionOut,
    StreamKeyOut,
    SuspendIn,
)
from laotie.live.service import presence, sessions
from laotie.models import LiveSession, utcnow

router = APIRouter(prefix="/api/v1/live", tags=["live"])


def rtmp_url(settings: Settings) -> str:
    return settings.rtmp_public_url or f"rtmp://{settings.rtmp_bind}:{settings.rtmp_port}/live"


def playback_url(request: Request, session: LiveSession) -> str:
    return f"/hls/{session.playback_name}.m3u8"


async def session_out(request: Request, s: Session, session: LiveSession) -> SessionOut:
    items = await repository.cart(s, session.id)
    return SessionOut(
        id=session.id, host_id=session.host_id, shop_id=session.shop_id, title=session.title,
        status=session.status, playback_url=playback_url(request, session), scheduled_for=session.scheduled_for,
        started_at=session.started_at, ended_at=session.ended_at, end_reason=session.end_reason,
        pinned_product_id=session.pinned_product_id, cart_product_ids=[p.id for _, p in items],
    )


@router.post("/keys", status_code=201)
async def rotate_key(request: Request, user: CurrentUser, s: Session) -> StreamKeyOut:
    settings = get_db(request).settings
    raw = await sessions.rotate_stream_key(s, user)
    return StreamKeyOut(stream_key=raw, rtmp_url=rtmp_url(settings))


@router.post("/sessions", status_code=201)
async def schedule(body: SessionIn, request: Request, user: CurrentUser, s: Session) -> SessionOut:
    session = await sessions.schedule_session(s, user, title=body.title, scheduled_for=body.scheduled_for)
    return await session_out(request, s, session)


@router.get("/sessions")
async def list_sessions(request: Request, s: Session,
                        status: Annotated[str | None, Query(pattern="^(scheduled|live|ended)$")] = None
                        ) -> list[SessionOut]:
    return [await session_out(request, s, x) for x in await repository.sessions(s, status)]


@router.get("/sessions/{session_id}")
async def get_session(session_id: PathId, request: Request, s: Session) -> SessionOut:
    return await session_out(request, s, await sessions.get_session(s, session_id))


@router.post("/sessions/{session_id}/end")
async def end(session_id: PathId, request: Request, user: CurrentUser, s: Session) -> SessionOut:
    return await session_out(request, s, await sessions.end_session(s, user, session_id))


@router.post("/sessions/{session_id}/cut")
async def cut(session_id: PathId, body: CutIn, request: Request, user: CurrentUser, s: Session) -> SessionOut:
    return await session_out(request, s, await sessions.cut_session(s, user, session_id, body.reason))


@router.post("/users/{user_id}/suspend", status_code=204)
async def suspend(user_id: PathId, body: SuspendIn, user: CurrentUser, s: Session) -> None:
    await sessions.suspend_live(s, user, user_id, body.until)


@router.post("/sessions/{session_id}/presence", status_code=204)
async def here(session_id: PathId, user: CurrentUser, s: Session) -> None:
    """For API clients (apps) that watch without the room's socket: call every ~30 s while watching."""
    await sessions.get_session(s, session_id)
    await presence.touch_presence(s, session_id, user.id, utcnow())

