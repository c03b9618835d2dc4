"""The social graph reacts to events: a followed host going live reaches every follower's inbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import bus
from laotie.social.inbox import service as inbox


@bus.on("live.started", "social.notify_followers")
async def notify_followers(s: AsyncSession, payload: dict[str, Any]) -> None:
    await inbox.notify_followers_live(s, int(payload["host_id"]), int(payload["session_id"]), str(payload["title"]))
