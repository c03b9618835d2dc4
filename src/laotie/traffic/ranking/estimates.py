"""Online, Bayesian-smoothed estimates of what one impression of an item is worth.

Every candidate item (a live room or a video) has five counters, held in numpy arrays by
slot so that the whole catalogue is scored in a few vector operations:

    impressions   times the item was served on a page
    clicks        times a viewer opened it (entered the room, started the video)
    watch         seconds watched after those clicks
    orders        orders placed from it
    gmv           their value in fen (integer minor units, summed as float64)

Raw ratios would give a new item a value of zero (0 clicks / 0 impressions), so it could
never be shown and never learn. Each ratio is therefore the posterior mean under a
conjugate prior centred on the catalogue-wide mean, with a strength counted in
pseudo-observations (`ValueModel.prior_*`):

    pCTR   = (clicks + s_i·μ_ctr)   / (impressions + s_i)      Beta–Binomial
    watch  = (watch  + s_c·μ_watch) / (clicks + s_c)           Gamma–Poisson, seconds per click
    pCVR   = (orders + s_c·μ_cvr)   / (clicks + s_c)           Beta–Binomial, orders per click
    AOV    = (gmv    + s_o·μ_aov)   / (orders + s_o)           Gamma–Poisson, fen per order

An item with no history gets exactly the catalogue means; as its own evidence grows it
outweighs the prior. The catalogue means themselves are smoothed towards
`ValueModel.default_*` the same way, so an empty catalogue is well defined.

Predicted value of one impression, in points (one point = one second watched):

    value = pCTR × (watch_weight × watch + gmv_weight × pCVR × AOV)

`gmv_weight` says how many points one fen of GMV is worth against a second of watching;
the default 0.1 makes a ¥1 purchase worth ten seconds of attention.

The catalogue means move with every event, but re-scoring every item on every event would
cost O(items) per event. Means are refreshed every `refresh_priors_every` events (and on
`refresh_priors()`); between refreshes only the items that had events are re-scored.
Identical event sequences give bit-identical values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

EventKind = Literal["impression", "click", "watch", "order"]
EVENT_KINDS: tuple[EventKind, ...] = ("impression", "click", "watch", "order")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class ValueModel:
    """How predicted value is built from the counters, and how strongly the prior holds."""

    prior_impressions: float = 200.0  # CTR prior strength, in impressions
    prior_clicks: float = 20.0  # watch-time and CVR prior strength, in clicks
    prior_orders: float = 5.0  # order-value prior strength, in orders
    default_ctr: float = 0.05
    default_watch_seconds: float = 30.0
    default_cvr: float = 0.02
    default_order_value_fen: float = 5_000.0
    watch_weight: float = 1.0  # points per second watched
    gmv_weight: float = 0.1  # points per fen of GMV
    refresh_priors_every: int = 10_000  # events between refreshes of the catalogue means

    def __post_init__(self) -> None:
        for name in ("prior_impressions", "prior_clicks", "prior_orders"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive: a zero prior zeroes out new items")
        if not 0.0 < self.default_ctr < 1.0 or not 0.0 <= self.default_cvr <= 1.0:
            raise ValueError("default_ctr must be in (0, 1) and default_cvr in [0, 1]")
        if self.refresh_priors_every < 1:
            raise ValueError("refresh_priors_every must be at least 1")


@dataclass(frozen=True, slots=True)
class Priors:
    """The catalogue-wide means every item is smoothed towards."""

    ctr: float
    watch_seconds: float
    cvr: float
    order_value_fen: float


@dataclass(frozen=True, slots=True)
class Estimate:
    """One item's smoothed estimates and the value they give (for explanations)."""

    impressions: float
    clicks: float
    pctr: float
    watch_seconds: float
    pcvr: float
    order_value_fen: float
    value: float


class Estimates:
    """Per-slot counters and smoothed estimates; the owner of the arrays maps keys to slots."""

    def __init__(self, model: ValueModel | None = None, capacity: int = 1024) -> None:
        self.model = model or ValueModel()
        capacity = max(int(capacity), 1)
        self.impressions = np.zeros(capacity)
        self.clicks = np.zeros(capacity)
        self.watch = np.zeros(capacity)
        self.orders = np.zeros(capacity)
        self.gmv = np.zeros(capacity)
        self.in_use = np.zeros(capacity, dtype=bool)
        # Smoothed estimates, valid for every slot in use once `flush()` has run.
        self.pctr = np.zeros(capacity)
        self.watch_seconds = np.zeros(capacity)
        self.pcvr = np.zeros(capacity)
        self.order_value = np.zeros(capacity)
        self.value = np.zeros(capacity)
        self._dirty = np.zeros(capacity, dtype=bool)
        self._any_dirty = False
        self._all_dirty = True
        self._events_since_refresh = 0
        self.priors = self._catalogue_priors()

    @property
    def capacity(self) -> int:
        return int(self.impressions.shape[0])

    def grow(self, capacity: int) -> None:
        """Make room for at least `capacity` slots, keeping every counter."""
        if capacity <= self.capacity:
            return
        extra = capacity - self.capacity
        for name in ("impressions", "clicks", "watch", "orders", "gmv", "pctr", "watch_seconds",
                     "pcvr", "order_value", "value"):
            setattr(self, name, np.concatenate([getattr(self, name), np.zeros(extra)]))
        self.in_use = np.concatenate([self.in_use, np.zeros(extra, dtype=bool)])
        self._dirty = np.concatenate([self._dirty, np.zeros(extra, dtype=bool)])

    def start(self, slot: int) -> None:
        """A new item takes `slot`: no history, so it is valued at the catalogue prior."""
        self.impressions[slot] = self.clicks[slot] = self.watch[slot] = 0.0
        self.orders[slot] = self.gmv[slot] = 0.0
        self.in_use[slot] = True
        self._mark(slot)

    def stop(self, slot: int) -> None:
        """The item in `slot` left the catalogue; its history stops counting towards the means."""
        self.in_use[slot] = False
        self.impressions[slot] = self.clicks[slot] = self.watch[slot] = 0.0
        self.orders[slot] = self.gmv[slot] = 0.0
        self.value[slot] = 0.0

    def record(self, kind: EventKind, slot: int, value: float = 1.0) -> None:
        """Count one event: `value` is a count for impressions and clicks, seconds for
        watch, and the order's GMV in fen for an order (which also counts one order)."""
        if kind == "impression":
            self.impressions[slot] += value
        elif kind == "click":
            self.clicks[slot] += value
        elif kind == "watch":
            self.watch[slot] += value
        elif kind == "order":
            self.orders[slot] += 1.0
            self.gmv[slot] += value
        else:
            raise ValueError(f"unknown event kind {kind!r}")
        self._mark(slot)
        self._count_events(1)

    def record_many(self, kind: EventKind, slots: npt.ArrayLike, values: npt.ArrayLike = 1.0) -> None:
        """Count a batch of events of one kind, in order (same meaning of `values` as `record`)."""
        idx = np.asarray(slots, dtype=np.intp).ravel()
        if idx.size == 0:
            return
        vals = np.broadcast_to(np.asarray(values, dtype=np.float64), idx.shape)
        if kind == "impression":
            np.add.at(self.impressions, idx, vals)
        elif kind == "click":
            np.add.at(self.clicks, idx, vals)
        elif kind == "watch":
            np.add.at(self.watch, idx, vals)
        elif kind == "order":
            np.add.at(self.orders, idx, 1.0)
            np.add.at(self.gmv, idx, vals)
        else:
            raise ValueError(f"unknown event kind {kind!r}")
        self._dirty[idx] = True
        self._any_dirty = True
        self._count_events(int(idx.size))

    def load(self, slots: npt.ArrayLike, *, impressions: npt.ArrayLike = 0.0, clicks: npt.ArrayLike = 0.0,
             watch_seconds: npt.ArrayLike = 0.0, orders: npt.ArrayLike = 0.0, gmv_fen: npt.ArrayLike = 0.0) -> None:
        """Set counters outright, e.g. from stored totals when a process starts (re-scores all)."""
        idx = np.asarray(slots, dtype=np.intp).ravel()
        for array, values in ((self.impressions, impressions), (self.clicks, clicks), (self.watch, watch_seconds),
                              (self.orders, orders), (self.gmv, gmv_fen)):
            array[idx] = np.broadcast_to(np.asarray(values, dtype=np.float64), idx.shape)
        self.refresh_priors()

    def refresh_priors(self) -> None:
        """Re-centre every item on the current catalogue means (re-scores everything)."""
        self.priors = self._catalogue_priors()
        self._all_dirty = True
        self._events_since_refresh = 0

    def flush(self) -> IntArray | None:
        """Bring the smoothed estimates up to date.

        Returns the slots whose value changed, or None when every slot was re-scored.
        """
        if self._all_dirty:
            self._all_dirty = False
            self._any_dirty = False
            self._dirty[:] = False
            self._score(slice(None))
            return None
        if not self._any_dirty:
            return np.empty(0, dtype=np.intp)
        changed = np.flatnonzero(self._dirty)
        self._dirty[changed] = False
        self._any_dirty = False
        self._score(changed)
        return changed

    def estimate(self, slot: int) -> Estimate:
        """One slot's counters and estimates (flush first for current figures)."""
        return Estimate(
            impressions=float(self.impressions[slot]), clicks=float(self.clicks[slot]),
            pctr=float(self.pctr[slot]), watch_seconds=float(self.watch_seconds[slot]),
            pcvr=float(self.pcvr[slot]), order_value_fen=float(self.order_value[slot]),
            value=float(self.value[slot]))

    # ---- internals ---------------------------------------------------------------------

    def _mark(self, slot: int) -> None:
        self._dirty[slot] = True
        self._any_dirty = True

    def _count_events(self, n: int) -> None:
        self._events_since_refresh += n
        if self._events_since_refresh >= self.model.refresh_priors_every:
            self.refresh_priors()

    def _catalogue_priors(self) -> Priors:
        m = self.model
        used = self.in_use
        n, c = float(self.impressions[used].sum()), float(self.clicks[used].sum())
        w, o, g = float(self.watch[used].sum()), float(self.orders[used].sum()), float(self.gmv[used].sum())
        return Priors(
            ctr=(c + m.prior_impressions * m.default_ctr) / (n + m.prior_impressions),
            watch_seconds=(w + m.prior_clicks * m.default_watch_seconds) / (c + m.prior_clicks),
            cvr=(o + m.prior_clicks * m.default_cvr) / (c + m.prior_clicks),
            order_value_fen=(g + m.prior_orders * m.default_order_value_fen) / (o + m.prior_orders),
        )

    def _score(self, at: slice | IntArray) -> None:
        m, p = self.model, self.priors
        clicks = self.clicks[at]
        pctr = np.minimum(
            (clicks + m.prior_impressions * p.ctr) / (self.impressions[at] + m.prior_impressions), 1.0)
        watch = (self.watch[at] + m.prior_clicks * p.watch_seconds) / (clicks + m.prior_clicks)
        pcvr = (self.orders[at] + m.prior_clicks * p.cvr) / (clicks + m.prior_clicks)
        aov = (self.gmv[at] + m.prior_orders * p.order_value_fen) / (self.orders[at] + m.prior_orders)
        value = pctr * (m.watch_weight * watch + m.gmv_weight * pcvr * aov)
        self.pctr[at] = pctr
        self.watch_seconds[at] = watch
        self.pcvr[at] = pcvr
        self.order_value[at] = aov
        self.value[at] = np.where(self.in_use[at], value, 0.0)
