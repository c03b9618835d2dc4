"""The discovery feed (发现页, public domain) on the database: candidates, served pages, the impression log.

Each app process keeps one `FeedIndex` in memory (`db.services["feed"]`). It is filled from
the database when first used and refreshed on a timer (`FEED_REFRESH_SECONDS`): live rooms
and published videos are the candidates; counters come from the impression and action logs,
so every process learns what the others served; the trust policy (score multipliers and
penalty limits) comes from whoever registered with `laotie.traffic.service.policy`.

Serving a page writes one `Impression` row per item with its source and every component of
its score, in the request's transaction: the log is what "Why am I seeing this?" and "Why is
my traffic what it is?" read, so they show what was served, not a recomputation.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.errors import DomainError, Forbidden
from laotie.models import (
    FeedAction,
    Impression,
    LiveCartItem,
    LiveSession,
    OfficialTag,
    PlatformSetting,
    User,
    Video,
    VideoProduct,
    utcnow,
)
from laotie.traffic.ranking.pages import ItemKey, ScoreComponents, ServedEntry
from laotie.traffic.ranking.ranker import FeedIndex
from laotie.traffic.ranking.settings import FeedSettings
from laotie.traffic.service import policy, tastes

log = logging.getLogger("laotie.feed")

FEED_REFRESH_SECONDS = 30.0
COUNTERS_EVERY = 20  # refreshes between reloads of the counters from the logs (10 minutes)
MAX_VIDEOS = 20_000  # newest published videos that are candidates
SETTINGS_KEY = "traffic.feed"
# The re-ranking settings operators may change at run time (the rest stay at their defaults).
EDITABLE = ("gini_target", "cold_start_days", "cold_start_share", "fairness", "cold_start", "official_boost",
            "ad_positions")


def viewer_key(user_id: int | None, anonymous_id: str | None) -> Hashable:
    return user_id if user_id is not None else f"anon:{anonymous_id or 'unknown'}"


async def feed_settings(s: AsyncSession) -> FeedSettings:
    stored = await s.get(PlatformSetting, SETTINGS_KEY)
    values = {k: v for k, v in (stored.value if stored else {}).items() if k in EDITABLE}
    if "ad_positions" in values:
        values["ad_positions"] = tuple(int(p) for p in values["ad_positions"])
    return replace(FeedSettings(), **values)


async def save_feed_settings(s: AsyncSession, operator: User, values: dict[str, Any]) -> FeedSettings:
    """Validate by building the settings (a bad value raises ValueError), then store them."""
    current = await feed_settings(s)
    merged = {**{k: getattr(current, k) for k in EDITABLE}, **{k: v for k, v in values.items() if k in EDITABLE}}
    merged["ad_positions"] = tuple(merged["ad_positions"])
    built = replace(FeedSettings(), **merged)
    row = await s.get(PlatformSetting, SETTINGS_KEY)
    stored = {**merged, "ad_positions": list(merged["ad_positions"])}
    if row is None:
        s.add(PlatformSetting(key=SETTINGS_KEY, value=stored, updated_by=operator.id, updated_at=utcnow()))
    else:
        row.value, row.updated_by, row.updated_at = stored, operator.id, utcnow()
    await s.flush()
    return built


async def change_feed_settings(s: AsyncSession, feed: DiscoveryFeed, operator: User,
                               values: dict[str, Any]) -> FeedSettings:
    """An operator changes the targets; this process applies them at once, the others at their next refresh."""
    if not operator.has_role("operator"):
        raise Forbidden("only operators change the traffic settings")
    try:
        saved = await save_feed_settings(s, operator, values)
    except ValueError as exc:
        raise DomainError(f"check the settings: {exc}", code="invalid_request", status=422) from exc
    if feed.loaded:
        await feed.refresh(s, utcnow())
    return saved


@dataclass(frozen=True)
class Served:
    impression_id: int
    entry: ServedEntry


class DiscoveryFeed:
    """One process's discovery feed. All index access is under `lock` (the index is not thread-safe)."""

    def __init__(self, seed: int = 0) -> None:
        self.index = FeedIndex(seed=seed)
        self.settings = FeedSettings()
        self.lock = asyncio.Lock()
        self.loaded = False
        self._refreshes = 0
        self.tastes = tastes.Tastes()
        self.item_category: dict[ItemKey, int] = {}
        self.root_of: dict[int, int] = {}

    async def refresh(self, s: AsyncSession, now: datetime) -> None:
        """Bring candidates, official tags, the policy and the settings up to date with the database."""
        settings = await feed_settings(s)
        keys = await _candidates(s)
        tagged = await _official(s)
        carts = await _carts(s, list(keys))
        goods = await _goods_boosts(s, carts)
        root_of = await tastes.roots(s)
        categories = await tastes.item_categories(s, carts, root_of)
        new_policy = await policy.load_policy(s, now)
        counters = await _counters(s, now) if not self.loaded or self._refreshes % COUNTERS_EVERY == 0 else None
        async with self.lock:
            self.settings = settings
            self.index.settings = settings
            self.item_category = categories
            self.root_of = root_of
            for key in [k for k in self.index.candidates() if k not in keys]:
                self.index.remove(key)
            for key, (owner_id, owner_created) in keys.items():
                official = ("host" if key[0] == "live" else "video", key[1]) in tagged or ("host", owner_id) in tagged
                self.index.upsert(key, owner_id=owner_id, owner_created_at=owner_created, official=official,
                                  goods_boost=goods.get(key, 1.0), category=categories.get(key, 0))
            self.index.policy = new_policy
            self.index.refresh_policy()
            if counters:
                present = [k for k in counters if k in self.index]
                self.index.load_counters(present, **{
                    name: [counters[k][i] for k in present]
                    for i, name in enumerate(("impressions", "clicks", "watch_seconds", "orders", "gmv_fen"))})
            self.loaded = True
            self._refreshes += 1

    async def serve(self, s: AsyncSession, viewer_id: int | None, anonymous_id: str | None, k: int,
                    now: datetime) -> list[Served]:
        """Rank a page for the viewer and log its impressions in this transaction."""
        if not self.loaded:
            await self.refresh(s, now)
        affinity = (await self.tastes.of(s, viewer_id, now, self.item_category, self.root_of)
                    if viewer_id is not None else None)
        async with self.lock:
            page = self.index.rank(viewer_key(viewer_id, anonymous_id), k, now, affinity=affinity)
            for e in page.entries:
                self.index.record("impression", e.key)
        if not page.entries:
            return []
        request_id = secrets.token_hex(8)
        rows = [{"request_id": request_id, "viewer_id": viewer_id, "feed": "discovery", "item_kind": e.key[0],
                 "item_id": e.key[1], "owner_id": e.owner_id, "position": e.position, "source": e.source,
                 "components": {**e.components._asdict(), "official": e.official,
                                "cold_start_owner": e.cold_start_owner},
                 "served_at": now} for e in page.entries]
        ids = (await s.execute(insert(Impression).returning(Impression.id, sort_by_parameter_order=True),
                               rows)).scalars().all()
        return [Served(int(i), e) for i, e in zip(ids, page.entries, strict=True)]

    async def record(self, key: ItemKey, kind: str, value: float) -> None:
        async with self.lock:
            self.index.record(kind, key, value)  # type: ignore[arg-type]

    async def run_forever(self, db: Any) -> None:
        while True:
            await asyncio.sleep(FEED_REFRESH_SECONDS)
            try:
                async with db.transaction() as s:
                    await self.refresh(s, utcnow())
            except Exception:  # the next tick tries again; serving goes on with what it has
                log.exception("discovery feed refresh failed")


def feed_of(db: Any) -> DiscoveryFeed:
    feed = db.services.get("feed")
    if feed is None:
        feed = db.services["feed"] = DiscoveryFeed(seed=_seed(db.settings.secret("feed")))
    return feed


def _seed(secret: bytes) -> int:
    return int.from_bytes(hashlib.sha256(secret).digest()[:4], "big")


def entry_of(row: Impression) -> ServedEntry:
    """The served entry as it was logged, to explain it again later."""
    c = dict(row.components or {})
    official, cold = bool(c.pop("official", False)), bool(c.pop("cold_start_owner", False))
    components = ScoreComponents(**{f: c.get(f, 1.0 if f.endswith(("multiplier", "boost", "affinity")) else 0.0)
                                    for f in ScoreComponents._fields})
    return ServedEntry((row.item_kind, row.item_id), row.position, row.source, row.owner_id,  # type: ignore[arg-type]
                       official, cold, components)


# ---- what the database says -------------------------------------------------------------------


def item_key(kind: str, item_id: int) -> ItemKey:
    if kind == "live":
        return ("live", int(item_id))
    if kind == "video":
        return ("video", int(item_id))
    raise ValueError(f"not a feed item kind: {kind!r}")


async def _candidates(s: AsyncSession) -> dict[ItemKey, tuple[int, datetime]]:
    live = await s.execute(select(LiveSession.id, LiveSession.host_id, User.created_at)
                           .join(User, User.id == LiveSession.host_id).where(LiveSession.status == "live"))
    videos = await s.execute(select(Video.id, Video.owner_id, User.created_at).join(User, User.id == Video.owner_id)
                             .where(Video.status == "published").order_by(Video.id.desc()).limit(MAX_VIDEOS))
    out: dict[ItemKey, tuple[int, datetime]] = {("live", int(i)): (int(o), c) for i, o, c in live.all()}
    out.update({("video", int(i)): (int(o), c) for i, o, c in videos.all()})
    return out


async def _carts(s: AsyncSession, keys: list[ItemKey]) -> dict[ItemKey, list[int]]:
    """The products each room's live cart and each video's cart show, in cart order."""
    videos = [i for k, i in keys if k == "video"]
    rooms = [i for k, i in keys if k == "live"]
    carts: dict[ItemKey, list[int]] = {}
    for start in range(0, len(videos), 500):
        rows = await s.execute(select(VideoProduct.video_id, VideoProduct.product_id)
                               .where(VideoProduct.video_id.in_(videos[start:start + 500]))
                               .order_by(VideoProduct.video_id, VideoProduct.position))
        for video, product in rows.all():
            carts.setdefault(("video", int(video)), []).append(int(product))
    for start in range(0, len(rooms), 500):
        rows = await s.execute(select(LiveCartItem.session_id, LiveCartItem.product_id)
                               .where(LiveCartItem.session_id.in_(rooms[start:start + 500]))
                               .order_by(LiveCartItem.session_id, LiveCartItem.position))
        for room, product in rows.all():
            carts.setdefault(("live", int(room)), []).append(int(product))
    return carts


async def _goods_boosts(s: AsyncSession, carts: dict[ItemKey, list[int]]) -> dict[ItemKey, float]:
    """An item selling reliable goods (靠谱好货) gets the best boost among its cart's products."""
    if not policy.GOODS_SOURCES:
        return {}
    boosts = await policy.product_boosts(s, sorted({p for ps in carts.values() for p in ps}))
    return {key: max(boosts.get(p, 1.0) for p in products) for key, products in carts.items()
            if any(p in boosts for p in products)}


async def _official(s: AsyncSession) -> set[tuple[str, int]]:
    rows = await s.execute(select(OfficialTag.item_kind, OfficialTag.item_id))
    return {(str(k), int(i)) for k, i in rows.all()}


async def _counters(s: AsyncSession, now: datetime) -> dict[ItemKey, list[float]]:
    """Totals per item over the last 30 days: impressions, clicks, watch seconds, orders, GMV."""
    since = now - timedelta(days=30)
    out: dict[ItemKey, list[float]] = {}
    shown = await s.execute(select(Impression.item_kind, Impression.item_id, func.count())
                            .where(Impression.served_at >= since, Impression.feed == "discovery")
                            .group_by(Impression.item_kind, Impression.item_id))
    for kind, item, n in shown.all():
        out.setdefault(item_key(kind, item), [0.0] * 5)[0] = float(n)
    acted = await s.execute(select(FeedAction.item_kind, FeedAction.item_id, FeedAction.kind, func.count(),
                                   func.sum(FeedAction.value))
                            .where(FeedAction.at >= since)
                            .group_by(FeedAction.item_kind, FeedAction.item_id, FeedAction.kind))
    for kind, item, action, n, total in acted.all():
        row = out.setdefault(item_key(kind, item), [0.0] * 5)
        if action == "click":
            row[1] += float(n)
        elif action == "watch":
            row[2] += float(total or 0)
        elif action == "order":
            row[3] += float(n)
            row[4] += float(total or 0)
    return out


async def impressions_of(s: AsyncSession, ids: Sequence[int]) -> list[Impression]:
    rows = await s.execute(select(Impression).where(Impression.id.in_(list(ids))))
    return list(rows.scalars().all())


async def log_following(s: AsyncSession, viewer_id: int, items: Sequence[tuple[ItemKey, int]], now: datetime) -> None:
    """Log a following-feed page (items with their owners) so traffic reports count it by source."""
    if not items:
        return
    request_id = secrets.token_hex(8)
    await s.execute(insert(Impression), [
        {"request_id": request_id, "viewer_id": viewer_id, "feed": "following", "item_kind": key[0], "item_id": key[1],
         "owner_id": owner, "position": i, "source": "following", "components": None, "served_at": now}
        for i, (key, owner) in enumerate(items, start=1)])
