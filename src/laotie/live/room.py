"""What a live room says to its viewers: one ordered log (chat_messages), fanned out by the hub.

Every message (comment, automatic reply, system event) gets an id from the log, so a
viewer who reconnects asks for "everything after id N" and sees nothing twice.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import publish_after_commit
from laotie.models import ChatMessage, utcnow


def channel(session_id: int) -> str:
    return f"room:{session_id}"


def message_dict(m: ChatMessage, user_name: str | None = None) -> dict[str, Any]:
    return {"id": m.id, "type": m.kind, "user_id": m.user_id, "user": user_name, "body": m.body,
            "payload": m.payload or {}, "at": m.created_at.isoformat()}


def encode(message: Any) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


async def publish(s: AsyncSession, session_id: int, message: dict[str, Any]) -> None:
    """Send one message to every viewer of the room, in every process (best effort, after the log).

    Inside a transaction the message leaves only once it has committed, so a rolled-back
    comment or event is never shown, and a viewer who reads the log after seeing it finds it.
    """
    await publish_after_commit(s, channel(session_id), encode(message))


async def announce(s: AsyncSession, session_id: int, event: str, payload: dict[str, Any],
                   body: str = "") -> ChatMessage:
    """A system event (pin, flash start, sold out, ...) on the room's log and channel."""
    m = ChatMessage(session_id=session_id, user_id=None, kind="system", body=body,
                    payload={"event": event, **payload}, created_at=utcnow())
    s.add(m)
    await s.flush()
    await publish(s, session_id, message_dict(m))
    return m
