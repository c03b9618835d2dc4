"""The score's input: one row per order in the window, held as columns (numpy arrays).

Columns rather than objects because the daily job scores every shop from about a million
orders: one array per fact is what a SQL cursor can fill cheaply and what numpy groups
in milliseconds. Which orders belong in the batch is the caller's decision, made in SQL:
paid orders of the last `window_days` days, without orders from detected fake-order
(刷单) rings, which must not count for the score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

ID_COLUMNS: tuple[str, ...] = ("shop_id", "category_id", "day_age")
FLAG_COLUMNS: tuple[str, ...] = (
    "quality_return", "product_negative_review", "counterfeit_upheld", "shipped_within_48h",
    "logistics_negative_review", "first_reply_within_3min", "dispute_lost", "service_negative_review",
)
"""0/1 facts; NaN where the fact does not apply to the order (see `ALWAYS_APPLICABLE`)."""
HOURS_COLUMNS: tuple[str, ...] = ("delivery_hours", "refund_handling_hours")
"""Durations in hours (≥ 0); NaN where the order has none."""
ALWAYS_APPLICABLE: frozenset[str] = frozenset({"quality_return", "counterfeit_upheld", "dispute_lost"})
"""Facts every order has: each order either was returned for quality or was not. Because
these are never NaN, every shop with orders has a product dimension, so its total is
always defined."""
FACT_COLUMNS: tuple[str, ...] = (
    "shop_id", "category_id", "day_age",
    "quality_return", "product_negative_review", "counterfeit_upheld",
    "shipped_within_48h", "delivery_hours", "logistics_negative_review",
    "first_reply_within_3min", "refund_handling_hours", "dispute_lost", "service_negative_review",
)
"""Field order of `OrderFacts`, and the column order `OrderFacts.from_rows` expects."""


@dataclass(frozen=True, init=False, eq=False)
class OrderFacts:
    """Per-order facts for one scoring window (one row per order, all arrays the same length).

    Pass anything `numpy.asarray` accepts (arrays, lists, booleans, None for "does not
    apply"); the constructor converts to int64 / float64 arrays and validates, raising
    ValueError naming the column. Columns:

    - ``shop_id``, ``category_id``: the shop and the shop's category (one category per
      shop; a shop appearing under two categories is refused).
    - ``day_age``: whole days between the order's day and the score day, 0 = the score
      day itself; must be < `ScoreSettings.window_days` (checked when scoring).
    - ``quality_return``: 1 if the order was returned for a quality reason (品质退货).
    - ``product_negative_review``: 1 if the buyer's product rating was negative, 0 if it
      was not, NaN if the order has no review.
    - ``counterfeit_upheld``: 1 if a counterfeit claim on the order was upheld.
    - ``shipped_within_48h``: 1 if shipped within 48 h of payment, 0 if shipped later or
      still unshipped after 48 h, NaN while an unshipped order is still inside its 48 h.
    - ``delivery_hours``: hours from shipping to delivery; NaN until delivered.
    - ``logistics_negative_review``: like the product review, for the logistics rating.
    - ``first_reply_within_3min``: 1 if the shop first answered the buyer's first message
      within 3 minutes, 0 if later or never, NaN if the buyer never wrote.
    - ``refund_handling_hours``: hours from the refund request to the shop's decision (or
      the automatic one); NaN if no refund was requested.
    - ``dispute_lost``: 1 if a platform-arbitrated dispute on the order went against the
      merchant.
    - ``service_negative_review``: like the product review, for the service rating.

    ``quality_return``, ``counterfeit_upheld`` and ``dispute_lost`` may not be NaN.
    Treat the arrays as read-only: a score computed from them assumes they do not change.
    """

    shop_id: IntArray
    category_id: IntArray
    day_age: IntArray
    quality_return: FloatArray
    product_negative_review: FloatArray
    counterfeit_upheld: FloatArray
    shipped_within_48h: FloatArray
    delivery_hours: FloatArray
    logistics_negative_review: FloatArray
    first_reply_within_3min: FloatArray
    refund_handling_hours: FloatArray
    dispute_lost: FloatArray
    service_negative_review: FloatArray

    def __init__(
        self, *, shop_id: npt.ArrayLike, category_id: npt.ArrayLike, day_age: npt.ArrayLike,
        quality_return: npt.ArrayLike, product_negative_review: npt.ArrayLike, counterfeit_upheld: npt.ArrayLike,
        shipped_within_48h: npt.ArrayLike, delivery_hours: npt.ArrayLike, logistics_negative_review: npt.ArrayLike,
        first_reply_within_3min: npt.ArrayLike, refund_handling_hours: npt.ArrayLike, dispute_lost: npt.ArrayLike,
        service_negative_review: npt.ArrayLike,
    ) -> None:
        given = locals()  # the keyword arguments, by field name
        n: int | None = None
        for f in fields(self):
            raw = given[f.name]
            value = _ids(f.name, raw) if f.name in ID_COLUMNS else _floats(f.name, raw)
            if value.ndim != 1:
                raise ValueError(f"{f.name}: expected a 1-D column, got shape {value.shape}")
            if n is None:
                n = len(value)
            elif len(value) != n:
                raise ValueError(f"{f.name}: {len(value)} rows, but shop_id has {n}")
            object.__setattr__(self, f.name, value)
        if self.day_age.size and self.day_age.min() < 0:
            raise ValueError("day_age: must be ≥ 0 (days before the score day)")
        for name in FLAG_COLUMNS:
            column = getattr(self, name)
            if not np.all((column == 0) | (column == 1) | np.isnan(column)):
                raise ValueError(f"{name}: values must be 0, 1 or NaN (does not apply)")
        for name in HOURS_COLUMNS:
            column = getattr(self, name)
            if np.any(column < 0):  # NaN compares False, so "no value" passes
                raise ValueError(f"{name}: hours must be ≥ 0 or NaN")
        for name in ALWAYS_APPLICABLE:
            if np.isnan(getattr(self, name)).any():
                raise ValueError(f"{name}: applies to every order, so it may not be NaN")

    def __len__(self) -> int:
        return len(self.shop_id)

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]]) -> OrderFacts:
        """Build from row tuples in `FACT_COLUMNS` order, as a SQL cursor returns them.

        None becomes NaN and booleans become 0/1. One `numpy.array` call converts every
        row at once; ids pass through float64, which holds integers exactly up to 2**53.
        """
        table = np.array(list(rows), dtype=np.float64)
        if table.size == 0:
            table = table.reshape(0, len(FACT_COLUMNS))
        if table.ndim != 2 or table.shape[1] != len(FACT_COLUMNS):
            raise ValueError(f"rows: expected {len(FACT_COLUMNS)} values per row ({', '.join(FACT_COLUMNS)})")
        return cls(**{name: table[:, i] for i, name in enumerate(FACT_COLUMNS)})

    def select(self, mask: npt.ArrayLike) -> OrderFacts:
        """The rows where `mask` is true (e.g. one category, for an on-demand recompute)."""
        keep = np.asarray(mask)
        return OrderFacts(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})


def _ids(name: str, raw: Any) -> IntArray:
    value = np.asarray(raw)
    if value.dtype.kind in "iub":
        return value.astype(np.int64, copy=False)
    try:
        floats = value.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected whole numbers") from None
    if not np.all(np.isfinite(floats)) or np.any(floats != np.floor(floats)):
        raise ValueError(f"{name}: expected whole numbers")
    return floats.astype(np.int64)


def _floats(name: str, raw: Any) -> FloatArray:
    try:
        value = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers, booleans or None") from None
    if np.isinf(value).any():
        raise ValueError(f"{name}: infinite values are not facts")
    return value
