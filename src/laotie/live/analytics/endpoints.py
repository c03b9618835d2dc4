"""HTTP for live analytics: a session's per-minute series and summary."""

from __future__ import annotations

from fastapi import APIRouter

from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session
from laotie.kit.types import PathId
from laotie.live.analytics import service as analytics
from laotie.live.analytics.schemas import AnalyticsOut, MinuteOut

router = APIRouter(prefix="/api/v1/live", tags=["live"])


@router.get("/sessions/{session_id}/analytics")
async def session_analytics(session_id: PathId, user: CurrentUser, s: Session) -> AnalyticsOut:
    """The per-minute series (直播数据) and, once ended, the summary: for the host and operators."""
    a = await analytics.session_analytics(s, user, session_id)
    series = [MinuteOut(minute=p.minute, viewers=p.viewers, entries=p.entries, comments=p.comments, likes=p.likes,
                        orders=p.orders, gmv=p.gmv, conversion=p.conversion) for p in a.series]
    return AnalyticsOut.model_validate({"session_id": a.session.id, "status": a.session.status, "series": series,
                                        "totals": a.totals, "summary": a.summary})

