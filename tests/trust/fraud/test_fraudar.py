"""FRAUDAR's greedy peel on small hand-made graphs: planted blocks under camouflage, the paper's
guarantee against brute force, and the core pruning that keeps a million orders fast."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import sparse

from laotie.trust.fraud.core import column_weights, density, density_core, detect_blocks, peel


def weighted(binary: np.ndarray) -> sparse.csr_matrix:
    """FRAUDAR's camouflage-resistant weights: each column 1 / log(its degree + 5)."""
    degree = binary.sum(axis=0)
    return sparse.csr_matrix(binary * column_weights(degree)[None, :])


def camouflaged_graph(seed: int = 0) -> tuple[np.ndarray, set[int], set[int]]:
    """12 fake accounts all buying from 4 colluding shops, 300 honest buyers at 8 popular shops,
    and every fake account also buying at 2 popular shops to look ordinary (spread out, as a
    careful organiser would: three fake accounts per popular shop)."""
    rng = np.random.default_rng(seed)
    fraud_rows, fraud_cols = range(12), range(4)
    binary = np.zeros((312, 12))
    binary[np.ix_(fraud_rows, fraud_cols)] = 1
    for row in range(12, 312):  # honest buyers: two popular shops each
        binary[row, 4 + rng.choice(8, size=2, replace=False)] = 1
    for row in fraud_rows:  # camouflage: half as many edges again as the fraud itself
        binary[row, [4 + row % 8, 4 + (row + 3) % 8]] = 1
    return binary, set(fraud_rows), set(fraud_cols)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_peel_finds_the_planted_block_under_camouflage(seed: int) -> None:
    binary, fraud_rows, fraud_cols = camouflaged_graph(seed)
    block = peel(weighted(binary))
    assert set(block.rows.tolist()) == fraud_rows
    assert set(block.cols.tolist()) == fraud_cols
    assert block.density == pytest.approx(48 * column_weights(np.array([12.0]))[0] / 16)


def test_camouflage_does_not_dilute_the_blocks_density() -> None:
    """The fraudsters control their own rows, not the popular columns' degrees: whatever they
    add elsewhere leaves the block's f and size, hence its density, as they were."""
    binary, fraud_rows, fraud_cols = camouflaged_graph(0)
    clean = binary.copy()
    clean[np.ix_(sorted(fraud_rows), range(4, 12))] = 0
    rows, cols = np.array(sorted(fraud_rows)), np.array(sorted(fraud_cols))
    assert density(weighted(binary), rows, cols) == pytest.approx(density(weighted(clean), rows, cols))
    assert peel(weighted(clean)).density == pytest.approx(peel(weighted(binary)).density)


def test_peel_is_within_half_of_the_densest_block_on_every_small_graph() -> None:
    """The paper's guarantee, checked against brute force over every subset of a 4 × 4 graph."""
    rng = np.random.default_rng(7)
    for _ in range(40):
        dense = rng.random((4, 4)) * (rng.random((4, 4)) < 0.6)
        prior = rng.random(4) * 0.3
        best = 0.0
        for mask in itertools.product([False, True], repeat=8):
            rows, cols = np.array(mask[:4]), np.array(mask[4:])
            if rows.any() or cols.any():
                f = dense[np.ix_(rows, cols)].sum() + prior[rows].sum()
                best = max(best, f / (rows.sum() + cols.sum()))
        matrix = sparse.csr_matrix(dense)
        found = peel(matrix, row_prior=prior)
        assert found.density == pytest.approx(density(matrix, found.rows, found.cols, row_prior=prior))
        assert found.density >= best / 2 - 1e-12


def test_the_core_loses_nothing_the_peel_would_report() -> None:
    """Peeling only the min-density core returns the same block as peeling the whole graph."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        binary = (rng.random((300, 60)) < 0.03).astype(float)
        binary[:15, :5] = rng.random((15, 5)) < 0.8  # a planted, imperfect block
        matrix = weighted(binary)
        whole = peel(matrix)
        threshold = 0.8 * whole.density
        rows, _ = density_core(matrix, threshold)
        assert rows.sum() < 300  # the core really is smaller
        first = detect_blocks(matrix, max_blocks=1, min_density=threshold)[0]
        assert first.density == pytest.approx(whole.density)
        assert set(first.rows.tolist()) == set(whole.rows.tolist())
        assert set(first.cols.tolist()) == set(whole.cols.tolist())


def two_rings_sharing_a_hub() -> np.ndarray:
    """Ring A (8 × 3) and ring B (6 × 2), weight 1, both camouflaging at hub column 5, which
    200 honest buyers also use."""
    binary = np.zeros((214, 6))
    binary[0:8, 0:3] = 1
    binary[8:14, 3:5] = 1
    binary[0:14, 5] = 1
    binary[14:, 5] = 1
    return binary


def test_detect_blocks_reports_each_ring_densest_first_without_the_hub() -> None:
    matrix = weighted(two_rings_sharing_a_hub())
    blocks = detect_blocks(matrix, max_blocks=10, min_density=0.3, min_column_share=0.2)
    found = [(set(b.rows.tolist()), set(b.cols.tolist())) for b in blocks]
    assert found[:2] == [(set(range(8)), {0, 1, 2}), (set(range(8, 14)), {3, 4})]
    assert blocks[0].density > blocks[1].density
    assert all(b.density >= 0.3 for b in blocks)


def test_detect_blocks_stops_below_min_density_and_at_max_blocks() -> None:
    matrix = weighted(two_rings_sharing_a_hub())
    a = detect_blocks(matrix, max_blocks=10, min_density=0.3, min_column_share=0.2)[0].density
    only_first = detect_blocks(matrix, max_blocks=10, min_density=a * 0.99, min_column_share=0.2)
    assert [set(b.rows.tolist()) for b in only_first] == [set(range(8))]
    assert len(detect_blocks(matrix, max_blocks=1, min_density=0.3, min_column_share=0.2)) == 1
    assert detect_blocks(matrix, max_blocks=0, min_density=0.3) == []


def test_a_weak_link_does_not_merge_two_rings() -> None:
    """One camouflage purchase of a ring-A account at ring B's shop keeps them two rings."""
    binary = np.zeros((14, 5))
    binary[0:8, 0:3] = 3
    binary[8:14, 3:5] = 3
    binary[0, 3] = 0.1
    blocks = detect_blocks(sparse.csr_matrix(binary), max_blocks=10, min_density=1.0, min_link=0.1)
    assert [set(b.cols.tolist()) for b in blocks[:2]] == [{0, 1, 2}, {3, 4}]


def test_bad_arguments_are_refused() -> None:
    matrix = sparse.csr_matrix(np.array([[1.0, -1.0]]))
    with pytest.raises(ValueError, match="non-negative"):
        peel(matrix)
    with pytest.raises(ValueError, match="shape"):
        peel(sparse.csr_matrix(np.ones((2, 2))), row_prior=np.ones(3))
    with pytest.raises(ValueError, match="positive"):
        detect_blocks(sparse.csr_matrix(np.ones((2, 2))), max_blocks=1, min_density=0)
    with pytest.raises(ValueError, match="greater than 1"):
        column_weights(np.ones(2), c=1.0)


def test_empty_graph_peels_to_nothing() -> None:
    block = peel(sparse.csr_matrix((0, 0)))
    assert len(block.rows) == 0 and len(block.cols) == 0 and block.density == 0.0
    assert detect_blocks(sparse.csr_matrix((3, 2)), max_blocks=5, min_density=0.1) == []
