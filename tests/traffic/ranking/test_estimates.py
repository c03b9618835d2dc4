"""Online estimates: smoothed towards the catalogue prior, so new items are valued, never zeroed."""

from __future__ import annotations

import numpy as np
import pytest

from laotie.traffic.ranking.estimates import Estimates, ValueModel


def test_an_item_with_no_history_gets_the_catalogue_prior_not_zero() -> None:
    est = Estimates(ValueModel(), capacity=4)
    est.start(0)
    est.flush()
    m = est.model
    assert est.pctr[0] == pytest.approx(m.default_ctr)
    assert est.watch_seconds[0] == pytest.approx(m.default_watch_seconds)
    assert est.pcvr[0] == pytest.approx(m.default_cvr)
    assert est.order_value[0] == pytest.approx(m.default_order_value_fen)
    expected = m.default_ctr * (m.watch_weight * m.default_watch_seconds
                                + m.gmv_weight * m.default_cvr * m.default_order_value_fen)
    assert est.value[0] == pytest.approx(expected)


def test_evidence_outweighs_the_prior_as_it_grows() -> None:
    model = ValueModel(prior_impressions=100.0)
    est = Estimates(model, capacity=4)
    for slot in (0, 1):
        est.start(slot)
    est.record_many("impression", [0], 100.0)
    est.record_many("click", [0], 20.0)
    est.record_many("impression", [1], 100_000.0)
    est.record_many("click", [1], 20_000.0)
    est.flush()
    prior_ctr = est.priors.ctr
    # Posterior mean: (clicks + s·μ) / (impressions + s).
    assert est.pctr[0] == pytest.approx((20 + 100 * prior_ctr) / 200)
    assert est.pctr[1] == pytest.approx(0.2, abs=1e-3)
    assert abs(est.pctr[1] - 0.2) < abs(est.pctr[0] - 0.2)


def test_catalogue_means_follow_the_data_and_new_items_start_there() -> None:
    est = Estimates(ValueModel(prior_impressions=10.0, refresh_priors_every=1_000_000), capacity=8)
    for slot in range(3):
        est.start(slot)
    est.record_many("impression", [0, 1], 10_000.0)
    est.record_many("click", [0, 1], 1_000.0)  # CTR 10% across the catalogue
    est.refresh_priors()
    est.flush()
    assert est.priors.ctr == pytest.approx(0.1, abs=1e-3)
    assert est.pctr[2] == pytest.approx(est.priors.ctr)  # slot 2 has no history


def test_single_and_batched_events_give_identical_estimates() -> None:
    a, b = Estimates(capacity=4), Estimates(capacity=4)
    for est in (a, b):
        est.start(0)
        est.start(1)
    for slot, secs in ((0, 12.5), (1, 30.0), (0, 7.0)):
        a.record("impression", slot)
        a.record("click", slot)
        a.record("watch", slot, secs)
    a.record("order", 1, 9_900)
    b.record_many("impression", [0, 1, 0])
    b.record_many("click", [0, 1, 0])
    b.record_many("watch", [0, 1, 0], [12.5, 30.0, 7.0])
    b.record_many("order", [1], [9_900])
    a.flush()
    b.flush()
    assert np.array_equal(a.value, b.value)
    assert a.orders[1] == 1 and a.gmv[1] == 9_900


def test_only_items_with_events_are_rescored_between_prior_refreshes() -> None:
    est = Estimates(ValueModel(refresh_priors_every=1_000), capacity=8)
    for slot in range(5):
        est.start(slot)
    assert est.flush() is None  # first flush scores everything
    est.record("click", 3)
    changed = est.flush()
    assert changed is not None and changed.tolist() == [3]
    unchanged = est.flush()
    assert unchanged is not None and unchanged.size == 0


def test_a_removed_item_stops_counting_and_its_slot_starts_clean() -> None:
    est = Estimates(capacity=2)
    est.start(0)
    est.record_many("impression", [0], 500.0)
    est.record_many("click", [0], 400.0)
    est.stop(0)
    est.refresh_priors()
    assert est.priors.ctr == pytest.approx(est.model.default_ctr)
    est.start(0)
    est.flush()
    assert est.impressions[0] == 0 and est.pctr[0] == pytest.approx(est.model.default_ctr)


def test_a_zero_prior_is_refused() -> None:
    with pytest.raises(ValueError, match="zero prior"):
        ValueModel(prior_impressions=0.0)
