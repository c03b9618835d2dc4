"""What the trust domain says about an owner's traffic: a multiplier and an optional limit.

The trust issue (shop score bands, penalties) fills this in later. Until then every owner
gets `NeutralPolicy`: multiplier 1.0 and no limit. The feed never calls the policy while
ranking: `FeedIndex` copies the figures into per-owner arrays when an owner first appears
and again on `FeedIndex.refresh_policy(...)`, which whoever changes a band or a penalty
calls (e.g. a handler of the trust domain's events). A request therefore costs no Python
call per item, however the policy computes its answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

_MASK64 = (1 << 64) - 1
_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@runtime_checkable
class TrafficPolicy(Protocol):
    """Per-owner traffic rules, keyed by the owner's account id (creator or merchant)."""

    def multiplier(self, owner_id: int) -> float:
        """Scales the owner's items' scores (the shop score band); 1.0 is neutral, must be ≥ 0."""
        ...

    def limit(self, owner_id: int) -> float | None:
        """The fraction of its normal traffic the owner may get (限流), e.g. 0.3, or None."""
        ...


class NeutralPolicy:
    """No trust information yet: every owner ranks on merit alone."""

    def multiplier(self, owner_id: int) -> float:
        return 1.0

    def limit(self, owner_id: int) -> float | None:
        return None


class StaticPolicy:
    """A policy from two mappings; owners not mentioned are neutral (tests, the simulator)."""

    def __init__(self, multipliers: Mapping[int, float] | None = None,
                 limits: Mapping[int, float] | None = None) -> None:
        self.multipliers = dict(multipliers or {})
        self.limits = dict(limits or {})

    def multiplier(self, owner_id: int) -> float:
        return self.multipliers.get(owner_id, 1.0)

    def limit(self, owner_id: int) -> float | None:
        return self.limits.get(owner_id)


# ---- traffic limits: which viewers an owner limited to L is visible to -----------------------
#
# An owner limited to L is shown to a fraction L of viewers, drawn per (viewer, owner, day) by a
# seeded hash: stable for the day (a viewer cannot scroll the limit away) and the same in every
# process (Python's own str hash is salted per process, so it is not used).


def owner_keys(owner_ids: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    """Per-owner hash keys, computed once when the limited owners change."""
    return _splitmix64_array(np.asarray(owner_ids, dtype=np.int64).astype(np.uint64))


def visibility_draws(keys: npt.NDArray[np.uint64], viewer_id: Hashable, day: int,
                     seed: int) -> npt.NDArray[np.float64]:
    """One uniform draw in [0, 1) per owner key for this viewer and day: visible iff draw < L."""
    day_salt = _splitmix64(_splitmix64(seed & _MASK64) ^ (day & _MASK64))
    salt = _splitmix64(_viewer_hash(viewer_id) ^ day_salt)
    h = _splitmix64_array(keys ^ np.uint64(salt))
    return (h >> np.uint64(11)).astype(np.float64) * _UNIT


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _splitmix64_array(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _viewer_hash(viewer_id: Hashable) -> int:
    """A process-independent 64-bit hash (Python's str hash is salted per process)."""
    if isinstance(viewer_id, int):
        return viewer_id & _MASK64
    digest = hashlib.blake2b(repr(viewer_id).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")
