"""PK contests react to events: a contest cannot outlive either stream."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import bus
from laotie.live.pk import service as pk


@bus.on("live.ended", "live.pk_stream_ended")
async def end_pk_with_stream(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A PK cannot outlive either stream: open challenges lapse, a running one ends now."""
    await pk.stream_ended(s, int(payload["session_id"]))

