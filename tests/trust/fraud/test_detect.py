"""The ring detector end to end on generated orders with planted, camouflaged rings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from laotie.trust.fraud.core import SIGNALS, Detection, DetectorConfig, detect_rings, score_ring
from laotie.trust.fraud.core.generator import SyntheticOrders, generate_orders, member_precision_recall

TARGET = 0.9


@pytest.fixture(scope="module", params=[(100_000, 7), (80_000, 2024)], ids=["100k-seed7", "80k-seed2024"])
def run(request: pytest.FixtureRequest) -> tuple[SyntheticOrders, Detection]:
    n_orders, seed = request.param
    data = generate_orders(n_orders, seed=seed)
    return data, detect_rings(data.batch)


def test_precision_and_recall_at_ring_member_level(run: tuple[SyntheticOrders, Detection]) -> None:
    data, found = run
    precision, recall = member_precision_recall(found.flagged_buyers, data.ring_buyers)
    assert precision >= TARGET, f"precision {precision:.3f}"
    assert recall >= TARGET, f"recall {recall:.3f}"


def test_honest_look_alikes_are_not_accused(run: tuple[SyntheticOrders, Detection]) -> None:
    """Loyal customers of small shops are dense; families share addresses: neither is a ring."""
    data, found = run
    assert len(found.flagged_buyers & data.loyal_buyers) <= 0.02 * len(data.loyal_buyers)
    assert len(found.flagged_buyers & data.family_buyers) <= 0.02 * len(data.family_buyers)
    assert found.dismissed, "dense honest groups are examined and dismissed, not never seen"


def test_rings_name_the_colluding_shops_and_their_orders(run: tuple[SyntheticOrders, Detection]) -> None:
    data, found = run
    batch = data.batch
    index = {int(o): i for i, o in enumerate(batch.order_id)}
    reported = [shop for ring in found.rings for shop in ring.shops]
    assert sum(shop in data.ring_shops for shop in reported) >= 0.9 * len(reported)
    for ring in found.rings:
        assert ring.order_ids and len(set(ring.order_ids)) == len(ring.order_ids)
        rows = np.array([index[o] for o in ring.order_ids])
        assert set(batch.buyer_id[rows].tolist()) <= set(ring.buyers)
        at_shop = np.isin(batch.shop_id[rows], ring.shops)
        via_creator = np.isin(batch.creator_id[rows], ring.creators) if ring.creators else np.zeros(len(rows), bool)
        assert np.all(at_shop | via_creator)


def test_evidence_reads_as_findings(run: tuple[SyntheticOrders, Detection]) -> None:
    _, found = run
    assert found.rings
    for ring in found.rings + found.dismissed:
        assert ring.evidence[0].signal == "density"
        assert ring.evidence[0].value == pytest.approx(ring.density_ratio)
        assert "× the whole graph's" in ring.evidence[0].explanation
        assert sorted(e.signal for e in ring.evidence[1:]) == sorted(SIGNALS)
        values = [e.value for e in ring.evidence[1:]]
        assert values == sorted(values, reverse=True) and all(0 <= v <= 1 for v in values)
        assert all(" of " in e.explanation for e in ring.evidence[1:])
        json.dumps(ring.as_dict(), ensure_ascii=False)
    top = found.rings[0]
    strong = [e for e in top.evidence[1:] if e.value >= 0.5]
    assert len(strong) >= 2, top.evidence


def test_rings_are_ranked_and_thresholded(run: tuple[SyntheticOrders, Detection]) -> None:
    _, found = run
    scores = [ring.score for ring in found.rings]
    assert scores == sorted(scores, reverse=True)
    assert all(s >= DetectorConfig().min_score for s in scores)
    assert all(ring.score < DetectorConfig().min_score for ring in found.dismissed)
    buyers = [b for ring in found.rings + found.dismissed for b in ring.buyers]
    assert len(buyers) == len(set(buyers)), "a buyer belongs to one ring at most"
    assert found.min_density == pytest.approx(2 * found.background_density)
    assert set(found.seconds) == {"signals", "graph", "blocks", "evidence"}


def test_same_batch_same_rings() -> None:
    data = generate_orders(30_000, seed=3)
    first, second = detect_rings(data.batch), detect_rings(data.batch)
    assert [r.as_dict() for r in first.rings] == [r.as_dict() for r in second.rings]
    again = detect_rings(generate_orders(30_000, seed=3).batch)
    assert [r.as_dict() for r in again.rings] == [r.as_dict() for r in first.rings]


def test_no_rings_planted_nobody_accused() -> None:
    data = generate_orders(50_000, seed=3, n_rings=0)
    assert detect_rings(data.batch).rings == ()


def test_one_signal_alone_never_convicts() -> None:
    quiet = dict.fromkeys(SIGNALS, 0.0)
    for name in SIGNALS:
        assert score_ring({**quiet, name: 1.0}, density_ratio=50.0) == 0.0
    assert score_ring({**quiet, "new_accounts": 1.0, "short_five_star": 0.3}, density_ratio=50.0) < 0.6
    two = {**quiet, "new_accounts": 0.9, "bursts": 0.9}
    assert score_ring(two, density_ratio=8.0) == pytest.approx(0.9)
    assert score_ring(two, density_ratio=2.0) == pytest.approx(0.9 * 0.75)
    assert score_ring(dict.fromkeys(SIGNALS, 1.0), density_ratio=100.0) == 1.0


def test_config_is_validated() -> None:
    for bad in ({"min_score": 1.5}, {"min_density_ratio": 0}, {"min_ring_buyers": 1}, {"column_c": 1.0},
                {"expand_ratio": 0}, {"min_column_share": -0.1}, {"signal_weight": -1}):
        with pytest.raises(ValueError):
            DetectorConfig(**bad)  # type: ignore[arg-type]
