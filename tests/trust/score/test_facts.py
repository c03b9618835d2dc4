"""Per-order facts: built from columns or SQL rows, refused when they cannot be facts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from laotie.trust.score.core import FACT_COLUMNS, OrderFacts


def columns(n: int = 3, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "shop_id": [1] * n, "category_id": [9] * n, "day_age": [0] * n,
        "quality_return": [False] * n, "product_negative_review": [None] * n, "counterfeit_upheld": [0] * n,
        "shipped_within_48h": [True] * n, "delivery_hours": [30.5] * n, "logistics_negative_review": [None] * n,
        "first_reply_within_3min": [None] * n, "refund_handling_hours": [None] * n, "dispute_lost": [0] * n,
        "service_negative_review": [None] * n,
    }
    base.update(overrides)
    return base


def test_columns_are_converted_to_int_and_float_arrays() -> None:
    facts = OrderFacts(**columns())
    assert len(facts) == 3
    assert facts.shop_id.dtype == np.int64 and facts.day_age.dtype == np.int64
    assert facts.quality_return.dtype == np.float64 and facts.quality_return.tolist() == [0.0] * 3
    assert all(math.isnan(x) for x in facts.product_negative_review.tolist())
    assert facts.shipped_within_48h.tolist() == [1.0] * 3


def test_from_rows_takes_cursor_tuples_in_fact_column_order() -> None:
    assert FACT_COLUMNS[:3] == ("shop_id", "category_id", "day_age")
    rows = [(7, 2, 3, False, None, False, True, 12.5, None, True, None, False, True),
            (8, 2, 0, True, True, False, None, None, False, False, 4.0, True, None)]
    facts = OrderFacts.from_rows(rows)
    assert facts.shop_id.tolist() == [7, 8] and facts.shop_id.dtype == np.int64
    assert facts.day_age.tolist() == [3, 0]
    assert facts.quality_return.tolist() == [0.0, 1.0]
    assert facts.refund_handling_hours[1] == 4.0 and math.isnan(facts.refund_handling_hours[0])
    assert len(OrderFacts.from_rows([])) == 0


@pytest.mark.parametrize(("overrides", "message"), [
    ({"day_age": [0, 1]}, "day_age: 2 rows, but shop_id has 3"),
    ({"day_age": [0, -1, 0]}, "day_age: must be ≥ 0"),
    ({"shop_id": [1.5, 1, 1]}, "shop_id: expected whole numbers"),
    ({"shop_id": [None, 1, 1]}, "shop_id: expected whole numbers"),
    ({"quality_return": [0, 2, 0]}, "quality_return: values must be 0, 1 or NaN"),
    ({"quality_return": [0, None, 0]}, "quality_return: applies to every order"),
    ({"dispute_lost": [0, float("nan"), 0]}, "dispute_lost: applies to every order"),
    ({"product_negative_review": [0, 0.5, None]}, "product_negative_review: values must be 0, 1 or NaN"),
    ({"delivery_hours": [1.0, -2.0, None]}, "delivery_hours: hours must be ≥ 0"),
    ({"refund_handling_hours": [1.0, float("inf"), None]}, "refund_handling_hours: infinite"),
    ({"delivery_hours": ["soon", 1, 1]}, "delivery_hours: expected numbers"),
    ({"shop_id": [[1], [1], [1]]}, "shop_id: expected a 1-D column"),
])
def test_facts_that_cannot_be_true_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OrderFacts(**columns(**overrides))


def test_wrong_row_width_is_refused() -> None:
    with pytest.raises(ValueError, match="13 values per row"):
        OrderFacts.from_rows([(1, 2, 3)])


def test_select_keeps_matching_rows() -> None:
    facts = OrderFacts(**columns(shop_id=[1, 2, 3], category_id=[5, 6, 5]))
    assert facts.select(facts.category_id == 5).shop_id.tolist() == [1, 3]
