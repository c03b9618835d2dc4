"""The one money-split helper: parts add up to the whole, follow the weights, and reverse exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from laotie.kit.money import split_exact

weights = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12).filter(lambda w: sum(w) > 0)
amounts = st.integers(min_value=-(10**12), max_value=10**12)


@given(amounts, weights)
def test_parts_add_up_to_the_whole(amount: int, ws: list[int]) -> None:
    parts = split_exact(amount, ws)
    assert len(parts) == len(ws)
    assert sum(parts) == amount


@given(amounts, weights)
def test_each_part_is_within_one_fen_of_its_exact_share(amount: int, ws: list[int]) -> None:
    whole = sum(ws)
    for part, w in zip(split_exact(amount, ws), ws, strict=True):
        exact = amount * w / whole
        assert abs(part - exact) < 1 + 1e-9 * abs(exact)
        if w == 0:
            assert part == 0


@given(amounts, weights)
def test_a_reversal_undoes_the_split_to_the_fen(amount: int, ws: list[int]) -> None:
    assert [-x for x in split_exact(amount, ws)] == split_exact(-amount, ws)


@given(st.integers(min_value=0, max_value=10**9), weights)
def test_no_part_of_a_positive_amount_is_negative(amount: int, ws: list[int]) -> None:
    assert min(split_exact(amount, ws)) >= 0


def test_worked_examples() -> None:
    assert split_exact(100, [1, 1, 1]) == [34, 33, 33]
    assert split_exact(997, [3000, 7000, 1234]) == [266, 621, 110]
    assert split_exact(-100, [1, 1, 1]) == [-34, -33, -33]
    assert split_exact(0, [5, 0]) == [0, 0]


@pytest.mark.parametrize("bad", [[], [0, 0], [3, -1]])
def test_weights_must_be_non_negative_with_a_positive_sum(bad: list[int]) -> None:
    with pytest.raises(ValueError, match="weights"):
        split_exact(100, bad)
