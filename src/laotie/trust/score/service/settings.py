"""The score's settings and policy as operators edit them: weights and bands (`ScoreSettings`),
eligibility for promotions, alliance and ads, and the reliable-goods (靠谱好货) rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.events import record_event
from laotie.models import (
    PlatformSetting,
    User,
    utcnow,
)
from laotie.trust.score.core import DEFAULT_SETTINGS, Band, ScoreSettings

SETTINGS_KEY = "trust.score_settings"
POLICY_KEY = "trust.score_policy"


class ScoreInvalid(DomainError):
    code = "invalid_request"
    status = 422


def _bands(name: str, values: Iterable[Any]) -> tuple[Band, ...]:
    try:
        return tuple(sorted({Band(v) for v in values}, key=lambda b: b.value))
    except ValueError:
        raise ScoreInvalid(f"{name}: bands are 优, 良, 差 or new", field=name) from None


@dataclass(frozen=True)
class ReliableGoodsRule:
    """When a product carries the reliable-goods label (靠谱好货) and its traffic boost.

    Over the last ``window_days``: at least ``min_reviews`` visible reviews whose mean product
    rating is ≥ ``min_rating``; at most ``max_quality_return_rate`` of its paid orders
    refunded for quality; and its shop in one of ``shop_bands`` (default 优 only: the label
    promises good service too, which a product alone cannot show).
    """

    min_rating: float = 4.6
    min_reviews: int = 10
    max_quality_return_rate: float = 0.01
    shop_bands: tuple[Band, ...] = (Band.EXCELLENT,)
    window_days: int = 90
    traffic_boost: float = 1.1

    def __post_init__(self) -> None:
        if not (isinstance(self.min_rating, int | float) and 1 <= self.min_rating <= 5):
            raise ScoreInvalid("min_rating: between 1 and 5", field="min_rating")
        if not (isinstance(self.min_reviews, int) and 1 <= self.min_reviews <= 100_000):
            raise ScoreInvalid("min_reviews: a whole number ≥ 1", field="min_reviews")
        if not (isinstance(self.max_quality_return_rate, int | float) and 0 <= self.max_quality_return_rate <= 1):
            raise ScoreInvalid("max_quality_return_rate: a share between 0 and 1", field="max_quality_return_rate")
        if not (isinstance(self.window_days, int) and 1 <= self.window_days <= 365):
            raise ScoreInvalid("window_days: 1 to 365", field="window_days")
        if not (isinstance(self.traffic_boost, int | float) and 1 <= self.traffic_boost <= 3):
            raise ScoreInvalid("traffic_boost: between 1 and 3", field="traffic_boost")
        object.__setattr__(self, "shop_bands", _bands("shop_bands", self.shop_bands))


@dataclass(frozen=True)
class ScorePolicy:
    """Which bands may do what. 差 is shut out of all three by default; a shop without a score
    yet (new) may join the alliance and buy ads, so new merchants can find an audience, but
    registering for platform promotions and festivals needs a score of 良 or better."""

    promotions: tuple[Band, ...] = (Band.EXCELLENT, Band.GOOD)
    alliance: tuple[Band, ...] = (Band.EXCELLENT, Band.GOOD, Band.NEW)
    ads: tuple[Band, ...] = (Band.EXCELLENT, Band.GOOD, Band.NEW)
    reliable: ReliableGoodsRule = field(default_factory=ReliableGoodsRule)

    def __post_init__(self) -> None:
        for name in ("promotions", "alliance", "ads"):
            object.__setattr__(self, name, _bands(name, getattr(self, name)))

    def to_json(self) -> dict[str, Any]:
        rule = self.reliable
        return {"promotions": [b.value for b in self.promotions], "alliance": [b.value for b in self.alliance],
                "ads": [b.value for b in self.ads],
                "reliable": {"min_rating": rule.min_rating, "min_reviews": rule.min_reviews,
                             "max_quality_return_rate": rule.max_quality_return_rate,
                             "shop_bands": [b.value for b in rule.shop_bands], "window_days": rule.window_days,
                             "traffic_boost": rule.traffic_boost}}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ScorePolicy:
        value = dict(value)
        reliable = value.pop("reliable", {})
        if not isinstance(reliable, Mapping):
            raise ScoreInvalid("reliable: an object", field="reliable")
        try:
            return cls(**value, reliable=ReliableGoodsRule(**reliable))
        except TypeError as exc:
            raise ScoreInvalid(f"unknown policy field ({exc})", field="policy") from None


def settings_to_json(settings: ScoreSettings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, Mapping):
            value = {str(getattr(k, "value", k)): v for k, v in value.items()}
        out[f.name] = value
    return out


def settings_from_json(value: Mapping[str, Any]) -> ScoreSettings:
    try:
        return ScoreSettings(**value)
    except TypeError as exc:
        raise ScoreInvalid(f"unknown score setting ({exc})", field="score") from None
    except ValueError as exc:
        message = str(exc)
        raise ScoreInvalid(message, field=message.split(":", 1)[0]) from None


async def score_settings(s: AsyncSession) -> ScoreSettings:
    """The operator's score settings, or the defaults (validated when they were saved)."""
    row = await s.get(PlatformSetting, SETTINGS_KEY)
    return DEFAULT_SETTINGS if row is None else settings_from_json(row.value)


async def score_policy(s: AsyncSession) -> ScorePolicy:
    row = await s.get(PlatformSetting, POLICY_KEY)
    return ScorePolicy() if row is None else ScorePolicy.from_json(row.value)


async def update_settings(s: AsyncSession, operator: User, *, score: Mapping[str, Any] | None = None,
                          policy: Mapping[str, Any] | None = None) -> tuple[ScoreSettings, ScorePolicy]:
    """Change the score settings or the policy (fields not given keep their value).

    Everything is validated before anything is stored: a bad policy fails here, with the
    field named, not as a strange score tomorrow. Scores change at the next recompute.
    """
    require_role(operator, "operator")
    settings, pol = await score_settings(s), await score_policy(s)
    if score:
        settings = settings_from_json({**settings_to_json(settings), **score})
        await _put(s, SETTINGS_KEY, settings_to_json(settings), operator)
    if policy:
        merged = pol.to_json()
        merged.update({k: v for k, v in policy.items() if k != "reliable"})
        if isinstance(policy.get("reliable"), Mapping):
            merged["reliable"] = {**merged["reliable"], **policy["reliable"]}
        pol = ScorePolicy.from_json(merged)
        await _put(s, POLICY_KEY, pol.to_json(), operator)
    await record_event(s, "trust.score_settings_changed", {"by": operator.id, "score": dict(score or {}),
                                                           "policy": dict(policy or {})})
    return settings, pol


async def _put(s: AsyncSession, key: str, value: Any, operator: User) -> None:
    row = await s.get(PlatformSetting, key)
    if row is None:
        s.add(PlatformSetting(key=key, value=value, updated_by=operator.id, updated_at=utcnow()))
    else:
        row.value, row.updated_by, row.updated_at = value, operator.id, utcnow()
    await s.flush()
