"""PK contests (直播PK): host A challenges host B, B accepts, both rooms race on GMV or likes for a fixed time.

How each metric is scored, over the window [started_at, ends_at):

* "gmv": the total of orders with source `live:<session>` *placed* in the window and paid by the
  time of scoring (refunds are not deducted, as in the session summary). Exact to the second,
  from the orders themselves (indexed by source and time).
* "likes": likes live only in memory until live.flush_meters adds them to `live_minutes` by the
  minute, so the resolution is whole minutes: every minute row that starts inside
  [minute_of(started_at), ends_at) counts, i.e. the minutes the window touches. Both rooms are
  measured the same way, so the contest stays fair. The result is taken LIKES_SETTLE after the
  end, once the last flush of every process has landed.

One contest per room at a time: an open challenge counts too, so a host never accepts into a
clash. Both rooms' session rows are locked (in id order) before the check, so two challenges
racing for the same room serialise. The score goes out a few times a minute (live.pk_scores),
never per like or order; pk.started / pk.score / pk.finished / pk.cancelled reach both rooms.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import record_event
from laotie.live import repository
from laotie.live.analytics.meter import minute_of
from laotie.live.errors import (
    AlreadyInPk,
    NotPkOpponent,
    NotYourRoom,
    PkChallengeExpired,
    PkInvalid,
    PkNotFound,
    PkNotPending,
    PkOver,
    SessionNotLive,
)
from laotie.live.service.sessions import get_session, hosted_session
from laotie.models import LiveSession, PkContest, User, utcnow
from laotie.models.pk_contest import PK_METRICS
from laotie.orders.service import queries as orders

CHALLENGE_TTL = timedelta(seconds=60)
MIN_SECONDS, MAX_SECONDS = 60, 60 * 60
# live.flush_meters runs every 10 s in every process: past this, every like of the window is in the rows.
LIKES_SETTLE = timedelta(seconds=15)
ACTIVE = ("pending", "running")


async def get_pk(s: AsyncSession, contest_id: int) -> PkContest:
    contest = await s.get(PkContest, contest_id)
    if contest is None:
        raise PkNotFound("no such PK contest")
    return contest


def public_state(c: PkContest) -> dict[str, Any]:
    """What both rooms are told, and what the pk.* events carry."""
    return {"pk_id": c.id, "status": c.status, "metric": c.metric,
            "challenger_session_id": c.challenger_session_id, "opponent_session_id": c.opponent_session_id,
            "challenger_score": c.challenger_score, "opponent_score": c.opponent_score,
            "started_at": c.started_at.isoformat() if c.started_at else None,
            "ends_at": c.ends_at.isoformat() if c.ends_at else None, "winner_session_id": c.winner_session_id,
            "end_reason": c.end_reason}


async def _lock_live_rooms(s: AsyncSession, *session_ids: int) -> None:
    """Lock both rooms' rows in id order (no deadlock between crossed challenges); both must be live."""
    stmt = (select(LiveSession).where(LiveSession.id.in_(session_ids)).order_by(LiveSession.id)
            .with_for_update().execution_options(populate_existing=True))  # the rows as locked, not as first read
    rooms = (await s.execute(stmt)).scalars().all()
    if len(rooms) != len(set(session_ids)) or any(r.status != "live" for r in rooms):
        raise SessionNotLive("both rooms must be live for a PK")


async def _active_in(s: AsyncSession, session_ids: Sequence[int], *, besides: int | None = None) -> bool:
    stmt = select(PkContest.id).where(
        PkContest.status.in_(ACTIVE),
        or_(PkContest.challenger_session_id.in_(session_ids), PkContest.opponent_session_id.in_(session_ids)))
    if besides is not None:
        stmt = stmt.where(PkContest.id != besides)
    return (await s.execute(stmt.limit(1))).first() is not None


async def challenge_pk(s: AsyncSession, host: User, session_id: int, opponent_session_id: int, metric: str,
                       duration_seconds: int) -> PkContest:
    """Host A challenges the room `opponent_session_id` (发起PK); it waits for B's answer CHALLENGE_TTL."""
    mine = await hosted_session(s, host, session_id)
    if metric not in PK_METRICS:
        raise PkInvalid("the metric is 'gmv' or 'likes'", field="metric")
    if not MIN_SECONDS <= duration_seconds <= MAX_SECONDS:
        raise PkInvalid("a PK lasts %(min_seconds)s to %(max_seconds)s seconds", field="duration_seconds",
                        min_seconds=MIN_SECONDS, max_seconds=MAX_SECONDS)
    if opponent_session_id == mine.id:
        raise PkInvalid("challenge another room", field="opponent_session_id")
    theirs = await get_session(s, opponent_session_id)
    if theirs.host_id == host.id:
        raise PkInvalid("challenge another host", field="opponent_session_id")
    await _lock_live_rooms(s, mine.id, theirs.id)
    if await _active_in(s, [mine.id, theirs.id]):
        raise AlreadyInPk("one of the rooms already has a PK or an open challenge")
    now = utcnow()
    contest = PkContest(challenger_session_id=mine.id, challenger_host_id=host.id, opponent_session_id=theirs.id,
                        opponent_host_id=theirs.host_id, metric=metric, duration_seconds=duration_seconds,
                        status="pending", expires_at=now + CHALLENGE_TTL, challenger_score=0, opponent_score=0,
                        created_at=now)
    s.add(contest)
    await s.flush()
    await record_event(s, "pk.challenged", {**public_state(contest), "opponent_host_id": theirs.host_id,
                                            "expires_at": contest.expires_at.isoformat()})
    return contest


async def _pending_for_opponent(s: AsyncSession, host: User, contest_id: int) -> PkContest:
    contest = await get_pk(s, contest_id)
    if contest.opponent_host_id != host.id:
        raise NotPkOpponent("only the challenged host answers a challenge")
    if contest.status != "pending":
        raise PkNotPending(f"the challenge is {contest.status}")
    if contest.expires_at <= utcnow():
        raise PkChallengeExpired("the challenge has expired")
    return contest


async def accept_pk(s: AsyncSession, host: User, contest_id: int) -> PkContest:
    """Host B accepts (接受PK): the window starts now, in both rooms."""
    contest = await _pending_for_opponent(s, host, contest_id)
    await _lock_live_rooms(s, contest.challenger_session_id, contest.opponent_session_id)
    if await _active_in(s, [contest.challenger_session_id, contest.opponent_session_id], besides=contest.id):
        raise AlreadyInPk("one of the rooms is already in a PK")
    started = await _flip(s, contest, "pending", status="running")
    now = utcnow()
    started.started_at, started.ends_at = now, now + timedelta(seconds=started.duration_seconds)
    await s.flush()
    await record_event(s, "pk.started", public_state(started))
    return started


async def decline_pk(s: AsyncSession, host: User, contest_id: int) -> PkContest:
    contest = await _pending_for_opponent(s, host, contest_id)
    declined = await _flip(s, contest, "pending", status="declined", finished_at=utcnow())
    await record_event(s, "pk.declined", public_state(declined))
    return declined


async def cancel_pk(s: AsyncSession, user: User, contest_id: int) -> PkContest:
    """Either host or an operator calls a PK off before its end; no winner is recorded."""
    contest = await get_pk(s, contest_id)
    if user.id not in (contest.challenger_host_id, contest.opponent_host_id) and not user.has_role("operator"):
        raise NotYourRoom("only the two hosts and operators cancel a PK")
    if contest.status not in ACTIVE or (contest.ends_at is not None and contest.ends_at <= utcnow()):
        raise PkOver(f"the PK is {contest.status if contest.status not in ACTIVE else 'over'}")
    cancelled = await _flip(s, contest, contest.status, status="cancelled", cancelled_by=user.id,
                            end_reason="cancelled", finished_at=utcnow())
    await record_event(s, "pk.cancelled", {**public_state(cancelled), "by": user.id})
    return cancelled


async def _flip(s: AsyncSession, contest: PkContest, expected: str, **values: Any) -> PkContest:
    """Change the status only if nobody changed it meanwhile (a job, the other host)."""
    done = await s.execute(update(PkContest).where(PkContest.id == contest.id, PkContest.status == expected)
                           .values(**values).returning(PkContest.id))
    if done.first() is None:
        await s.refresh(contest)
        raise PkNotPending(f"the PK is {contest.status}")
    await s.refresh(contest)
    return contest


async def _score(s: AsyncSession, c: PkContest, session_id: int, until: datetime) -> int:
    assert c.started_at is not None
    if c.metric == "gmv":
        return await orders.paid_total_placed_between(s, f"live:{session_id}", c.started_at, until)
    return await repository.likes_in_minutes(s, session_id, minute_of(c.started_at), until)


async def scores(s: AsyncSession, c: PkContest, now: datetime) -> tuple[int, int]:
    """(challenger, opponent) so far, or final once the window is over."""
    assert c.ends_at is not None
    until = min(now, c.ends_at)
    return (await _score(s, c, c.challenger_session_id, until), await _score(s, c, c.opponent_session_id, until))


def _settle_after(c: PkContest) -> timedelta:
    return LIKES_SETTLE if c.metric == "likes" else timedelta(0)


async def update_score(s: AsyncSession, contest_id: int, now: datetime) -> bool:
    """Refresh a running contest's score; announce it only if it moved (pk.score)."""
    contest = await get_pk(s, contest_id)
    if contest.status != "running":
        return False
    new = await scores(s, contest, now)
    if new == (contest.challenger_score, contest.opponent_score):
        return False
    contest.challenger_score, contest.opponent_score = new
    await s.flush()
    await record_event(s, "pk.score", public_state(contest))
    return True


async def finish_pk(s: AsyncSession, contest_id: int, now: datetime) -> PkContest | None:
    """Take the final score of a contest past its end (once: the status flips conditionally)."""
    contest = await get_pk(s, contest_id)
    if contest.status != "running" or contest.ends_at is None or contest.ends_at + _settle_after(contest) > now:
        return None
    final = await scores(s, contest, contest.ends_at)
    winner = (None if final[0] == final[1]
              else contest.challenger_session_id if final[0] > final[1] else contest.opponent_session_id)
    try:
        finished = await _flip(s, contest, "running", status="finished", challenger_score=final[0],
                               opponent_score=final[1], winner_session_id=winner, finished_at=now,
                               end_reason=contest.end_reason or "time_up")
    except PkNotPending:
        return None  # cancelled or finished elsewhere meanwhile
    await record_event(s, "pk.finished", public_state(finished))
    return finished


async def running(s: AsyncSession) -> list[int]:
    stmt = select(PkContest.id).where(PkContest.status == "running").order_by(PkContest.id)
    return [int(i) for i in (await s.execute(stmt)).scalars()]


async def due_to_finish(s: AsyncSession, now: datetime) -> list[int]:
    """Running contests past their end; finish_pk waits out the likes settling time itself."""
    stmt = (select(PkContest.id).where(PkContest.status == "running", PkContest.ends_at <= now)
            .order_by(PkContest.id))
    return [int(i) for i in (await s.execute(stmt)).scalars()]


async def expire_challenges(s: AsyncSession, now: datetime) -> int:
    """Unanswered challenges lapse, freeing both rooms for another."""
    stmt = (update(PkContest).where(PkContest.status == "pending", PkContest.expires_at <= now)
            .values(status="expired", finished_at=now).returning(PkContest.id))
    expired = [int(i) for i in (await s.execute(stmt)).scalars()]
    for contest_id in expired:
        await record_event(s, "pk.expired", {"pk_id": contest_id})
    return len(expired)


async def stream_ended(s: AsyncSession, session_id: int) -> None:
    """A room that stops streaming withdraws its open challenge; a running PK ends now, scored as usual."""
    now = utcnow()
    stmt = select(PkContest).where(
        PkContest.status.in_(ACTIVE),
        or_(PkContest.challenger_session_id == session_id, PkContest.opponent_session_id == session_id))
    for contest in (await s.execute(stmt)).scalars().all():
        if contest.status == "pending":
            try:
                await _flip(s, contest, "pending", status="cancelled", end_reason="stream_ended", finished_at=now)
            except PkNotPending:
                continue
            await record_event(s, "pk.cancelled", {**public_state(contest), "by": None})
        elif contest.ends_at is not None and contest.ends_at > now:
            contest.ends_at, contest.end_reason = now, "stream_ended"
    await s.flush()


async def latest_for_session(s: AsyncSession, session_id: int) -> PkContest | None:
    """The room's current contest, else its last one: what the room's PK bar shows."""
    stmt = (select(PkContest).where(or_(PkContest.challenger_session_id == session_id,
                                        PkContest.opponent_session_id == session_id),
                                    PkContest.status.in_(("running", "finished")))
            .order_by(PkContest.id.desc()).limit(1))
    return (await s.execute(stmt)).scalars().first()


async def incoming_challenges(s: AsyncSession, session_id: int, now: datetime) -> Sequence[PkContest]:
    stmt = (select(PkContest).where(PkContest.opponent_session_id == session_id, PkContest.status == "pending",
                                    PkContest.expires_at > now).order_by(PkContest.id))
    return (await s.execute(stmt)).scalars().all()


async def session_contests(s: AsyncSession, session_id: int, limit: int = 20) -> Sequence[PkContest]:
    stmt = (select(PkContest).where(or_(PkContest.challenger_session_id == session_id,
                                        PkContest.opponent_session_id == session_id))
            .order_by(PkContest.id.desc()).limit(limit))
    return (await s.execute(stmt)).scalars().all()
