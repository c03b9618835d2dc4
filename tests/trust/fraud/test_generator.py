"""The synthetic order generator: exact size, one dataset per seed, and the structure it promises."""

from __future__ import annotations

import numpy as np
import pytest

from laotie.trust.fraud.core.batch import OrderBatch
from laotie.trust.fraud.core.generator import RING_TRAITS, SyntheticOrders, generate_orders, member_precision_recall


@pytest.fixture(scope="module")
def data() -> SyntheticOrders:
    return generate_orders(60_000, seed=5)


def test_exact_size_and_valid_batch(data: SyntheticOrders) -> None:
    assert len(data.batch) == 60_000
    assert isinstance(data.batch, OrderBatch)
    assert np.all(np.diff(data.batch.created_at) >= 0)  # ids follow time, like an autoincrement


def test_one_seed_one_dataset() -> None:
    a, b = generate_orders(10_000, seed=42), generate_orders(10_000, seed=42)
    for name in OrderBatch.FIELDS:
        assert np.array_equal(getattr(a.batch, name), getattr(b.batch, name), equal_nan=True), name
    assert a.rings == b.rings and a.ring_buyers == b.ring_buyers
    c = generate_orders(10_000, seed=43)
    assert not np.array_equal(a.batch.buyer_id, c.batch.buyer_id)


def test_rings_are_planted_as_described(data: SyntheticOrders) -> None:
    batch = data.batch
    assert len(data.rings) == 4  # one per 12,500 orders, at least three
    for ring in data.rings:
        assert 8 <= len(ring.buyers) <= 60 and 1 <= len(ring.shops) <= 4
        assert ring.traits <= set(RING_TRAITS)
        signals = {"shared" if t.startswith("shared") else t for t in ring.traits}
        assert len(signals) >= 2
        mine = np.isin(batch.buyer_id, ring.buyers)
        fake = mine & np.isin(batch.shop_id, ring.shops)
        per_member = np.bincount(np.searchsorted(ring.buyers, batch.buyer_id[fake]), minlength=len(ring.buyers))
        assert per_member.min() >= 3
        # Camouflage: the same accounts also buy at shops outside the ring.
        assert (mine & ~np.isin(batch.shop_id, ring.shops)).sum() > len(ring.buyers)


def test_hard_negatives_are_there(data: SyntheticOrders) -> None:
    batch = data.batch
    assert data.flash_sale_orders > 0 and len(data.loyal_buyers) > 0
    assert not data.loyal_buyers & data.ring_buyers and not data.family_buyers & data.ring_buyers
    family = np.isin(batch.buyer_id, list(data.family_buyers))
    _, accounts = np.unique(
        np.unique(np.stack([batch.address_fp[family], batch.buyer_id[family]]), axis=1)[0], return_counts=True)
    assert accounts.max() >= 2  # relatives share an address
    honest = ~np.isin(batch.buyer_id, list(data.ring_buyers))
    assert 0 < np.mean(batch.amount[honest] <= 1_000) < 0.1  # honest cheap goods exist, and are rare


def test_too_small_or_negative_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2,000"):
        generate_orders(1_000)
    with pytest.raises(ValueError, match="negative"):
        generate_orders(10_000, n_rings=-1)
    with pytest.raises(ValueError, match="do not fit"):
        generate_orders(2_000, n_rings=40)


def test_precision_recall_at_member_level() -> None:
    assert member_precision_recall({1, 2, 3, 9}, {1, 2, 3, 4}) == (0.75, 0.75)
    assert member_precision_recall(set(), {1}) == (1.0, 0.0)
