"""The Gini measure, tempered merit targets and the deficit boost."""

from __future__ import annotations

import numpy as np
import pytest

from laotie.traffic.ranking.fairness import GainController, deficits, gini, tempered_shares


def test_gini_of_known_distributions() -> None:
    assert gini([5, 5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)  # (n - 1) / n: zeros count
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert gini([]) == 0.0
    assert gini([0, 0]) == 0.0


def test_zero_exposure_owners_raise_the_gini() -> None:
    assert gini([10, 10, 0, 0]) > gini([10, 10])


def test_tempered_shares_keep_merit_when_it_is_equal_enough() -> None:
    merit = np.array([1.0, 1.2, 0.9, 1.1])
    shares, alpha = tempered_shares(merit, 0.5)
    assert alpha == 1.0
    assert shares == pytest.approx(merit / merit.sum())


def test_tempered_shares_flatten_zipf_merit_to_the_goal_and_keep_its_order() -> None:
    merit = 1.0 / np.arange(1, 1001, dtype=np.float64)
    assert gini(merit) > 0.7
    shares, alpha = tempered_shares(merit, 0.5)
    assert 0.0 < alpha < 1.0
    assert gini(shares) == pytest.approx(0.5, abs=1e-3)
    assert shares.sum() == pytest.approx(1.0)
    assert np.all(np.diff(shares) <= 0)  # still ordered by merit


def test_deficits_are_relative_shortfalls_against_the_target() -> None:
    exposure = np.array([0.0, 50.0, 100.0, 300.0, 5.0])
    target = np.array([0.1, 0.1, 0.1, 0.1, 0.0])
    assert deficits(exposure, target, 1000.0).tolist() == pytest.approx([1.0, 0.5, 0.0, 0.0, 0.0])


def test_the_gain_rises_while_gini_is_above_target_and_falls_below() -> None:
    c = GainController(boost=10.0, gain=1.0)
    assert c.update(0.9, 0.6) > 10.0
    high = c.boost
    assert c.update(0.4, 0.6) < high
    c = GainController(boost=1.0, gain=100.0, max_boost=50.0)
    assert c.update(1.0, 0.0) == 50.0
