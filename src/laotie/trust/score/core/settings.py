"""Score policy: window, weights, recency, scale, bands and the traffic multiplier per band.

Operators tune these, so every value is validated up front with a ValueError that says
what is wrong; a bad policy must fail when it is set, not as a strange score later.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from laotie.trust.score.core.indicators import BY_NAME, DIMENSIONS, INDICATORS


class Band(StrEnum):
    """Score band (档位). NEW: too few orders in the window to be scored (新店, no score)."""

    EXCELLENT = "优"
    GOOD = "良"
    POOR = "差"
    NEW = "new"


BAND_CODES: tuple[Band, ...] = (Band.NEW, Band.POOR, Band.GOOD, Band.EXCELLENT)
"""`ScoreTable.band_code` values index this tuple (0 new, 1 差, 2 良, 3 优): an int8
column is what the bulk form stores and what a history table can keep."""


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(name: str, value: object, *, at_least: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < at_least:
        raise ValueError(f"{name}: must be a whole number ≥ {at_least}, got {value!r}")


def _default_dimension_weights() -> Mapping[str, float]:
    return {"product": 0.4, "logistics": 0.2, "service": 0.4}


def _default_traffic_multipliers() -> Mapping[Band | str, float]:
    return {Band.EXCELLENT: 1.2, Band.GOOD: 1.0, Band.POOR: 0.7, Band.NEW: 1.0}


@dataclass(frozen=True)
class ScoreSettings:
    """How scores are computed. Defaults follow the issue; all of it is operator policy.

    The mappings are copied and normalised on construction (plain dicts, so settings and
    the `ScoreTable` that carries them pickle into worker processes); do not mutate them.

    - ``window_days``: orders of the last N days (day_age 0..N-1) count.
    - ``min_orders``: a shop with fewer orders than this in the window has no score (band
      NEW) and is not ranked, so it neither gains nor costs its peers anything.
    - ``half_life_days``: recency weighting; an order counts 0.5 ** (day_age / half_life)
      as much as one from the score day (15: an order from 15 days ago counts half, one
      from 29 days ago about a quarter; at least 1). None weighs every day equally.
    - ``dimension_weights``: share of each dimension in the total; positive, sum to 1.
    - ``indicator_weights``: relative weight of an indicator inside its dimension
      (positive; indicators left out weigh 1.0, so the default is a plain mean).
    - ``score_min``/``score_max``: the scale; an indicator scores
      score_min + (score_max - score_min) × percentile ** percentile_exponent.
    - ``percentile_exponent``: the curve from percentile to score (band mapping). With
      1.0 (a straight line) a shop in the middle of its category on every indicator
      scores 4.0, and since a total averages ten indicators that rarely all sit high,
      about two thirds of shops land in 差 (65.7% on `bench/score.py`'s market): the
      band then says little more than "not in the top third". The default 0.5 (square
      root) is concave: a shop at the category median on an indicator scores 3 + 2·√0.5
      ≈ 4.41, just 良; the 72nd percentile reaches 4.70 (优); the bottom still scores 3.0
      and the top 5.0, and no shop's order on any one indicator changes (totals may
      reorder a little: the curve favours middling everywhere over top-and-bottom). On
      the bench's market the median shop's total is 4.50 (良), 优 is the top 24.7%, 良
      36.9%, 差 38.4%. The curve
      is applied per indicator rather than to the total, so every indicator's shortfall
      (score_max - score) × weight still adds up exactly to score_max - total and the
      diagnosis keeps naming the fixes worth most. Bands on percentiles of the total were
      the alternative; they were not chosen because they fix the share of 差 shops
      whatever the shops do, and a page could show 4.3 next to 良.
    - ``excellent_from``/``good_from``: band thresholds on the displayed (2-decimal)
      total: 优 ≥ excellent_from, 良 ≥ good_from, else 差.
    - ``perfect_is_top``: a shop at an indicator's ideal value (no returns, every order
      shipped in 48 h …) gets the top percentile. Without it, ties share the midrank, and
      where 80% of a category has zero upheld counterfeit claims, a shop with none would
      score only 4.2 on that indicator, and the diagnosis would tell it to fix something
      it cannot improve.
    - ``traffic_multipliers``: what the traffic feed multiplies a shop's exposure by, per
      band (read through `traffic_multiplier`).
    """

    window_days: int = 30
    min_orders: int = 30
    half_life_days: float | None = 15.0
    dimension_weights: Mapping[str, float] = field(default_factory=_default_dimension_weights)
    indicator_weights: Mapping[str, float] = field(default_factory=dict)
    score_min: float = 3.0
    score_max: float = 5.0
    percentile_exponent: float = 0.5
    excellent_from: float = 4.7
    good_from: float = 4.4
    perfect_is_top: bool = True
    traffic_multipliers: Mapping[Band | str, float] = field(default_factory=_default_traffic_multipliers)

    def __post_init__(self) -> None:
        _whole("window_days", self.window_days, at_least=1)
        _whole("min_orders", self.min_orders, at_least=1)
        # Under a day means nothing at day granularity, and tiny half-lives underflow the
        # oldest orders' weights to 0, which would drop them silently.
        if self.half_life_days is not None and not (_finite(self.half_life_days) and self.half_life_days >= 1):
            raise ValueError("half_life_days: must be a number of days ≥ 1, or None for equal weights")

        dims = dict(self.dimension_weights)
        if set(dims) != set(DIMENSIONS):
            raise ValueError(f"dimension_weights: need exactly {', '.join(DIMENSIONS)}; got {', '.join(dims)}")
        for name, weight in dims.items():
            if not (_finite(weight) and weight > 0):
                raise ValueError(f"dimension_weights: {name} must be a positive number, got {weight!r}")
        if abs(math.fsum(dims.values()) - 1.0) > 1e-9:
            raise ValueError(f"dimension_weights: must sum to 1, they sum to {math.fsum(dims.values())!r}")
        object.__setattr__(self, "dimension_weights", {d: float(dims[d]) for d in DIMENSIONS})

        given = dict(self.indicator_weights)
        unknown = sorted(set(given) - set(BY_NAME))
        if unknown:
            raise ValueError(f"indicator_weights: unknown indicator(s) {', '.join(unknown)}")
        for name, weight in given.items():
            if not (_finite(weight) and weight > 0):
                raise ValueError(f"indicator_weights: {name} must be a positive number, got {weight!r}")
        object.__setattr__(self, "indicator_weights", {i.name: float(given.get(i.name, 1.0)) for i in INDICATORS})

        if not (_finite(self.score_min) and _finite(self.score_max) and self.score_min < self.score_max):
            raise ValueError("score_min/score_max: need finite numbers with score_min < score_max")
        # Above 0 keeps percentile 0 at score_min; at most 1 keeps the curve concave or straight
        # (convex would push most shops into 差, the problem this setting exists to solve).
        if not (_finite(self.percentile_exponent) and 0 < self.percentile_exponent <= 1):
            raise ValueError("percentile_exponent: must be a number in (0, 1]; 1 maps percentiles linearly")
        if not (self.score_min <= self.good_from <= self.excellent_from <= self.score_max):
            raise ValueError("bands: need score_min ≤ good_from ≤ excellent_from ≤ score_max")
        for name in ("score_min", "score_max", "good_from", "excellent_from"):
            value = getattr(self, name)
            if round(value, 2) != value:
                raise ValueError(f"{name}: at most 2 decimals, as scores are shown and banded at 2 decimals")

        multipliers: dict[Band, float] = {}
        for key, value in dict(self.traffic_multipliers).items():
            try:
                band = Band(key)
            except ValueError:
                raise ValueError(f"traffic_multipliers: unknown band {key!r}") from None
            if not (_finite(value) and value >= 0):
                raise ValueError(f"traffic_multipliers: {band.value} must be a number ≥ 0, got {value!r}")
            multipliers[band] = float(value)
        missing = [b.value for b in Band if b not in multipliers]
        if missing:
            raise ValueError(f"traffic_multipliers: missing band(s) {', '.join(missing)}")
        object.__setattr__(self, "traffic_multipliers", multipliers)

    def day_weights(self) -> npt.NDArray[np.float64]:
        """Weight of an order by its day_age, index 0..window_days-1 (1.0 on the score day)."""
        ages = np.arange(self.window_days, dtype=np.float64)
        if self.half_life_days is None:
            return np.ones_like(ages)
        return np.asarray(0.5 ** (ages / self.half_life_days), dtype=np.float64)


DEFAULT_SETTINGS = ScoreSettings()


def display_score(total: float) -> float:
    """The total as shown: rounded half up to 2 decimals (4.695 → 4.70).

    Stored scores keep full precision; only pages and bands use this. The 1e-9 nudge
    keeps a total that is 4.695 on paper but 4.69499999… in binary from rounding down.
    """
    return math.floor(total * 100 + 0.5 + 1e-9) / 100


def band_of(total: float | None, settings: ScoreSettings = DEFAULT_SETTINGS) -> Band:
    """The band of a total; None (no score) is NEW.

    Bands are judged on the displayed value so a page never shows 4.70 next to 良.
    """
    if total is None or math.isnan(total):
        return Band.NEW
    shown = display_score(total)
    if shown >= settings.excellent_from:
        return Band.EXCELLENT
    if shown >= settings.good_from:
        return Band.GOOD
    return Band.POOR


def traffic_multiplier(band: Band | str, settings: ScoreSettings = DEFAULT_SETTINGS) -> float:
    """Exposure multiplier the traffic feed applies for a shop's band (优 1.2, 良 1.0, 差 0.7, new 1.0).

    The one place the feed learns what a band is worth, so policy changes stay in settings.
    """
    try:
        return settings.traffic_multipliers[Band(band)]
    except ValueError:
        raise ValueError(f"unknown band {band!r}") from None
