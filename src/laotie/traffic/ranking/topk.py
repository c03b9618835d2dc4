"""Top-k selection over cost arrays: the indices of the k lowest costs, best first."""

from __future__ import annotations

import math

import numpy as np

from laotie.traffic.ranking.index import FloatArray, IntArray


def best(cost: FloatArray, k: int) -> IntArray:
    """Indices of the k lowest finite costs, lowest first (deterministic for equal input)."""
    n = cost.shape[0]
    if k <= 0 or n == 0:
        return np.empty(0, dtype=np.intp)
    idx = np.argpartition(cost, k - 1)[:k] if k < n else np.arange(n)
    idx = idx[np.argsort(cost[idx], kind="stable")]
    return idx[np.isfinite(cost[idx])]


def few_best(cost: FloatArray, k: int) -> IntArray:
    """`best` for a handful out of many (a cold-start top-up is one to three items): repeated
    argmin is several times cheaper than a partition. Overwrites `cost`."""
    if k > 8:
        return best(cost, k)
    picked: list[int] = []
    for _ in range(min(k, cost.shape[0])):
        i = int(cost.argmin())
        if not math.isfinite(cost[i]):
            break
        picked.append(i)
        cost[i] = np.inf
    return np.asarray(picked, dtype=np.intp)
