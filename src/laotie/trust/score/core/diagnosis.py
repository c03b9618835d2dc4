"""Shop diagnosis (店铺诊断): what pulls a shop's experience score down, and what to do about it.

Each indicator costs the total weight × (score_max - score) points, and those costs add
up exactly to score_max - total, so ranking indicators by their cost names the fixes
worth most to the shop, not merely its lowest percentiles: a poor indicator with a small
weight can matter less than a middling one with a large weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from laotie.trust.score.core.compute import IndicatorScore, ShopScore
from laotie.trust.score.core.indicators import Kind
from laotie.trust.score.core.settings import DEFAULT_SETTINGS, Band, ScoreSettings

_NEGLIGIBLE = 1e-9


@dataclass(frozen=True)
class Finding:
    """One indicator that costs the shop points: how many, and what to say about it.

    ``text_zh`` is what the merchant page shows; ``text_en`` is its English gloss.
    """

    indicator: str
    dimension: str
    shortfall: float  # points of the total lost on this indicator
    percentile: float
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class Diagnosis:
    """A summary line and the costliest indicators, worst first."""

    shop_id: int
    band: Band
    summary_zh: str
    summary_en: str
    findings: tuple[Finding, ...]


def diagnose(shop: ShopScore, settings: ScoreSettings = DEFAULT_SETTINGS, *, limit: int = 3) -> Diagnosis:
    """The `limit` indicators that pull `shop`'s score down most, with advice.

    Pass the settings the score was computed with (they give the scale, the bands and
    the new-shop rule). A new shop gets no findings: it has no score to explain, only
    the number of orders it still needs.
    """
    if limit < 0:
        raise ValueError("limit: must be ≥ 0")
    if shop.band is Band.NEW or shop.total is None or shop.total_display is None:
        window, need = settings.window_days, settings.min_orders
        return Diagnosis(
            shop_id=shop.shop_id, band=Band.NEW,
            summary_zh=f"新店：近{window}天{shop.orders_in_window}单，满{need}单后开始计算体验分。",
            summary_en=f"New shop: {shop.orders_in_window} orders in the last {window} days; "
                       f"the experience score starts at {need}.",
            findings=())

    costs = [(ind.weight * (settings.score_max - ind.score), k, ind)
             for k, ind in enumerate(shop.indicators) if ind.score is not None and ind.percentile is not None]
    costs = [c for c in costs if c[0] > _NEGLIGIBLE]
    # Catalogue order breaks ties (costs equal up to float noise), so the output is stable.
    costs.sort(key=lambda c: (-round(c[0], 9), c[1]))
    findings = tuple(_finding(ind, cost) for cost, _, ind in costs[:limit])
    return Diagnosis(shop_id=shop.shop_id, band=shop.band, summary_zh=_summary_zh(shop, settings),
                     summary_en=_summary_en(shop, settings), findings=findings)


def _finding(ind: IndicatorScore, cost: float) -> Finding:
    meta = ind.indicator
    assert ind.value is not None and ind.percentile is not None  # scored indicators have both
    rank = _whole_percent(ind.percentile)
    if meta.kind is Kind.RATE:
        shown = _percent(ind.value)
        zh_value, en_value = shown, shown
    else:
        zh_value, en_value = f"{ind.value:.1f}小时", f"{ind.value:.1f} h"
    text_zh = (f"{meta.label_zh} {zh_value}（同类第{rank}百分位，拉低总分{cost:.2f}）："
               f"{meta.cause_zh}。建议：{meta.advice_zh}。")
    label_en = meta.label_en[0].upper() + meta.label_en[1:]
    text_en = (f"{label_en} {en_value} ({_ordinal(rank)} percentile in the category, costs {cost:.2f} points): "
               f"{meta.cause_en}. Advice: {meta.advice_en}.")
    return Finding(indicator=ind.name, dimension=ind.dimension, shortfall=cost, percentile=ind.percentile,
                   text_zh=text_zh, text_en=text_en)


def _next_band(shop: ShopScore, settings: ScoreSettings) -> tuple[Band, float] | None:
    assert shop.total_display is not None
    if shop.band is Band.POOR:
        return Band.GOOD, settings.good_from - shop.total_display
    if shop.band is Band.GOOD:
        return Band.EXCELLENT, settings.excellent_from - shop.total_display
    return None


def _summary_zh(shop: ShopScore, settings: ScoreSettings) -> str:
    assert shop.total_display is not None
    text = f"体验分{shop.total_display:.2f}（{shop.band.value}）"
    step = _next_band(shop, settings)
    if step is not None:
        text += f"，距「{step[0].value}」还差{step[1]:.2f}分"
    gap = settings.score_max - shop.total_display
    if gap <= _NEGLIGIBLE:
        return text + "，已是满分。"
    return text + f"，离满分{settings.score_max:g}分差{gap:.2f}分，失分最多的是："


def _summary_en(shop: ShopScore, settings: ScoreSettings) -> str:
    assert shop.total_display is not None
    text = f"Experience score {shop.total_display:.2f} ({shop.band.value})"
    step = _next_band(shop, settings)
    if step is not None:
        text += f", {step[1]:.2f} short of {step[0].value}"
    gap = settings.score_max - shop.total_display
    if gap <= _NEGLIGIBLE:
        return text + ", the full score."
    return text + f"; {gap:.2f} below the full {settings.score_max:g}, lost mostly on:"


def _whole_percent(fraction: float) -> int:
    return math.floor(fraction * 100 + 0.5)


def _percent(rate: float) -> str:
    """A rate as a percentage with as many decimals as it needs to not read as 0% or 100%."""
    p = rate * 100
    if 0 < p < 0.01:
        return "<0.01%"
    if p in (0.0, 100.0) or 10 <= p <= 99:
        digits = 0
    elif 1 <= p < 10 or 99 < p <= 99.9:
        digits = 1
    else:
        digits = 2
    return f"{min(p, 99.99) if p < 100 else p:.{digits}f}%"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
