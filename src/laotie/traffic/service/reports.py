"""Traffic, explained from the impression log: for a viewer, for a creator or shop, for operators.

Every figure here is counted from `impressions` (and paid orders for GMV), the rows written
when pages were served, so the explanation adds up to what was served: a creator's
impressions by source sum to the rows with its id, and the multipliers and limits shown are
the ones logged with those rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.errors import Forbidden, NotFound
from laotie.models import Impression, LiveSession, Order, Shop, SocialCount, User, Video
from laotie.social.follows.service import BRACKETS, bracket
from laotie.traffic.ranking.fairness import gini
from laotie.traffic.ranking.pages import ServedEntry
from laotie.traffic.ranking.settings import FeedSettings
from laotie.traffic.service.feed import entry_of


class ImpressionNotFound(NotFound):
    code = "impression_not_found"


def day_start(now: datetime, settings: FeedSettings) -> datetime:
    """Midnight of the exposure day (Beijing midnight by default), in UTC."""
    shift = timedelta(hours=settings.day_offset_hours)
    local = (now + shift).replace(hour=0, minute=0, second=0, microsecond=0)
    return (local - shift).astimezone(UTC)


@dataclass(frozen=True)
class Why:
    impression: Impression
    entry: ServedEntry
    text: str


async def why(s: AsyncSession, viewer: User, impression_id: int) -> Why:
    """"Why am I seeing this?" — only for the viewer it was served to."""
    row = await s.get(Impression, impression_id)
    if row is None or row.viewer_id != viewer.id:
        raise ImpressionNotFound("no such item in your feed")
    entry = entry_of(row)
    return Why(row, entry, entry.explain())


@dataclass
class OwnerReport:
    owner_id: int
    since: datetime
    by_source: dict[str, int]
    total: int
    by_day: list[tuple[str, int]]
    trust_multipliers: dict[float, int]  # factor → impressions it applied to
    limits: dict[float, int]  # limit → impressions served under it
    mean_fairness_boost: float
    cold_start_impressions: int
    official_impressions: int
    notes: list[str] = field(default_factory=list)


async def owner_report(s: AsyncSession, owner_id: int, now: datetime, days: int = 7) -> OwnerReport:
    """"Why is my traffic what it is?" over the last `days` days, from the rows served."""
    since = now - timedelta(days=days)
    rows = (await s.execute(select(Impression.source, Impression.served_at, Impression.components)
                            .where(Impression.owner_id == owner_id, Impression.served_at >= since))).all()
    by_source: Counter[str] = Counter()
    by_day: Counter[str] = Counter()
    trust: Counter[float] = Counter()
    limits: Counter[float] = Counter()
    boosts = 0.0
    official = 0
    for source, served_at, components in rows:
        c = components or {}
        by_source[source] += 1
        by_day[served_at.date().isoformat()] += 1
        trust[round(float(c.get("trust_multiplier", 1.0)), 3)] += 1
        if c.get("limit") is not None:
            limits[round(float(c["limit"]), 3)] += 1
        boosts += float(c.get("fairness_boost", 1.0))
        official += bool(c.get("official"))
    report = OwnerReport(owner_id, since, dict(by_source), len(rows), sorted(by_day.items()), dict(trust),
                         dict(limits), boosts / len(rows) if rows else 1.0, by_source.get("cold_start", 0), official)
    if limits:
        report.notes.append("A penalty limited your traffic: you were shown only to that share of viewers.")
    if any(f < 1.0 for f in trust):
        report.notes.append("Your shop score band lowered your ranking (差 ×0.7 by default): see /merchant/score.")
    if report.mean_fairness_boost > 1.05:
        report.notes.append("You were under-exposed for your content's predicted value, so fairness lifted you.")
    if not rows:
        report.notes.append("Nothing of yours was in the discovery feed: publish a video or go live.")
    return report


# ---- the operator's view ------------------------------------------------------------------------


@dataclass
class DayFigures:
    day: str
    gini: float
    impressions: int
    owners: int
    new_owner_share: float


@dataclass
class BracketShare:
    bracket: str
    impressions_share: float
    gmv_share: float


@dataclass
class OperatorView:
    days: list[DayFigures]
    brackets: list[BracketShare]


async def _owners_with_candidates(s: AsyncSession, start: datetime, end: datetime) -> set[int]:
    videos = await s.execute(select(Video.owner_id).where(Video.status == "published", Video.created_at < end)
                             .distinct())
    hosts = await s.execute(select(LiveSession.host_id).where(LiveSession.started_at < end,
                                                              (LiveSession.ended_at.is_(None))
                                                              | (LiveSession.ended_at >= start)).distinct())
    return {int(x) for x in videos.scalars()} | {int(x) for x in hosts.scalars()}


async def operator_view(s: AsyncSession, operator: User, now: datetime, settings: FeedSettings,
                        days: int = 7) -> OperatorView:
    if not operator.has_role("operator"):
        raise Forbidden("only operators see the traffic overview")
    today = day_start(now, settings)
    figures = []
    for back in range(days - 1, -1, -1):
        start, end = today - timedelta(days=back), today - timedelta(days=back - 1)
        per_owner = dict((await s.execute(
            select(Impression.owner_id, func.count()).where(Impression.feed == "discovery",
                                                            Impression.served_at >= start, Impression.served_at < end)
            .group_by(Impression.owner_id))).all())
        owners = await _owners_with_candidates(s, start, end) | set(per_owner)
        exposure = [int(per_owner.get(o, 0)) for o in sorted(owners)]
        young = await _young(s, list(per_owner), end, settings)
        total = sum(exposure)
        label = (start + timedelta(hours=settings.day_offset_hours)).date().isoformat()
        figures.append(DayFigures(label, gini(exposure) if total else 0.0, total, len(owners),
                                  sum(int(per_owner[o]) for o in young) / total if total else 0.0))
    return OperatorView(figures, await _bracket_shares(s, today, now))


async def _young(s: AsyncSession, owner_ids: Sequence[int], at: datetime, settings: FeedSettings) -> set[int]:
    if not owner_ids:
        return set()
    cutoff = at - timedelta(days=settings.cold_start_days)
    rows = await s.execute(select(User.id).where(User.id.in_(list(owner_ids)), User.created_at >= cutoff))
    return {int(x) for x in rows.scalars()}


async def _bracket_shares(s: AsyncSession, start: datetime, now: datetime) -> list[BracketShare]:
    """Today's impressions and paid GMV by the follower bracket of the account they went to."""
    shown = dict((await s.execute(select(Impression.owner_id, func.count())
                                  .where(Impression.served_at >= start).group_by(Impression.owner_id))).all())
    paid = (await s.execute(select(Order.source, Shop.owner_id, Order.total).join(Shop, Shop.id == Order.shop_id)
                            .where(Order.paid_at >= start, Order.paid_at <= now))).all()
    gmv: Counter[int] = Counter()
    live_hosts = await _source_owners(s, [src for src, _, _ in paid])
    for source, shop_owner, total in paid:
        gmv[live_hosts.get(source, int(shop_owner))] += int(total)
    owners = set(shown) | set(gmv)
    fans = dict((await s.execute(select(SocialCount.user_id, SocialCount.fans)
                                 .where(SocialCount.user_id.in_(list(owners))))).all()) if owners else {}
    imp_by: Counter[str] = Counter()
    gmv_by: Counter[str] = Counter()
    for o in owners:
        b = bracket(int(fans.get(o, 0)))
        imp_by[b] += int(shown.get(o, 0))
        gmv_by[b] += gmv.get(o, 0)
    imp_total, gmv_total = sum(imp_by.values()), sum(gmv_by.values())
    return [BracketShare(name, imp_by[name] / imp_total if imp_total else 0.0,
                         gmv_by[name] / gmv_total if gmv_total else 0.0) for _, name in BRACKETS]


async def _source_owners(s: AsyncSession, sources: Sequence[str]) -> dict[str, int]:
    """The account an order's source names: the live host, the video's owner, the profile's user."""
    live = {int(x.split(":")[1]) for x in sources if x.startswith("live:")}
    videos = {int(x.split(":")[1]) for x in sources if x.startswith("video:")}
    out = {f"profile:{x.split(':')[1]}": int(x.split(":")[1]) for x in sources if x.startswith("profile:")}
    if live:
        rows = await s.execute(select(LiveSession.id, LiveSession.host_id).where(LiveSession.id.in_(live)))
        out.update({f"live:{i}": int(h) for i, h in rows.all()})
    if videos:
        rows = await s.execute(select(Video.id, Video.owner_id).where(Video.id.in_(videos)))
        out.update({f"video:{i}": int(o) for i, o in rows.all()})
    return out
