"""Score settings are validated when set; bands, display rounding and the traffic multiplier."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from laotie.trust.score.core import (
    BAND_CODES,
    DEFAULT_SETTINGS,
    Band,
    OrderFacts,
    ScoreSettings,
    band_of,
    compute_scores,
    display_score,
    traffic_multiplier,
)


def test_defaults_follow_the_issue() -> None:
    s = DEFAULT_SETTINGS
    assert (s.window_days, s.min_orders, s.half_life_days) == (30, 30, 15.0)
    assert dict(s.dimension_weights) == {"product": 0.4, "logistics": 0.2, "service": 0.4}
    assert set(s.indicator_weights.values()) == {1.0} and len(s.indicator_weights) == 10
    assert (s.score_min, s.score_max, s.good_from, s.excellent_from) == (3.0, 5.0, 4.4, 4.7)
    assert s.percentile_exponent == 0.5  # the concave band mapping (see ScoreSettings)
    assert s.day_weights()[[0, 15]].tolist() == [1.0, 0.5]
    assert ScoreSettings(half_life_days=None).day_weights().tolist() == [1.0] * 30


@pytest.mark.parametrize(("overrides", "message"), [
    ({"window_days": 0}, "window_days"),
    ({"window_days": 7.5}, "window_days"),
    ({"min_orders": 0}, "min_orders"),
    ({"min_orders": True}, "min_orders"),
    ({"half_life_days": 0}, "half_life_days"),
    ({"half_life_days": 0.5}, "half_life_days"),
    ({"half_life_days": float("inf")}, "half_life_days"),
    ({"dimension_weights": {"product": 0.5, "logistics": 0.2, "service": 0.4}}, "sum to 1"),
    ({"dimension_weights": {"product": 0.5, "service": 0.5}}, "need exactly product, logistics, service"),
    ({"dimension_weights": {"product": 0.8, "logistics": -0.2, "service": 0.4}}, "logistics must be a positive"),
    ({"dimension_weights": {"product": 1.0, "logistics": 0.0, "service": 0.0}}, "must be a positive"),
    ({"indicator_weights": {"no_such_thing": 1.0}}, "unknown indicator"),
    ({"indicator_weights": {"delivery_hours": 0}}, "delivery_hours must be a positive"),
    ({"indicator_weights": {"delivery_hours": float("nan")}}, "delivery_hours must be a positive"),
    ({"score_min": 5.0}, "score_min"),
    ({"good_from": 4.8}, "bands"),
    ({"excellent_from": 5.5}, "bands"),
    ({"excellent_from": 4.705}, "2 decimals"),
    ({"percentile_exponent": 0}, "percentile_exponent"),
    ({"percentile_exponent": 1.5}, "percentile_exponent"),
    ({"percentile_exponent": float("nan")}, "percentile_exponent"),
    ({"traffic_multipliers": {"优": 1.2, "良": 1.0, "差": 0.7}}, "missing band"),
    ({"traffic_multipliers": {"优": 1.2, "良": 1.0, "差": 0.7, "new": 1.0, "best": 2.0}}, "unknown band"),
    ({"traffic_multipliers": {"优": 1.2, "良": 1.0, "差": -0.7, "new": 1.0}}, "差 must be a number"),
])
def test_bad_settings_are_refused_with_a_clear_message(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScoreSettings(**overrides)  # type: ignore[arg-type]


def test_custom_weights_are_copied_and_settings_pickle() -> None:
    given = {"product": 0.425, "logistics": 0.2, "service": 0.375}
    s = ScoreSettings(dimension_weights=given, indicator_weights={"counterfeit_claim_rate": 3.0})
    assert s.indicator_weights["counterfeit_claim_rate"] == 3.0
    assert s.indicator_weights["quality_return_rate"] == 1.0
    given["product"] = 0.9  # the caller's dict is not the policy
    assert s.dimension_weights["product"] == 0.425
    assert pickle.loads(pickle.dumps(s)) == s


@pytest.mark.parametrize(("total", "shown", "band"), [
    (5.0, 5.00, Band.EXCELLENT),
    (4.7, 4.70, Band.EXCELLENT),
    (4.695, 4.70, Band.EXCELLENT),  # shown as 4.70, so 优: a page never says 4.70 and 良
    (4.6949, 4.69, Band.GOOD),
    (4.4, 4.40, Band.GOOD),
    (4.3999999999, 4.40, Band.GOOD),
    (4.394, 4.39, Band.POOR),
    (3.0, 3.00, Band.POOR),
])
def test_bands_judge_the_displayed_score(total: float, shown: float, band: Band) -> None:
    assert display_score(total) == shown
    assert band_of(total) is band


def test_no_score_is_the_new_band() -> None:
    assert band_of(None) is Band.NEW
    assert band_of(float("nan")) is Band.NEW


def test_bulk_bands_agree_with_band_of() -> None:
    rng = np.random.default_rng(11)
    n = 6000
    facts = OrderFacts(
        shop_id=rng.integers(0, 200, n), category_id=np.zeros(n, dtype=int), day_age=rng.integers(0, 30, n),
        quality_return=rng.random(n) < 0.05,
        product_negative_review=np.where(rng.random(n) < 0.4, rng.random(n) < 0.1, np.nan),
        counterfeit_upheld=rng.random(n) < 0.002, shipped_within_48h=rng.random(n) < 0.9,
        delivery_hours=rng.gamma(4.0, 12.0, n), logistics_negative_review=np.full(n, np.nan),
        first_reply_within_3min=rng.random(n) < 0.8, refund_handling_hours=np.full(n, np.nan),
        dispute_lost=rng.random(n) < 0.01, service_negative_review=np.full(n, np.nan))
    table = compute_scores(facts)
    for shop in table.shops():
        assert shop.band is band_of(shop.total)
        assert shop.total_display == (None if shop.total is None else display_score(shop.total))
    assert {BAND_CODES[c] for c in table.band_code.tolist()} >= {Band.POOR, Band.GOOD, Band.NEW}


def test_traffic_multiplier_per_band() -> None:
    assert [traffic_multiplier(b) for b in (Band.EXCELLENT, Band.GOOD, Band.POOR, Band.NEW)] == [1.2, 1.0, 0.7, 1.0]
    assert traffic_multiplier("优") == 1.2
    custom = ScoreSettings(traffic_multipliers={"优": 1.5, "良": 1.1, "差": 0.5, "new": 0.9})
    assert traffic_multiplier(Band.POOR, custom) == 0.5
    assert traffic_multiplier("new", custom) == 0.9
    with pytest.raises(ValueError, match="unknown band"):
        traffic_multiplier("A+")
