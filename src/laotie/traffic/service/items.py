"""How feed items look on a page: title, picture, who is behind them; and the official tag (官方打标)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import dialect_insert
from laotie.kit.errors import DomainError, Forbidden, NotFound
from laotie.kit.events import record_event
from laotie.models import LiveSession, OfficialTag, User, Video, utcnow
from laotie.traffic.ranking.pages import ItemKey


@dataclass(frozen=True)
class Card:
    key: ItemKey
    title: str
    owner_id: int
    owner_name: str
    picture: str | None  # a path under /media, if any
    url: str


async def cards(s: AsyncSession, keys: Sequence[ItemKey]) -> dict[ItemKey, Card]:
    live_ids = [i for k, i in keys if k == "live"]
    video_ids = [i for k, i in keys if k == "video"]
    out: dict[ItemKey, Card] = {}
    if live_ids:
        rows = await s.execute(select(LiveSession.id, LiveSession.title, LiveSession.host_id, User.display_name)
                               .join(User, User.id == LiveSession.host_id).where(LiveSession.id.in_(live_ids)))
        for i, title, owner, name in rows.all():
            out[("live", int(i))] = Card(("live", int(i)), title, int(owner), name, None, f"/live/{i}")
    if video_ids:
        videos = await s.execute(select(Video.id, Video.caption, Video.owner_id, User.display_name,
                                        Video.poster_name)
                                 .join(User, User.id == Video.owner_id).where(Video.id.in_(video_ids)))
        for i, caption, owner, name, poster in videos.all():
            out[("video", int(i))] = Card(("video", int(i)), caption or "Video", int(owner), name, poster,
                                          f"/videos/{i}")
    return out


TAG_KINDS = ("video", "host")


async def _ensure_taggable(s: AsyncSession, item_kind: str, item_id: int) -> None:
    if item_kind not in TAG_KINDS:
        raise DomainError("tag a video or a host", code="invalid_request", status=422, field="item_kind")
    if await s.get(Video if item_kind == "video" else User, item_id) is None:
        raise NotFound(f"no such {item_kind}", code="item_not_found", field="item_id")


async def tag_official(s: AsyncSession, operator: User, item_kind: str, item_id: int, label: str) -> None:
    """Mark a video, or every room and video of a host, as official (subsidised or brand)."""
    if not operator.has_role("operator"):
        raise Forbidden("only operators tag items as official")
    if not label.strip():
        raise DomainError("give the tag's label, e.g. 官方补贴 or 品牌", code="invalid_request", status=422,
                          field="label")
    await _ensure_taggable(s, item_kind, item_id)
    await s.execute(dialect_insert(s, OfficialTag).values(item_kind=item_kind, item_id=item_id,
                                                          label=label.strip()[:40], tagged_by=operator.id,
                                                          tagged_at=utcnow())
                    .on_conflict_do_update(index_elements=[OfficialTag.item_kind, OfficialTag.item_id],
                                           set_={"label": label.strip()[:40], "tagged_by": operator.id}))
    await record_event(s, "official.tagged", {"item_kind": item_kind, "item_id": item_id, "by": operator.id})


async def untag_official(s: AsyncSession, operator: User, item_kind: str, item_id: int) -> None:
    if not operator.has_role("operator"):
        raise Forbidden("only operators tag items as official")
    await _ensure_taggable(s, item_kind, item_id)
    await s.execute(delete(OfficialTag).where(OfficialTag.item_kind == item_kind, OfficialTag.item_id == item_id))
    await record_event(s, "official.untagged", {"item_kind": item_kind, "item_id": item_id, "by": operator.id})
