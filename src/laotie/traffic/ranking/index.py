"""The feed's candidate index: items and owners in numpy arrays by slot, kept current by events and policy."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from laotie.traffic.ranking.estimates import Estimate, Estimates, EventKind, ValueModel
from laotie.traffic.ranking.fairness import GainController
from laotie.traffic.ranking.memory import ViewerMemory
from laotie.traffic.ranking.pages import SOURCES, AdSource, ItemKey
from laotie.traffic.ranking.policy import NeutralPolicy, TrafficPolicy
from laotie.traffic.ranking.settings import FeedSettings

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
DAY_SECONDS = 86_400.0


@dataclass(slots=True)
class DayTotals:
    """Today's organic impressions, young owners' share of them and requests (`rerank` keeps them)."""

    organic: int = 0
    young: int = 0
    requests: int = 0


def timestamp(when: datetime) -> float:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return when.timestamp()


class CandidateIndex:
    """The arrays behind `FeedIndex`: candidates, owners, estimates, today's exposure and viewer
    memory, with the operations that build them (the ranking and exposure layers read and update them)."""

    def __init__(self, settings: FeedSettings | None = None, *, value_model: ValueModel | None = None,
                 policy: TrafficPolicy | None = None, ads: AdSource | None = None, seed: int = 0,
                 viewer_memory: int = 100, max_viewers: int = 200_000, capacity: int = 1024) -> None:
        self.settings = settings or FeedSettings()
        self.policy: TrafficPolicy = policy or NeutralPolicy()
        self.ads = ads
        self.seed = int(seed)
        self.estimates = Estimates(value_model, capacity)
        self.memory = ViewerMemory(viewer_memory, max_viewers)
        self.controller = GainController(boost=self.settings.fairness_initial_boost,
                                         gain=self.settings.fairness_gain,
                                         max_boost=self.settings.fairness_max_boost)
        cap = self.estimates.capacity
        # items, by slot
        self._slot_of: dict[ItemKey, int] = {}
        self._keys: list[ItemKey | None] = [None] * cap
        self._free: list[int] = []
        self._hi = 0  # slots in [0, _hi) have been used
        self._active = np.zeros(cap, dtype=bool)
        self._item_owner = np.zeros(cap, dtype=np.intp)
        self._official = np.zeros(cap, dtype=bool)
        self._goods = np.ones(cap)  # an item-level factor: 靠谱好货 (reliable goods) in its cart
        self._category = np.zeros(cap, dtype=np.intp)
        self._static = np.full(cap, -np.inf)  # base × trust × official; -inf when not a candidate
        self._fair = np.full(cap, -np.inf)  # _static × the owner's fairness boost
        # owners, by owner slot
        self._owner_slot: dict[int, int] = {}
        self._owner_id = np.zeros(16, dtype=np.int64)
        self._owner_created = np.zeros(16)
        self._owner_mult = np.ones(16)
        self._owner_limit = np.ones(16)  # 1.0 = not limited
        self._owner_limited = np.zeros(16, dtype=bool)
        self._owner_items = np.zeros(16, dtype=np.int64)
        self._exposure = np.zeros(16)  # organic impressions today
        self._by_source = np.zeros((16, len(SOURCES)), dtype=np.int64)
        self._target = np.zeros(16)
        self._inv_target = np.zeros(16)
        self._boost = np.ones(16)
        self._merit = np.zeros(16)
        self._n_owners = 0
        # derived caches
        self._stale = True  # candidates or policy changed: rebuild static scores and caches
        self._targets_stale = True  # must be recomputed before the next controller step
        self._merit_moved = False  # estimates moved since: recompute within rerank.TARGETS_EVERY requests
        self._targets_at = 0  # self._served when targets were last computed
        self._served = 0  # pages served by this index, all days
        self._fair_due = True
        self._static_official_boost = self.settings.official_boost
        self._young_at = -math.inf  # when young owners were last worked out (-inf: now)
        self._last_ts = -math.inf  # time of the last request
        self._young_item = np.zeros(cap, dtype=bool)
        self._young_slots = np.empty(0, dtype=np.intp)
        self._limited_slots = np.empty(0, dtype=np.intp)
        self._limited_owner_hash = np.empty(0, dtype=np.uint64)
        self._limited_threshold = np.empty(0)
        self.day: int | None = None
        self.totals = DayTotals()
        self.last_gini = 0.0

    # ---- candidates --------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    def candidates(self) -> list[ItemKey]:
        """Every candidate's key (to reconcile with the database)."""
        return list(self._slot_of)

    def slot_of(self, key: ItemKey) -> int | None:
        """The array slot of a candidate (for batch event recording), or None."""
        return self._slot_of.get(key)

    def key_at(self, slot: int) -> ItemKey | None:
        return self._keys[slot] if 0 <= slot < len(self._keys) else None

    def upsert(self, key: ItemKey, *, owner_id: int, owner_created_at: datetime, official: bool = False,
               category: int = 0, goods_boost: float = 1.0) -> int:
        """Add a candidate or update its owner, official tag or category; returns its slot.

        A new item starts with no history, so the estimates give it the catalogue prior.
        """
        if category < 0:
            raise ValueError("category must be a non-negative integer")
        owner = self._register_owner(int(owner_id), timestamp(owner_created_at))
        slot = self._slot_of.get(key)
        if slot is None:
            slot = self._free.pop() if self._free else self._allocate()
            self._slot_of[key] = slot
            self._keys[slot] = key
            self.estimates.start(slot)
            self._active[slot] = True
        else:
            self._owner_items[self._item_owner[slot]] -= 1
        self._owner_items[owner] += 1
        self._item_owner[slot] = owner
        self._official[slot] = bool(official)
        if not math.isfinite(goods_boost) or goods_boost <= 0:
            raise ValueError("goods_boost must be a positive number")
        self._goods[slot] = float(goods_boost)
        self._category[slot] = int(category)
        self._stale = True
        return slot

    def remove(self, key: ItemKey) -> bool:
        """Take a candidate out (a live room ended, a video was unpublished)."""
        slot = self._slot_of.pop(key, None)
        if slot is None:
            return False
        self._keys[slot] = None
        self._active[slot] = False
        self._owner_items[self._item_owner[slot]] -= 1
        self._static[slot] = self._fair[slot] = -np.inf
        self.estimates.stop(slot)
        self._free.append(slot)
        self._stale = True
        return True

    # ---- events ------------------------------------------------------------------------

    def record(self, kind: EventKind, key: ItemKey, value: float = 1.0) -> bool:
        """Count one event for a candidate (see `Estimates.record`); False if it is unknown."""
        slot = self._slot_of.get(key)
        if slot is None:
            return False
        self.estimates.record(kind, slot, value)
        return True

    def record_slots(self, kind: EventKind, slots: npt.ArrayLike, values: npt.ArrayLike = 1.0) -> None:
        """Count a batch of events by slot (`slot_of`), for high-volume consumers."""
        self.estimates.record_many(kind, slots, values)

    def load_counters(self, keys: Sequence[ItemKey], *, impressions: npt.ArrayLike = 0.0,
                      clicks: npt.ArrayLike = 0.0, watch_seconds: npt.ArrayLike = 0.0, orders: npt.ArrayLike = 0.0,
                      gmv_fen: npt.ArrayLike = 0.0) -> None:
        """Set candidates' counters from stored totals (process start); unknown keys are an error."""
        slots = [self._slot_of[key] for key in keys]
        self.estimates.load(slots, impressions=impressions, clicks=clicks, watch_seconds=watch_seconds,
                            orders=orders, gmv_fen=gmv_fen)

    def estimate(self, key: ItemKey) -> Estimate | None:
        slot = self._slot_of.get(key)
        if slot is None:
            return None
        self.estimates.flush()
        return self.estimates.estimate(slot)

    # ---- policy ------------------------------------------------------------------------

    def refresh_policy(self, owner_ids: Iterable[int] | None = None) -> None:
        """Re-read multipliers and limits from the policy (all owners, or those given)."""
        slots = (range(self._n_owners) if owner_ids is None
                 else [self._owner_slot[o] for o in owner_ids if o in self._owner_slot])
        for o in slots:
            self._read_policy(o)
        self._stale = True

    # ---- internals: storage ------------------------------------------------------------

    def _allocate(self) -> int:
        slot = self._hi
        if slot >= self.estimates.capacity:
            self._grow_items(2 * self.estimates.capacity)
        self._hi += 1
        return slot

    def _grow_items(self, capacity: int) -> None:
        extra = capacity - self.estimates.capacity
        self.estimates.grow(capacity)
        self._keys.extend([None] * extra)
        self._active = np.concatenate([self._active, np.zeros(extra, dtype=bool)])
        self._item_owner = np.concatenate([self._item_owner, np.zeros(extra, dtype=np.intp)])
        self._official = np.concatenate([self._official, np.zeros(extra, dtype=bool)])
        self._goods = np.concatenate([self._goods, np.ones(extra)])
        self._category = np.concatenate([self._category, np.zeros(extra, dtype=np.intp)])
        self._static = np.concatenate([self._static, np.full(extra, -np.inf)])
        self._fair = np.concatenate([self._fair, np.full(extra, -np.inf)])
        self._young_item = np.concatenate([self._young_item, np.zeros(extra, dtype=bool)])

    def _register_owner(self, owner_id: int, created_ts: float) -> int:
        o = self._owner_slot.get(owner_id)
        if o is not None:
            if self._owner_created[o] != created_ts:
                self._owner_created[o] = created_ts
                self._young_at = -math.inf
            return o
        o = self._n_owners
        if o >= self._owner_id.shape[0]:
            self._grow_owners(2 * self._owner_id.shape[0])
        self._n_owners += 1
        self._owner_slot[owner_id] = o
        self._owner_id[o] = owner_id
        self._owner_created[o] = created_ts
        self._read_policy(o)
        self._young_at = -math.inf
        return o

    def _grow_owners(self, capacity: int) -> None:
        extra = capacity - self._owner_id.shape[0]

        def grown(a: np.ndarray, fill: float | int | bool) -> np.ndarray:
            return np.concatenate([a, np.full((extra, *a.shape[1:]), fill, dtype=a.dtype)])

        self._owner_id = grown(self._owner_id, 0)
        self._owner_created = grown(self._owner_created, 0.0)
        self._owner_mult = grown(self._owner_mult, 1.0)
        self._owner_limit = grown(self._owner_limit, 1.0)
        self._owner_limited = grown(self._owner_limited, False)
        self._owner_items = grown(self._owner_items, 0)
        self._exposure = grown(self._exposure, 0.0)
        self._by_source = grown(self._by_source, 0)
        self._target = grown(self._target, 0.0)
        self._inv_target = grown(self._inv_target, 0.0)
        self._boost = grown(self._boost, 1.0)
        self._merit = grown(self._merit, 0.0)

    def _read_policy(self, o: int) -> None:
        owner_id = int(self._owner_id[o])
        mult = float(self.policy.multiplier(owner_id))
        limit = self.policy.limit(owner_id)
        if not math.isfinite(mult) or mult < 0:
            raise ValueError(f"trust multiplier of owner {owner_id} must be a finite number ≥ 0")
        if limit is not None and not 0.0 <= limit <= 1.0:
            raise ValueError(f"traffic limit of owner {owner_id} must be in [0, 1]")
        self._owner_mult[o] = mult
        self._owner_limited[o] = limit is not None
        self._owner_limit[o] = 1.0 if limit is None else float(limit)
