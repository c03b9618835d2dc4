"""Exposure fairness across owners: the Gini measure and a FairCo-style boost controller.

Left alone, a ranker by predicted value gives nearly all exposure to the few owners with
the highest merit (rich get richer: exposure brings the events that confirm the estimate).
Shuffling at random would spread exposure but throw away merit. Following FairCo (Morik,
Singh, Hong and Joachims, "Controlling Fairness and Bias in Dynamic Learning-to-Rank",
SIGIR 2020), the controller instead boosts each owner in proportion to how far its exposure
today falls short of an exposure *target derived from its merit*, so the under-exposed owners
with the most merit are lifted first and over-exposed owners are simply not lifted.

Three pieces, all deterministic:

* **Targets.** An owner's merit is the mean predicted value of its live candidates (after
  the trust multiplier). Exposure strictly proportional to merit inherits merit's own
  inequality: with Zipf-distributed merit its Gini is far above 0.6, so no controller could
  meet the goal by tracking it. The target share is therefore *tempered* merit,
  merit^α / Σ merit^α, with the largest α ∈ [0, 1] whose Gini is at most
  `gini_target − headroom` (`tempered_shares`). α = 1 is plain merit-proportional exposure
  (used whenever merit is already equal enough); smaller α flattens it just enough, and the
  order of owners by merit is always kept. A traffic-limited owner's target is scaled by its
  limit L, so fairness never undoes a penalty, and the controller's Gini counts its exposure
  ÷ L (the unlimited equivalent), so a limit does not shift the gain for everyone else.
* **Boost.** deficit = max(0, 1 − exposure / (target share × today's impressions)) ∈ [0, 1];
  the owner's items have their score multiplied by 1 + K × deficit. The multiplicative form
  keeps merit order among owners with the same deficit and usually places a lifted item
  below the page's strongest items, which is where it costs the least engagement.
* **Gain.** K is adapted by a proportional controller on the measured day Gini G against
  the target G*: log K ← log K + gain × (G − G*), clipped to [min_boost, max_boost]. More
  boost while exposure is too unequal, less once it is fair enough, so the loss of
  engagement is no larger than the goal needs. (Acting on log K makes the step size
  independent of K's scale, which spans several orders of magnitude.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def gini(values: npt.ArrayLike) -> float:
    """Gini coefficient of non-negative values (0 = all equal, → 1 = one holds everything).

    Every entry counts, zeros included: an owner that got no exposure is part of the
    inequality, not a missing observation.
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    n = x.size
    total = float(x.sum())
    if n == 0 or total <= 0.0:
        return 0.0
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * np.dot(ranks, x) / (n * total) - (n + 1.0) / n)


def _gini_sorted(x: FloatArray, weights: FloatArray) -> float:
    total = float(x.sum())
    if total <= 0.0:
        return 0.0
    n = x.size
    return float(2.0 * np.dot(weights, x) / (n * total) - (n + 1.0) / n)


def tempered_shares(merit: npt.ArrayLike, gini_goal: float, iterations: int = 30) -> tuple[FloatArray, float]:
    """Exposure shares ∝ merit^α for the largest α ∈ [0, 1] with Gini ≤ `gini_goal`.

    Returns (shares summing to 1 in the input order, α). Non-positive merit is treated as
    the smallest positive merit present, so every owner has a non-zero target.
    """
    m = np.asarray(merit, dtype=np.float64).ravel()
    if m.size == 0:
        return np.zeros(0), 1.0
    positive = m[m > 0]
    floor = float(positive.min()) if positive.size else 1.0
    logm = np.log(np.maximum(m, floor))
    order = np.argsort(logm, kind="stable")
    sorted_log = logm[order] - logm.max()  # ≤ 0, so exp never overflows
    ranks = np.arange(1, m.size + 1, dtype=np.float64)

    def gini_at(alpha: float) -> float:
        return _gini_sorted(np.exp(alpha * sorted_log), ranks)  # m^α keeps merit's order

    if gini_at(1.0) <= gini_goal:
        alpha = 1.0
    elif gini_goal <= 0.0:
        alpha = 0.0
    else:
        lo, hi = 0.0, 1.0
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            if gini_at(mid) <= gini_goal:
                lo = mid
            else:
                hi = mid
        alpha = lo
    weights = np.exp(alpha * (logm - logm.max()))
    return weights / weights.sum(), alpha


@dataclass(slots=True)
class GainController:
    """The adapted boost gain K (kept across days: yesterday's K is a good start for today)."""

    boost: float = 1.0
    gain: float = 0.5
    min_boost: float = 1e-3
    max_boost: float = 1e4

    def update(self, measured_gini: float, target_gini: float) -> float:
        """One control step on the measured day Gini; returns the new K."""
        log_k = np.log(self.boost) + self.gain * (measured_gini - target_gini)
        self.boost = float(np.clip(np.exp(log_k), self.min_boost, self.max_boost))
        return self.boost


def deficits(exposure: FloatArray, target_share: FloatArray, total: float) -> FloatArray:
    """Relative exposure shortfall per owner, in [0, 1] (1 = none of its target yet).

    An owner with a zero target (limited to 0) has no deficit.
    """
    if total <= 0:
        return np.where(target_share > 0.0, 1.0, 0.0)
    due = target_share * total
    ratio = np.divide(exposure, due, out=np.ones_like(due), where=due > 0.0)
    return np.maximum(1.0 - ratio, 0.0)
