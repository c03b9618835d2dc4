"""The shop experience score (店铺体验分): pure computation from per-order facts, no database.

Three dimensions (product, logistics, service) of ten indicators, each scored by its
percentile among scored shops of the same category over a recency-weighted window, on a
3.0–5.0 scale with bands 优 ≥ 4.7, 良 ≥ 4.4, 差 below; shops with too few orders are NEW.

Typical use, by the daily job or an on-demand recompute::

    facts = OrderFacts.from_rows(cursor_rows)          # or OrderFacts(shop_id=..., ...)
    table = compute_scores(facts, settings)            # every shop, as columns
    table.total, table.band_code, table.indicator_score  # for the history table
    score = table.shop(shop_id)                        # one ShopScore for a page
    advice = diagnose(score, settings)                 # what pulls it down, what to do
    traffic_multiplier(score.band, settings)           # what the traffic feed applies

The method is in `laotie.trust.score.core.compute`; the indicators, their directions and
their advice texts in `laotie.trust.score.core.indicators`.
"""

from __future__ import annotations

from laotie.trust.score.core.compute import IndicatorScore, ScoreTable, ShopScore, compute_scores
from laotie.trust.score.core.diagnosis import Diagnosis, Finding, diagnose
from laotie.trust.score.core.facts import FACT_COLUMNS, OrderFacts
from laotie.trust.score.core.indicators import DIMENSIONS, INDICATORS, Direction, Indicator, Kind
from laotie.trust.score.core.settings import (
    BAND_CODES,
    DEFAULT_SETTINGS,
    Band,
    ScoreSettings,
    band_of,
    display_score,
    traffic_multiplier,
)

__all__ = [
    "BAND_CODES",
    "DEFAULT_SETTINGS",
    "DIMENSIONS",
    "FACT_COLUMNS",
    "INDICATORS",
    "Band",
    "Diagnosis",
    "Direction",
    "Finding",
    "Indicator",
    "IndicatorScore",
    "Kind",
    "OrderFacts",
    "ScoreSettings",
    "ScoreTable",
    "ShopScore",
    "band_of",
    "compute_scores",
    "diagnose",
    "display_score",
    "traffic_multiplier",
]
