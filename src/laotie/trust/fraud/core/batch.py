"""The detector's input: a columnar batch of orders, one numpy array per field."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray


class InvalidOrderBatch(ValueError):
    """The batch cannot be analysed: empty, ragged, wrong shape or impossible values.

    A ValueError so callers that only know the standard library still catch it; the message
    names the offending column so a loader bug is found at the boundary, not deep in scipy.
    """


class OrderBatch:
    """Orders as parallel columns (struct of arrays), all of the same length.

    One entry per paid order. Columnar because the detector works on whole columns with numpy,
    and because a SELECT returns rows that turn into columns with one pass (`from_rows`).

    Conventions (what the database layer must supply):

    - ``order_id``, ``buyer_id``, ``shop_id``, ``product_id``: integer ids; order ids unique.
    - ``creator_id``: the creator (达人) whose live room or video sold the order; ``0`` or a
      negative value when the order had no creator.
    - ``amount``: what the buyer paid, integer fen (¥1 = 100).
    - ``created_at``: order time, epoch seconds (UTC).
    - ``confirm_delay``: seconds from ``created_at`` to receipt confirmation (确认收货), by the
      buyer or automatically; ``NaN`` when not (yet) confirmed.
    - ``buyer_created_at``: the buyer account's registration time, epoch seconds.
    - ``address_fp``, ``device_fp``: a 64-bit hash of the normalised shipping address and of
      the ordering device's fingerprint; ``0`` when unknown. Only equality is used, so any
      stable hash works (e.g. the first 8 bytes of a BLAKE2b digest as a signed int64).
    - ``review_stars``: 1-5, or ``0`` when the order has no review.
    - ``review_chars``: the review text's length in characters (0 without text or review).

    The constructor takes anything array-like (lists, numpy arrays of any numeric dtype) and
    stores contiguous int64 / float64 arrays, after checking them: a loader bug fails here
    with `InvalidOrderBatch` naming the column, not later inside scipy. Treat it as immutable.
    """

    FIELDS: ClassVar[tuple[str, ...]] = (
        "order_id", "buyer_id", "shop_id", "creator_id", "product_id", "amount", "created_at",
        "confirm_delay", "buyer_created_at", "address_fp", "device_fp", "review_stars", "review_chars",
    )
    _FLOAT: ClassVar[frozenset[str]] = frozenset({"created_at", "confirm_delay", "buyer_created_at"})
    # Where a SQL NULL (None) may appear in `from_rows`, and what it becomes.
    _NULLS: ClassVar[dict[str, float]] = {
        "creator_id": 0, "confirm_delay": math.nan, "address_fp": 0, "device_fp": 0,
        "review_stars": 0, "review_chars": 0,
    }
    __slots__ = FIELDS

    order_id: NDArray[np.int64]
    buyer_id: NDArray[np.int64]
    shop_id: NDArray[np.int64]
    creator_id: NDArray[np.int64]
    product_id: NDArray[np.int64]
    amount: NDArray[np.int64]
    created_at: NDArray[np.float64]
    confirm_delay: NDArray[np.float64]
    buyer_created_at: NDArray[np.float64]
    address_fp: NDArray[np.int64]
    device_fp: NDArray[np.int64]
    review_stars: NDArray[np.int64]
    review_chars: NDArray[np.int64]

    def __init__(self, *, order_id: ArrayLike, buyer_id: ArrayLike, shop_id: ArrayLike, creator_id: ArrayLike,
                 product_id: ArrayLike, amount: ArrayLike, created_at: ArrayLike, confirm_delay: ArrayLike,
                 buyer_created_at: ArrayLike, address_fp: ArrayLike, device_fp: ArrayLike, review_stars: ArrayLike,
                 review_chars: ArrayLike) -> None:
        given = dict(order_id=order_id, buyer_id=buyer_id, shop_id=shop_id, creator_id=creator_id,
                     product_id=product_id, amount=amount, created_at=created_at, confirm_delay=confirm_delay,
                     buyer_created_at=buyer_created_at, address_fp=address_fp, device_fp=device_fp,
                     review_stars=review_stars, review_chars=review_chars)
        for name in self.FIELDS:
            object.__setattr__(self, name, _column(name, given[name], floating=name in self._FLOAT))
        lengths = {name: len(getattr(self, name)) for name in self.FIELDS}
        if len(set(lengths.values())) != 1:
            raise InvalidOrderBatch(f"columns differ in length: {lengths}")
        if len(self) == 0:
            raise InvalidOrderBatch("the batch has no orders")
        for name in ("created_at", "buyer_created_at"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise InvalidOrderBatch(f"column {name!r} has NaN or infinite values")
        if np.any(np.isinf(self.confirm_delay)):
            raise InvalidOrderBatch("column 'confirm_delay' has infinite values (use NaN for not confirmed)")
        if np.any(self.amount < 0):
            raise InvalidOrderBatch("column 'amount' has negative values")
        if np.any(self.confirm_delay < 0):
            raise InvalidOrderBatch("column 'confirm_delay' has negative values (confirmed before ordering)")
        if np.any((self.review_stars < 0) | (self.review_stars > 5)):
            raise InvalidOrderBatch("column 'review_stars' must be 0 (no review) or 1-5")
        if np.any(self.review_chars < 0):
            raise InvalidOrderBatch("column 'review_chars' has negative values")
        if len(np.unique(self.order_id)) != len(self):
            raise InvalidOrderBatch("column 'order_id' has duplicate ids")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("an OrderBatch is immutable; build a new one (e.g. with `take`)")

    def __repr__(self) -> str:
        return f"OrderBatch({len(self)} orders)"

    def __len__(self) -> int:
        return len(self.order_id)

    @classmethod
    def from_columns(cls, columns: Mapping[str, ArrayLike]) -> OrderBatch:
        """Build from a mapping of column name to array; names must be exactly `FIELDS`."""
        missing = [name for name in cls.FIELDS if name not in columns]
        extra = [name for name in columns if name not in cls.FIELDS]
        if missing or extra:
            raise InvalidOrderBatch(f"columns missing: {missing}, unknown: {extra}")
        return cls(**{name: columns[name] for name in cls.FIELDS})

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]]) -> OrderBatch:
        """Build from rows whose values come in `FIELDS` order, e.g. ``session.execute(...).all()``.

        SQL NULL (None) is accepted where a field has a "none" value (creator 0, delay NaN, no
        fingerprint 0, no review 0). ``created_at`` and ``buyer_created_at`` may be datetimes:
        aware ones are converted exactly, naive ones are taken as UTC (the house stores UTC).
        """
        materialised = list(rows)
        if not materialised:
            raise InvalidOrderBatch("the batch has no orders")
        width = len(cls.FIELDS)
        for number, row in enumerate(materialised):
            if len(row) != width:
                raise InvalidOrderBatch(f"row {number} has {len(row)} values, expected {width} ({cls.FIELDS})")
        columns: dict[str, ArrayLike] = {}
        for name, values in zip(cls.FIELDS, zip(*materialised, strict=True), strict=True):
            # Per-value Python work only for columns that need it; the rest is numpy's conversion
            # (about 2.5 s for a million rows in all).
            null = cls._NULLS.get(name)
            if name in cls._FLOAT and name != "confirm_delay" and (
                    isinstance(values[0], datetime) or None in values):
                columns[name] = [_epoch(value, name) for value in values]
            elif None in values:
                if null is None:
                    raise InvalidOrderBatch(f"column {name!r} has NULL values")
                columns[name] = [null if value is None else value for value in values]
            else:
                columns[name] = values
        return cls.from_columns(columns)

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_]) -> OrderBatch:
        """A batch of the selected orders (indices or boolean mask), e.g. one time window."""
        return OrderBatch(**{name: getattr(self, name)[index] for name in self.FIELDS})


def _column(name: str, value: ArrayLike, *, floating: bool) -> NDArray[Any]:
    """One column as a contiguous 1-D int64 or float64 array, or a clear error."""
    try:
        raw = np.asarray(value)
        if raw.dtype.kind not in "biuf":
            raise InvalidOrderBatch(f"column {name!r} is not numeric (dtype {raw.dtype})")
        if not floating and raw.dtype.kind == "f":
            # Ids and fen from a float column: only whole, finite numbers are taken as integers.
            if not np.all(np.isfinite(raw)):
                raise InvalidOrderBatch(f"column {name!r} has NaN or infinite values")
            if not np.all(raw == np.round(raw)):
                raise InvalidOrderBatch(f"column {name!r} must hold whole numbers")
        array = np.ascontiguousarray(raw, dtype=np.float64 if floating else np.int64)
    except InvalidOrderBatch:
        raise
    except (TypeError, ValueError, OverflowError) as exc:  # ragged lists, None, huge ints
        raise InvalidOrderBatch(f"column {name!r} is not numeric: {exc}") from exc
    if array.ndim != 1:
        raise InvalidOrderBatch(f"column {name!r} must be one-dimensional, got shape {array.shape}")
    return array


def _epoch(value: Any, name: str) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    if value is None:
        raise InvalidOrderBatch(f"column {name!r} has NULL values")
    return float(value)

