"""HTTP for the shop experience score: a shop's score, its history and diagnosis; recompute on demand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from laotie.catalog import service as catalog
from laotie.identity.auth import CurrentUser, require_role
from laotie.kit.http import Session
from laotie.kit.types import PathId
from laotie.trust.score.service import scores
from laotie.trust.score.service import settings as score_config
from laotie.trust.score.service.scores import ScoreReport, StoredScore

router = APIRouter(prefix="/api/v1", tags=["score"])


class IndicatorOut(BaseModel):
    name: str
    label_zh: str
    label_en: str
    dimension: str
    direction: str
    value: float | None  # a rate (0–1) or hours
    orders_counted: int
    percentile: float | None  # 0–1 among the category's scored shops, 1 = best
    score: float | None  # 3.0–5.0
    weight: float  # share of the total
    peers: int


class FindingOut(BaseModel):
    indicator: str
    dimension: str
    shortfall: float
    percentile: float
    text_zh: str
    text_en: str


class DiagnosisOut(BaseModel):
    summary_zh: str
    summary_en: str
    findings: list[FindingOut]


class HistoryOut(BaseModel):
    day: date
    total: float | None
    band: str
    orders_in_window: int


class EligibilityOut(BaseModel):
    multiplier: float
    promotions: bool
    alliance: bool
    ads: bool


class MyScoreOut(BaseModel):
    shop_id: int
    category: str | None
    day: date | None  # None: never computed
    computed_at: datetime | None
    orders_in_window: int
    min_orders: int
    window_days: int
    total: float | None  # 2 decimals, as banded; None for a new shop
    band: str  # 优 | 良 | 差 | new
    dimensions: dict[str, float | None]
    indicators: list[IndicatorOut]
    diagnosis: DiagnosisOut | None
    history: list[HistoryOut]
    eligibility: EligibilityOut


class PublicScoreOut(BaseModel):
    shop_id: int
    day: date | None
    total: float | None
    band: str
    dimensions: dict[str, float | None]


class RecomputeIn(BaseModel):
    day: date | None = None


class RecomputeOut(BaseModel):
    day: date
    shops: int
    orders: int
    bands: dict[str, int]
    changed: int


class SettingsIn(BaseModel):
    score: dict[str, Any] | None = None
    policy: dict[str, Any] | None = None


class SettingsOut(BaseModel):
    score: dict[str, Any]
    policy: dict[str, Any]


def _indicators(stored: StoredScore | None) -> list[IndicatorOut]:
    if stored is None:
        return []
    out = []
    for i in stored.indicators:
        zh, en = scores.indicator_label(i.name)
        out.append(IndicatorOut(name=i.name, label_zh=zh, label_en=en, dimension=i.dimension,
                                direction=i.direction.value, value=i.value, orders_counted=i.orders_counted,
                                percentile=i.percentile, score=i.score, weight=i.weight, peers=i.peers))
    return out


async def _mine(s: Session, report: ScoreReport) -> MyScoreOut:
    stored, d = report.score, report.diagnosis
    view = (await scores.trust_view(s, [report.shop.id]))[report.shop.id]
    return MyScoreOut(
        shop_id=report.shop.id, category=report.category, day=stored.day if stored else None,
        computed_at=stored.computed_at if stored else None,
        orders_in_window=stored.orders_in_window if stored else 0, min_orders=report.settings.min_orders,
        window_days=report.settings.window_days, total=stored.total_display if stored else None,
        band=(stored.band.value if stored else "new"), dimensions=dict(stored.dimensions) if stored else {},
        indicators=_indicators(stored),
        diagnosis=None if d is None else DiagnosisOut(
            summary_zh=d.summary_zh, summary_en=d.summary_en,
            findings=[FindingOut(indicator=f.indicator, dimension=f.dimension, shortfall=f.shortfall,
                                 percentile=f.percentile, text_zh=f.text_zh, text_en=f.text_en)
                      for f in d.findings]),
        history=[HistoryOut(day=h.day, total=h.total, band=h.band.value, orders_in_window=h.orders_in_window)
                 for h in report.history],
        eligibility=EligibilityOut(multiplier=view.multiplier, promotions=view.eligible_for_promotions,
                                   alliance=view.eligible_for_alliance, ads=view.eligible_for_ads))


# /shops/mine/... first: "mine" is not a shop id, and the {shop_id} route would refuse it.
@router.get("/shops/mine/score")
async def my_score(user: CurrentUser, s: Session) -> MyScoreOut:
    """Your shop's latest score: every indicator with its value, percentile and score, what to do, the history."""
    return await _mine(s, await scores.my_score(s, user))


@router.post("/shops/mine/score/recompute")
async def recompute_mine(user: CurrentUser, s: Session) -> MyScoreOut:
    """Recompute today's score now (your category only); at most once per 10 minutes (429 otherwise)."""
    await scores.recompute_mine(s, user)
    return await _mine(s, await scores.my_score(s, user))


@router.get("/shops/{shop_id}/score")
async def shop_score(shop_id: PathId, s: Session) -> PublicScoreOut:
    """A shop's public score: band, total and the three dimensions."""
    shop = await catalog.get_shop(s, shop_id)
    stored = await scores.shop_score(s, shop.id)
    return PublicScoreOut(shop_id=shop.id, day=stored.day if stored else None,
                          total=stored.total_display if stored else None,
                          band=stored.band.value if stored else "new",
                          dimensions=dict(stored.dimensions) if stored else {})


@router.post("/scores/recompute")
async def recompute_all(user: CurrentUser, s: Session, body: RecomputeIn | None = None) -> RecomputeOut:
    """Operators: recompute every shop for a day (today by default)."""
    r = await scores.recompute_all(s, user, body.day if body else None)
    return RecomputeOut(day=r.day, shops=r.shops, orders=r.orders, bands=r.bands, changed=r.changed)


@router.get("/scores/settings")
async def get_settings(user: CurrentUser, s: Session) -> SettingsOut:
    require_role(user, "operator")
    return SettingsOut(score=score_config.settings_to_json(await score_config.score_settings(s)),
                       policy=(await score_config.score_policy(s)).to_json())


@router.put("/scores/settings")
async def put_settings(body: SettingsIn, user: CurrentUser, s: Session) -> SettingsOut:
    """Operators: weights, window, minimum orders, the band curve, eligibility per band, reliable-goods rule."""
    settings, policy = await score_config.update_settings(s, user, score=body.score, policy=body.policy)
    return SettingsOut(score=score_config.settings_to_json(settings), policy=policy.to_json())
