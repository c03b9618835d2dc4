"""The merchant's score page (店铺体验分) with each indicator and what to do about it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from laotie.kit.errors import DomainError
from laotie.kit.http import Session
from laotie.trust.score.core import INDICATORS, Band, Kind
from laotie.trust.score.core.indicators import DIMENSION_LABELS, DIMENSIONS
from laotie.trust.score.service import scores
from laotie.trust.score.service.scores import ScoreReport
from laotie.web.i18n import N_
from laotie.web.render import Form, PageUser, attempt, redirect, render

router = APIRouter(include_in_schema=False)

# The orders each indicator counts, in trust/score/core/indicators.py's words (`applies_to`), marked here
# for translation: the template shows _(row.applies_to). A phrase missing here shows in English.
APPLIES_TO = (N_("all orders"), N_("orders with a review"), N_("orders shipped, or unshipped past 48 h"),
              N_("delivered orders"), N_("orders with a buyer message"), N_("orders with a refund request"))


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator as the page prints it."""

    name: str
    label_zh: str
    label_en: str
    applies_to: str
    value: float | None  # a share (0–1) for a rate, else hours
    is_rate: bool
    percentile: int | None  # 0–100, 100 = best in the category
    score: float | None
    weight: float
    orders: int
    peers: int
    lower_is_better: bool


def _rows(report: ScoreReport) -> dict[str, list[IndicatorRow]]:
    by_dimension: dict[str, list[IndicatorRow]] = {d: [] for d in DIMENSIONS}
    stored = report.score
    for k, meta in enumerate(INDICATORS):
        ind = stored.indicators[k] if stored else None
        by_dimension[meta.dimension].append(IndicatorRow(
            name=meta.name, label_zh=meta.label_zh, label_en=meta.label_en, applies_to=meta.applies_to,
            value=ind.value if ind else None, is_rate=meta.kind is Kind.RATE,
            percentile=None if ind is None or ind.percentile is None else round(ind.percentile * 100),
            score=None if ind is None else ind.score, weight=0.0 if ind is None else ind.weight,
            orders=0 if ind is None else ind.orders_counted, peers=0 if ind is None else ind.peers,
            lower_is_better=meta.direction.value == "lower_is_better"))
    return by_dimension


def _chart(report: ScoreReport) -> str:
    s = report.settings
    return json.dumps({"days": [h.day.isoformat() for h in report.history],
                       "totals": [h.total for h in report.history],
                       "bands": [h.band.value for h in report.history],
                       "min": s.score_min, "max": s.score_max, "good": s.good_from, "excellent": s.excellent_from})


async def _page(request: Request, s: Session, user: PageUser, status_code: int = 200, **extra: object) -> Response:
    report = await scores.my_score(s, user)
    view = (await scores.trust_view(s, [report.shop.id]))[report.shop.id]
    stored = report.score
    return render(request, "scores/score.html", status_code=status_code, user=user, shop=report.shop, tab="score",
                  report=report, stored=stored, view=view, rows=_rows(report), chart=_chart(report),
                  dimension_labels=DIMENSION_LABELS, is_new=stored is None or stored.band is Band.NEW,
                  weights=report.settings.dimension_weights, **extra)


@router.get("/merchant/score")
async def score_page(request: Request, s: Session, user: PageUser) -> Response:
    """Total and band, the three dimensions, every indicator against the category, the diagnosis, the history."""
    return await _page(request, s, user, recomputed=request.query_params.get("done") == "1")


@router.post("/merchant/score/recompute")
async def recompute(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            await scores.recompute_mine(s, user)
    except DomainError as exc:
        return await _page(request, s, user, status_code=exc.status, error=exc.message, error_code=exc.code)
    return redirect("/merchant/score?done=1")
