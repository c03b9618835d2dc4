"""The media plane follows the session: a session ended by its host or an operator drops the encoder.

When the encoder itself stops (`publish_done`) nginx already let go, so there is
nothing to do. Otherwise the stream would keep going to HLS after the room says
it has ended, which for an operator's cut (a safety measure) is the point.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import bus
from laotie.live.media import plane as media
from laotie.live.service import sessions

log = logging.getLogger("laotie.media")


@bus.on("live.ended", "media.drop_publisher")
async def drop_publisher_of_ended_session(s: AsyncSession, payload: dict[str, Any]) -> None:
    if payload.get("reason") == "publish_done":
        return
    session = await sessions.get_session(s, int(payload["session_id"]))
    settings = s.info["db"].settings
    try:
        # Short timeout: the outbox runs this inside a transaction (on SQLite, the one
        # writer), and nginx answers its loopback control API at once.
        dropped = await media.drop_publisher(settings, session.playback_name, seconds=2.0)
    except httpx.ConnectError:
        # Nothing listens: the media plane is not running, so no stream is left to drop, and a
        # media plane started later has no publisher from before. Retrying would only repeat this.
        log.warning("media plane not reachable at %s; nothing to drop for live session %s",
                    media.control_url(settings), session.id)
        return
    # A timeout or an HTTP error does propagate: nginx is there but did not confirm the drop,
    # and an operator's cut must not silently fail. The outbox retries, a bounded number of
    # times (kit/events.MAX_ATTEMPTS), then keeps the error on the event for an operator.
    log.info("live session %s ended (%s): dropped %s publisher(s)", session.id, payload.get("reason"), dropped)
