"""The discovery feed's ranker: candidates in arrays, one page per request, explained.

`FeedIndex` holds every candidate (a live room or a video) in numpy arrays by slot, the
owners (creator or merchant accounts) in arrays by owner slot, the online estimates
(`estimates.Estimates`), today's exposure per owner and each viewer's recently served items
(`memory.ViewerMemory`). It knows nothing of the database: the traffic service loads the
candidates, feeds it the events, calls `rank(...)` and logs the page it returns.

One request, `rank(viewer_id, k, now)`:

1. **Base value** of every item, from the smoothed estimates (`estimates` module docstring),
   times the owner's **trust multiplier** and, for official items (官方打标), the
   `official_boost`. Kept as one cached array; only items with new events are re-scored.
2. **Fairness** (on by default): times 1 + K × the owner's exposure deficit (`fairness`).
3. Optional per-category **affinity** of this viewer (supplied by the caller).
4. Excluded: items the viewer was served recently; items of **traffic-limited** owners for
   the viewers outside the owner's visible fraction (below); items placed in ad slots.
5. Top k by score (`np.argpartition`, no Python loop over items).
6. **Cold start** (on by default): if young owners' share of today's impressions would fall
   below `cold_start_share`, the weakest non-young items of the page give way to the best
   young items the viewer has not seen (source "cold_start").
7. The page is ordered by score *without* the fairness boost: fairness and cold start
   decide which items get an impression today, and the viewer sees them in order of their
   value to him, so a lifted item does not push a better one down the screen. (Exposure is
   counted in impressions; the order within a page changes attention, not impressions.)
   Positions (1-based) in `ad_positions` carry the `AdSource`'s item if it has one, else the
   organic item there ("ad_slot_organic").
8. Serving counts the page into today's exposure (what the controllers see) and into the
   viewer's memory. It does not count impressions into the estimates: that is an event
   the caller records (`record("impression", key)`) when the page is actually delivered.

**Traffic limits.** An owner limited to L (e.g. 0.3) is visible to a fraction L of viewers,
chosen per day by a seeded hash of (viewer, owner, day): for the rest its items are excluded.
Every request from a viewer in the visible fraction ranks the owner exactly as if unlimited,
so the owner gets about L × the impressions it would get unlimited, whatever its position,
and a viewer scrolling page after page cannot wear the limit down (a per-request coin flip
would let a top item through on the viewer's next page). The fairness controller sees a
limited owner as if unlimited: its target is scaled by L (so fairness does not undo the
limit) and its exposure counts ÷ L in the controller's Gini (so limiting a top owner does not
make the controller ease off for everyone else, which would hand the owner back some traffic).

**Determinism.** No wall clock, no unseeded randomness, no iteration over unordered sets:
the same seed, candidates, event log and sequence of requests give identical pages.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from laotie.traffic.ranking.estimates import Estimate, Estimates, EventKind, ValueModel
from laotie.traffic.ranking.fairness import GainController, deficits, gini, tempered_shares
from laotie.traffic.ranking.memory import ViewerMemory
from laotie.traffic.ranking.pages import (
    ORGANIC_SOURCES,
    SOURCES,
    AdSource,
    ItemKey,
    OwnerTraffic,
    Page,
    ScoreComponents,
    ServedEntry,
    Source,
)
from laotie.traffic.ranking.policy import NeutralPolicy, TrafficPolicy, owner_keys, visibility_draws
from laotie.traffic.ranking.settings import FeedSettings

_SOURCE_INDEX = {s: i for i, s in enumerate(SOURCES)}
_DISCOVERY, _COLD_START, _AD, _AD_SLOT_ORGANIC = (_SOURCE_INDEX[s] for s in ("discovery", "cold_start", "ad",
                                                                             "ad_slot_organic"))
# Sources whose impressions the fairness controller and the cold-start share count: the
# feed's organic traffic. Paid ads and following-feed impressions are reported, not balanced.
_ORGANIC = np.array([s in ORGANIC_SOURCES for s in SOURCES])

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
DAY_SECONDS = 86_400.0
# Merit moves slowly (estimates of established items change little per event), so the fairness
# targets follow event-driven drift every this many requests, and candidate or policy changes
# at once.
TARGETS_EVERY = 256


@dataclass(slots=True)
class _DayTotals:
    organic: int = 0
    young: int = 0
    requests: int = 0


def _timestamp(when: datetime) -> float:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return when.timestamp()


def _best(cost: FloatArray, k: int) -> IntArray:
    """Indices of the k lowest finite costs, lowest first (deterministic for equal input)."""
    n = cost.shape[0]
    if k <= 0 or n == 0:
        return np.empty(0, dtype=np.intp)
    idx = np.argpartition(cost, k - 1)[:k] if k < n else np.arange(n)
    idx = idx[np.argsort(cost[idx], kind="stable")]
    return idx[np.isfinite(cost[idx])]


def _few_best(cost: FloatArray, k: int) -> IntArray:
    """`_best` for a handful out of many (a cold-start top-up is one to three items): repeated
    argmin is several times cheaper than a partition. Overwrites `cost`."""
    if k > 8:
        return _best(cost, k)
    picked: list[int] = []
    for _ in range(min(k, cost.shape[0])):
        i = int(cost.argmin())
        if not math.isfinite(cost[i]):
            break
        picked.append(i)
        cost[i] = np.inf
    return np.asarray(picked, dtype=np.intp)


class FeedIndex:
    """Candidates, estimates, exposure and viewer memory for one discovery feed (not thread-safe:
    one index per process, called from one thread or under a lock)."""

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
        self._merit_moved = False  # estimates moved since: recompute within TARGETS_EVERY requests
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
        self.totals = _DayTotals()
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
        owner = self._register_owner(int(owner_id), _timestamp(owner_created_at))
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

    # ---- serving -----------------------------------------------------------------------

    def rank(self, viewer_id: Hashable, k: int, now: datetime, *, settings: FeedSettings | None = None,
             affinity: npt.ArrayLike | None = None) -> Page:
        """Serve one page of at most k items to `viewer_id` and count it into today's exposure.

        `settings` overrides the index's settings for this request (the value model stays the
        index's). `affinity`, if given, is a positive multiplier per category for this viewer.
        """
        st = settings or self.settings
        if k < 1:
            raise ValueError("k must be at least 1")
        ts = _timestamp(now)
        day = math.floor((ts + st.day_offset_hours * 3600.0) / DAY_SECONDS)
        if day != self.day:
            self.start_day(day)
        self._last_ts = ts
        self._prepare(st, ts)
        n = self._hi
        source = self._fair if st.fairness else self._static
        aff: FloatArray | None = None
        if affinity is None:
            cost = np.negative(source[:n])
        else:
            aff = self._affinity_per_item(affinity, n)
            cost = source[:n] * aff
            np.negative(cost, out=cost)
        # Exclusions: not visible under a limit, recently served, placed as an ad.
        if self._limited_slots.size:
            cost[self._hidden_slots(viewer_id, day)] = np.inf
        seen = self.memory.seen(viewer_id)
        if seen.size:
            cost[seen[seen < n]] = np.inf
        ads = self._ads_for(viewer_id, k, now, st)
        if ads:
            cost[list(ads.values())] = np.inf
        page = _best(cost, k - len(ads))
        cold = np.empty(0, dtype=np.intp)
        if st.cold_start and self._young_slots.size:
            page, cold = self._reserve_cold_start(st, cost, page, k - len(ads))
        if cold.size:
            page = np.concatenate([page, cold])
        if cold.size or st.fairness:
            # Fairness and cold start decide which items make the page; the viewer sees them
            # in order of their value to him (the score without the fairness boost).
            value = self._static[page] if aff is None else self._static[page] * aff[page]
            page = page[np.argsort(-value, kind="stable")]
        return self._serve(viewer_id, now, day, st, page, cold, ads, aff)

    def start_day(self, day: int) -> None:
        """Reset today's exposure (called by `rank` when the day changes). K carries over."""
        self.day = day
        self._exposure[:] = 0.0
        self._by_source[:] = 0
        self.totals = _DayTotals()
        self._fair_due = True

    def count_impressions(self, owner_id: int, source: Source, count: int = 1) -> None:
        """Count impressions served elsewhere (e.g. the following feed) into the owner's report.

        They are reported only: fairness and cold start balance the discovery feed's own traffic.
        """
        o = self._owner_slot.get(owner_id)
        if o is not None:
            self._by_source[o, _SOURCE_INDEX[source]] += count

    # ---- explanations ------------------------------------------------------------------

    def owner_traffic(self, owner_id: int, now: datetime | None = None) -> OwnerTraffic | None:
        """Today's traffic of an owner with every multiplier and limit acting on it.

        `now` decides whether the owner is still in cold start (default: the last request's time).
        """
        o = self._owner_slot.get(owner_id)
        if o is None:
            return None
        ts = _timestamp(now) if now is not None else self._last_ts
        if self._stale or self._targets_stale:
            self._prepare(self.settings, ts if math.isfinite(ts) else 0.0)
            self._refresh_targets(self.settings)
        young = math.isfinite(ts) and (ts - self._owner_created[o]) < self.settings.cold_start_days * DAY_SECONDS
        counts = {s: int(self._by_source[o, i]) for i, s in enumerate(SOURCES)}
        organic = int(self._exposure[o])
        return OwnerTraffic(
            owner_id=owner_id, day=self.day if self.day is not None else 0, impressions=counts,
            organic_impressions=organic,
            organic_share=organic / self.totals.organic if self.totals.organic else 0.0,
            merit=float(self._merit[o]), target_share=float(self._target[o]),
            fairness_boost=float(self._boost[o]), trust_multiplier=float(self._owner_mult[o]),
            limit=float(self._owner_limit[o]) if self._owner_limited[o] else None,
            cold_start=bool(young), candidates=int(self._owner_items[o]))

    def exposure_gini(self) -> float:
        """Gini of today's organic impressions across owners with candidates (zeros included)."""
        m = self._n_owners
        eligible = (self._owner_items[:m] > 0) | (self._exposure[:m] > 0)
        return gini(self._exposure[:m][eligible])

    def owner_exposure(self) -> dict[int, int]:
        """Today's organic impressions per owner id (owners with candidates, zeros included)."""
        m = self._n_owners
        eligible = (self._owner_items[:m] > 0) | (self._exposure[:m] > 0)
        return {int(i): int(e) for i, e in zip(self._owner_id[:m][eligible], self._exposure[:m][eligible],
                                                strict=True)}

    @property
    def fairness_gain_k(self) -> float:
        """The controller's current boost gain K."""
        return self.controller.boost

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

    # ---- internals: per request --------------------------------------------------------

    def _prepare(self, st: FeedSettings, ts: float) -> None:
        """Bring cached scores and caches up to date before ranking."""
        n = self._hi
        changed = self.estimates.flush()
        if changed is None or self._stale or st.official_boost != self._static_official_boost:
            self._static_official_boost = st.official_boost
            items = slice(0, n)
            official = np.where(self._official[items], st.official_boost, 1.0)
            static = (self.estimates.value[items] * self._owner_mult[self._item_owner[items]] * official
                      * self._goods[items])
            self._static[items] = np.where(self._active[items], static, -np.inf)
            self._targets_stale = True
            self._fair_due = True
            if self._stale:
                self._rebuild_limited()
                self._young_at = -math.inf
                self._stale = False
        elif changed.size:
            changed = changed[self._active[changed]]
            official = np.where(self._official[changed], st.official_boost, 1.0)
            self._static[changed] = (self.estimates.value[changed]
                                     * self._owner_mult[self._item_owner[changed]] * official * self._goods[changed])
            if st.fairness and not self._fair_due:
                self._fair[changed] = self._static[changed] * self._boost[self._item_owner[changed]]
            self._merit_moved = True
        if ts - self._young_at >= 60.0:  # ages move slowly: re-check them once a minute
            self._refresh_young(st, ts)
        if not st.fairness:
            self._fair_due = True  # not maintained meanwhile: rebuild when fairness is back on
        else:
            step = self.totals.requests % st.fairness_refresh_every == 0
            if step or self._fair_due:
                self._refresh_fairness(st, control=step)

    def _refresh_young(self, st: FeedSettings, ts: float) -> None:
        m, n = self._n_owners, self._hi
        young_owner = (ts - self._owner_created[:m]) < st.cold_start_days * DAY_SECONDS
        self._young_item[:n] = self._active[:n] & young_owner[self._item_owner[:n]]
        self._young_slots = np.flatnonzero(self._young_item[:n])
        self._young_at = ts

    def _rebuild_limited(self) -> None:
        n = self._hi
        slots = np.flatnonzero(self._active[:n] & self._owner_limited[self._item_owner[:n]])
        owners = self._item_owner[slots]
        self._limited_slots = slots
        self._limited_owner_hash = owner_keys(self._owner_id[owners])
        self._limited_threshold = self._owner_limit[owners]

    def _hidden_slots(self, viewer_id: Hashable, day: int) -> IntArray:
        """Items of limited owners this viewer is outside the visible fraction of, today."""
        u = visibility_draws(self._limited_owner_hash, viewer_id, day, self.seed)
        return self._limited_slots[u >= self._limited_threshold]

    def _affinity_per_item(self, affinity: npt.ArrayLike, n: int) -> FloatArray:
        a = np.asarray(affinity, dtype=np.float64).ravel()
        if not np.all(np.isfinite(a)) or np.any(a <= 0):
            raise ValueError("affinity must be positive and finite per category")
        top = int(self._category[:n].max()) + 1 if n else 0
        if a.size < top:
            a = np.concatenate([a, np.ones(top - a.size)])
        return a[self._category[:n]]

    def _ads_for(self, viewer_id: Hashable, k: int, now: datetime, st: FeedSettings) -> dict[int, int]:
        positions = [p for p in st.ad_positions if p <= k]
        if self.ads is None or not positions:
            return {}
        placed: dict[int, int] = {}
        for position, key in sorted(self.ads.fill(viewer_id, positions, now).items()):
            slot = self._slot_of.get(key)
            if position in positions and slot is not None and slot not in placed.values():
                placed[position] = slot
        return placed

    def _reserve_cold_start(self, st: FeedSettings, cost: FloatArray, page: IntArray,
                            room: int) -> tuple[IntArray, IntArray]:
        """Swap the page's weakest established items for young ones if the day's share is short."""
        t = self.totals
        size = max(min(room, page.size + self._young_slots.size), 0)
        due = min(math.ceil(st.cold_start_share * (t.organic + size) - t.young - 1e-9),
                  math.ceil(st.cold_start_page_cap * size))
        if due <= 0:
            return page, np.empty(0, dtype=np.intp)
        young_on_page = self._young_item[page]
        need = due - int(np.count_nonzero(young_on_page))
        if need <= 0:
            return page, np.empty(0, dtype=np.intp)
        young = self._young_slots  # ascending, so the page's young items are found by bisection
        young_cost = cost[young]
        if need < due:
            young_cost[np.searchsorted(young, page[young_on_page])] = np.inf
        pick = young[_few_best(young_cost, need)]
        free = room - page.size
        if pick.size > free:  # drop the weakest established items (the page is best first)
            drop = pick.size - free
            keep = np.ones(page.size, dtype=bool)
            for i in range(page.size - 1, -1, -1):
                if not young_on_page[i]:
                    keep[i] = False
                    drop -= 1
                    if not drop:
                        break
            page = page[keep]
        return page, pick

    def _serve(self, viewer_id: Hashable, now: datetime, day: int, st: FeedSettings, page: IntArray,
               cold: IntArray, ads: dict[int, int], aff: FloatArray | None) -> Page:
        # Interleave ads at their positions; the page's organic order is kept around them.
        order: list[int] = page.tolist()
        for position in sorted(ads):
            order.insert(min(position - 1, len(order)), ads[position])
        n = len(order)
        slots = np.asarray(order, dtype=np.intp)
        ad_set = set(ads.values())
        cold_set = set(cold.tolist())
        ad_positions = set(st.ad_positions)
        codes = [_AD if slot in ad_set else _COLD_START if slot in cold_set
                 else _AD_SLOT_ORGANIC if pos in ad_positions else _DISCOVERY
                 for pos, slot in enumerate(order, start=1)]
        owners = self._item_owner[slots]
        est = self.estimates
        official = self._official[slots]
        official_boost = np.where(official, st.official_boost, 1.0)
        fairness = self._boost[owners] if st.fairness else np.ones(n)
        affinity = aff[slots] if aff is not None else np.ones(n)
        base = est.value[slots]
        mult = self._owner_mult[owners]
        goods = self._goods[slots]
        final = base * mult * official_boost * fairness * affinity * goods
        limited = self._owner_limited[owners]
        limits: list[float | None] = (
            [lim if on else None for lim, on in zip(self._owner_limit[owners].tolist(), limited.tolist(), strict=True)]
            if limited.any() else [None] * n)
        # Tuples built with _make from columns: twenty entries cost a few microseconds.
        components = map(ScoreComponents._make, zip(
            est.pctr[slots].tolist(), est.watch_seconds[slots].tolist(), est.pcvr[slots].tolist(),
            est.order_value[slots].tolist(), base.tolist(), mult.tolist(), limits, fairness.tolist(),
            official_boost.tolist(), affinity.tolist(), final.tolist(), goods.tolist(), strict=True))
        entries = tuple(map(ServedEntry._make, zip(
            [self._keys[slot] for slot in order], range(1, n + 1), [SOURCES[c] for c in codes],
            self._owner_id[owners].tolist(), official.tolist(), self._young_item[slots].tolist(), components,
            strict=True)))
        self._account(viewer_id, st, slots, owners, np.asarray(codes, dtype=np.intp))
        return Page(viewer_id=viewer_id, served_at=now, day=day, entries=entries)

    def _account(self, viewer_id: Hashable, st: FeedSettings, slots: IntArray, owners: IntArray,
                 codes: IntArray) -> None:
        """Count a served page into today's exposure, the viewer's memory and the controller."""
        np.add.at(self._by_source, (owners, codes), 1)
        organic = _ORGANIC[codes]
        organic_owners = owners[organic]
        np.add.at(self._exposure, organic_owners, 1.0)
        self.totals.organic += organic_owners.size
        self.totals.young += int(np.count_nonzero(self._young_item[slots[organic]]))
        self.totals.requests += 1
        self._served += 1
        self.memory.remember(viewer_id, slots)
        if st.fairness and not self._fair_due and organic_owners.size:
            # The served owners' deficits just shrank: lower their boost now rather than at the
            # next refresh, so the next requests do not pile onto the same owners. Same formula
            # as `deficits`, folded: 1 + K·max(1 − e/(t·T), 0) = max(1 + K − K·e/(t·T), 1).
            k = self.controller.boost
            boost = self._exposure[organic_owners] * self._inv_target[organic_owners]
            boost *= -k / self.totals.organic
            boost += 1.0 + k
            np.maximum(boost, 1.0, out=boost)
            self._boost[organic_owners] = boost
            served = slots if organic_owners.size == slots.size else slots[organic]
            self._fair[served] = self._static[served] * boost

    def _refresh_targets(self, st: FeedSettings) -> None:
        m, n = self._n_owners, self._hi
        active = np.flatnonzero(self._active[:n])
        owners = self._item_owner[active]
        counts = np.bincount(owners, minlength=m).astype(np.float64)
        sums = np.bincount(owners, weights=self.estimates.value[active] * self._owner_mult[owners], minlength=m)
        with np.errstate(divide="ignore", invalid="ignore"):
            self._merit[:m] = np.where(counts > 0, sums / counts, 0.0)
        eligible = (self._owner_items[:m] > 0) | (self._exposure[:m] > 0)
        target = np.zeros(m)
        if eligible.any():
            shares, _ = tempered_shares(self._merit[:m][eligible], st.gini_target - st.fairness_headroom)
            target[eligible] = shares
        self._target[:m] = target * self._owner_limit[:m]
        self._inv_target[:m] = np.divide(1.0, self._target[:m], out=np.zeros(m), where=self._target[:m] > 0.0)
        self._targets_stale = self._merit_moved = False
        self._targets_at = self._served

    def _refresh_fairness(self, st: FeedSettings, control: bool) -> None:
        """Every owner's boost from fresh targets; with `control`, first a step of the gain K.

        The gain steps only on the request cadence, so candidate churn (rooms going live and
        ending) re-derives boosts without speeding up the controller.
        """
        m, n = self._n_owners, self._hi
        if self._targets_stale or (self._merit_moved and self._served - self._targets_at >= TARGETS_EVERY):
            self._refresh_targets(st)
        eligible = (self._owner_items[:m] > 0) | (self._exposure[:m] > 0)
        exposure = self._exposure[:m]
        total = float(self.totals.organic)
        if control and total > 0:
            # A limited owner counts at its unlimited-equivalent exposure (exposure ÷ L), so a
            # limit neither eases nor tightens the controller for everyone else; owners limited
            # to 0 have no such equivalent and are left out. `exposure_gini()` reports the actual.
            limit = self._owner_limit[:m]
            equivalent = np.divide(exposure, limit, out=np.zeros(m), where=limit > 0.0)
            self.last_gini = gini(equivalent[eligible & (limit > 0.0)])
            self.controller.gain = st.fairness_gain
            self.controller.max_boost = st.fairness_max_boost
            self.controller.update(self.last_gini, st.gini_target)
        boost = 1.0 + self.controller.boost * deficits(exposure, self._target[:m], total)
        self._boost[:m] = np.where(eligible, boost, 1.0)
        self._fair[:n] = self._static[:n] * self._boost[self._item_owner[:n]]
        self._fair_due = False

