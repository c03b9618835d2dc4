"""The fraud detector's input batch: built from columns or SQL rows, refused clearly when bad."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from laotie.trust.fraud.core import InvalidOrderBatch, OrderBatch, detect_rings

T0 = 1_735_689_600.0  # 2025-01-01T00:00:00Z


def columns(n: int = 3) -> dict[str, list[float]]:
    return {
        "order_id": [float(i + 1) for i in range(n)], "buyer_id": [7.0] * n, "shop_id": [3.0] * n,
        "creator_id": [0.0] * n, "product_id": [300.0] * n, "amount": [990.0] * n,
        "created_at": [T0 + 60.0 * i for i in range(n)], "confirm_delay": [3600.0] * n,
        "buyer_created_at": [T0 - 86_400.0] * n, "address_fp": [11.0] * n, "device_fp": [12.0] * n,
        "review_stars": [5.0] * n, "review_chars": [2.0] * n,
    }


def test_columns_become_typed_contiguous_arrays() -> None:
    batch = OrderBatch.from_columns(columns())
    assert len(batch) == 3
    assert batch.order_id.dtype == np.int64 and batch.created_at.dtype == np.float64
    assert batch.review_stars.dtype == np.int64
    assert all(getattr(batch, name).flags.c_contiguous for name in OrderBatch.FIELDS)
    assert batch.order_id.tolist() == [1, 2, 3]


def test_a_batch_is_immutable_and_take_selects_orders() -> None:
    batch = OrderBatch.from_columns(columns(4))
    with pytest.raises(AttributeError):
        batch.amount = np.zeros(4, dtype=np.int64)
    part = batch.take(np.array([0, 2]))
    assert part.order_id.tolist() == [1, 3] and len(batch) == 4


def test_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="no orders"):
        OrderBatch.from_columns(columns(0))
    with pytest.raises(ValueError, match="no orders"):
        OrderBatch.from_rows([])


def test_mismatched_lengths_are_refused_naming_the_columns() -> None:
    cols = columns(3)
    cols["amount"] = [990.0, 990.0]
    with pytest.raises(InvalidOrderBatch, match="differ in length") as caught:
        OrderBatch.from_columns(cols)
    assert "'amount': 2" in str(caught.value) and "'order_id': 3" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("created_at", [T0, math.nan, T0], "'created_at' has NaN"),
    ("buyer_id", [1.0, math.nan, 3.0], "'buyer_id' has NaN"),
    ("buyer_id", [1.0, 2.5, 3.0], "whole numbers"),
    ("shop_id", ["a", "b", "c"], "'shop_id' is not numeric"),
    ("shop_id", [1, None, 3], "'shop_id' is not numeric"),
    ("amount", [990, -1, 990], "negative"),
    ("review_stars", [5, 6, 0], "0 \\(no review\\) or 1-5"),
    ("confirm_delay", [1.0, -5.0, 1.0], "confirmed before ordering"),
    ("confirm_delay", [1.0, math.inf, 1.0], "infinite"),
    ("order_id", [1, 1, 2], "duplicate"),
])
def test_bad_values_are_refused_with_the_column_named(name: str, value: list[object], message: str) -> None:
    cols: dict[str, object] = dict(columns(3))
    cols[name] = value
    with pytest.raises(ValueError, match=message):
        OrderBatch.from_columns(cols)  # type: ignore[arg-type]


def test_two_dimensional_and_unknown_columns_are_refused() -> None:
    cols: dict[str, object] = dict(columns(3))
    cols["amount"] = [[990, 990, 990]]
    with pytest.raises(ValueError, match="one-dimensional"):
        OrderBatch.from_columns(cols)  # type: ignore[arg-type]
    cols = dict(columns(3))
    cols["colour"] = [1, 2, 3]
    del cols["amount"]
    with pytest.raises(ValueError, match=r"missing: \['amount'\], unknown: \['colour'\]"):
        OrderBatch.from_columns(cols)  # type: ignore[arg-type]


def test_unconfirmed_orders_are_nan_and_allowed() -> None:
    cols = columns(3)
    cols["confirm_delay"] = [3600.0, math.nan, 10.0]
    assert np.isnan(OrderBatch.from_columns(cols).confirm_delay[1])


def test_rows_from_sql_take_nulls_and_datetimes() -> None:
    """What a SELECT returns: NULL creator, fingerprint, review; aware or naive UTC datetimes."""
    when = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    registered = datetime(2025, 2, 27, 12, 0)  # naive: taken as UTC
    beijing = timezone(timedelta(hours=8))
    rows = [
        (1, 7, 3, None, 300, 990, when, None, registered, None, 12, None, None),
        (2, 7, 3, 5, 300, 990, when.astimezone(beijing), 3600, registered, 11, None, 5, 2),
    ]
    batch = OrderBatch.from_rows(rows)
    assert batch.creator_id.tolist() == [0, 5]
    assert np.isnan(batch.confirm_delay[0]) and batch.confirm_delay[1] == 3600
    assert batch.created_at.tolist() == [when.timestamp()] * 2
    assert batch.buyer_created_at[0] == when.timestamp() - 2 * 86_400
    assert batch.address_fp.tolist() == [0, 11] and batch.device_fp.tolist() == [12, 0]
    assert batch.review_stars.tolist() == [0, 5] and batch.review_chars.tolist() == [0, 2]


def test_rows_of_the_wrong_width_or_with_missing_required_values_are_refused() -> None:
    with pytest.raises(ValueError, match="row 1 has 3 values"):
        OrderBatch.from_rows([tuple(range(13)), (1, 2, 3)])
    row = [1, 7, 3, 0, 300, 990, T0, 10.0, T0, 0, 0, 0, 0]
    row[1] = None  # no buyer
    with pytest.raises(ValueError, match="'buyer_id' has NULL"):
        OrderBatch.from_rows([row])
    row[1], row[6] = 7, None  # no order time
    with pytest.raises(ValueError, match="'created_at' has NULL"):
        OrderBatch.from_rows([row])


def test_detect_rings_wants_a_batch() -> None:
    with pytest.raises(TypeError, match="needs an OrderBatch"):
        detect_rings(columns())  # type: ignore[arg-type]
