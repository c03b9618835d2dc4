"""The watch-only page: one live session's video at phone width, to share a link to or embed."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from laotie.kit.http import Session
from laotie.kit.types import PathId
from laotie.live.sale.service import cart
from laotie.web.render import MaybeUser, render

router = APIRouter(include_in_schema=False)


@router.get("/live/{session_id}/watch")
async def watch(request: Request, session_id: PathId, s: Session, user: MaybeUser) -> Response:
    view = await cart.room_view(s, session_id)
    return render(request, "live/watch.html", user=user, session=view.session, host=view.host,
                  playback_url=f"/hls/{view.session.playback_name}.m3u8")
