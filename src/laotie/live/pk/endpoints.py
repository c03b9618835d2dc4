"""HTTP for PK contests: challenge, accept, decline, cancel, the room's contest."""

from __future__ import annotations

from fastapi import APIRouter

from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session
from laotie.kit.types import PathId
from laotie.live.pk import service as pk
from laotie.live.pk.schemas import PkIn, PkOut
from laotie.live.service import sessions
from laotie.models import PkContest

router = APIRouter(prefix="/api/v1/live", tags=["live"])


def pk_out(c: PkContest) -> PkOut:
    return PkOut(id=c.id, status=c.status, metric=c.metric, duration_seconds=c.duration_seconds,
                 challenger_session_id=c.challenger_session_id, challenger_host_id=c.challenger_host_id,
                 opponent_session_id=c.opponent_session_id, opponent_host_id=c.opponent_host_id,
                 expires_at=c.expires_at, started_at=c.started_at, ends_at=c.ends_at,
                 challenger_score=c.challenger_score, opponent_score=c.opponent_score,
                 winner_session_id=c.winner_session_id, end_reason=c.end_reason)


@router.post("/sessions/{session_id}/pk", status_code=201)
async def challenge_pk(session_id: PathId, body: PkIn, user: CurrentUser, s: Session) -> PkOut:
    return pk_out(await pk.challenge_pk(s, user, session_id, body.opponent_session_id, body.metric,
                                        body.duration_seconds))


@router.get("/sessions/{session_id}/pk")
async def session_pk(session_id: PathId, s: Session) -> PkOut | None:
    """Public: the room's running contest, else its last finished one (null if it never had one)."""
    await sessions.get_session(s, session_id)
    contest = await pk.latest_for_session(s, session_id)
    return pk_out(contest) if contest is not None else None


@router.get("/pk/{pk_id}")
async def get_pk(pk_id: PathId, s: Session) -> PkOut:
    return pk_out(await pk.get_pk(s, pk_id))


@router.post("/pk/{pk_id}/accept")
async def accept_pk(pk_id: PathId, user: CurrentUser, s: Session) -> PkOut:
    return pk_out(await pk.accept_pk(s, user, pk_id))


@router.post("/pk/{pk_id}/decline")
async def decline_pk(pk_id: PathId, user: CurrentUser, s: Session) -> PkOut:
    return pk_out(await pk.decline_pk(s, user, pk_id))


@router.post("/pk/{pk_id}/cancel")
async def cancel_pk(pk_id: PathId, user: CurrentUser, s: Session) -> PkOut:
    return pk_out(await pk.cancel_pk(s, user, pk_id))

