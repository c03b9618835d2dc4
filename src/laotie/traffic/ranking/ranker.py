"""The discovery feed's ranker: candidates in arrays, one page per request, explained.

`FeedIndex` holds every candidate (a live room or a video) in numpy arrays by slot, the
owners (creator or merchant accounts) in arrays by owner slot, the online estimates
(`estimates.Estimates`), today's exposure per owner and each viewer's recently served items
(`memory.ViewerMemory`). It knows nothing of the database: the traffic service loads the
candidates, feeds it the events, calls `rank(...)` and logs the page it returns.

It is built in three layers, one module each, by what the code does:

* `index.CandidateIndex` holds the arrays and builds them: candidates added and removed,
  owners registered, events and stored counters recorded, the policy read;
* `rerank.ExposureIndex` re-ranks and accounts for exposure: cold start, the fairness
  controller and its targets, the day's totals, serving a page and counting it, the
  per-owner traffic report;
* `FeedIndex` here ranks one request: the cached base value, affinity, repeats, exclusions and top k
  (the top-k helpers are in `topk`).

One request, `rank(viewer_id, k, now)`:

1. **Base value** of every item, from the smoothed estimates (`estimates` module docstring),
   times the owner's **trust multiplier** and, for official items (官方打标), the
   `official_boost`. Kept as one cached array; only items with new events are re-scored
   (`FeedIndex._prepare`).
2. **Fairness** (on by default): times 1 + K × the owner's exposure deficit (`fairness`;
   targets and boosts in `rerank.ExposureIndex._refresh_fairness`).
3. Optional per-category **affinity** of this viewer (supplied by the caller; `rank`).
4. **Repeats ranked down**: an item the viewer was served recently scores times
   exp(−repeat_penalty × Σ repeat_decay^age) over its servings in the viewer's memory (age in
   items served since), so it comes back after what the viewer has not seen, the least recently
   and least often seen first, and the feed never runs dry while there are items
   (`memory.ViewerMemory.staleness`). Excluded: items of **traffic-limited** owners for
   the viewers outside the owner's visible fraction (below, `_hidden_slots`); items placed in
   ad slots (`_ads_for`).
5. Top k by score (`np.argpartition`, no Python loop over items; `topk.best`).
6. **Cold start** (on by default): if young owners' share of today's impressions would fall
   below `cold_start_share`, the weakest non-young items of the page give way to the best
   young items the viewer has not seen (source "cold_start"; `rerank.reserve_cold_start`).
7. The page is ordered by score *without* the fairness boost (`rank`): fairness and cold start
   decide which items get an impression today, and the viewer sees them in order of their
   value to him, so a lifted item does not push a better one down the screen. (Exposure is
   counted in impressions; the order within a page changes attention, not impressions.)
   Positions (1-based) in `ad_positions` carry the `AdSource`'s item if it has one, else the
   organic item there ("ad_slot_organic"; placed by `rerank.ExposureIndex._serve`).
8. Serving counts the page into today's exposure (what the controllers see) and into the
   viewer's memory (`rerank.ExposureIndex._account`). It does not count impressions into the
   estimates: that is an event the caller records (`record("impression", key)`) when the page
   is actually delivered.

**Traffic limits.** An owner limited to L (e.g. 0.3) is visible to a fraction L of viewers,
chosen per day by a seeded hash of (viewer, owner, day): for the rest its items are excluded.
Every request from a viewer in the visible fraction ranks the owner exactly as if unlimited,
so the owner gets about L × the impressions it would get unlimited, whatever its position,
and a viewer scrolling page after page cannot wear the limit down (a per-request coin flip
would let a top item through on the viewer's next page). The fairness controller sees a
limited owner as if unlimited: its target is scaled by L (so fairness does not undo the
limit) and its exposure counts ÷ L in the controller's Gini (so limiting a top owner does not
make the controller ease off for everyone else, which would hand the owner back some traffic).
The exclusion is `FeedIndex._hidden_slots`; the controller's view of limits is in `rerank`.

**Determinism.** No wall clock, no unseeded randomness, no iteration over unordered sets:
the same seed, candidates, event log and sequence of requests give identical pages.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from datetime import datetime

import numpy as np
import numpy.typing as npt

from laotie.traffic.ranking.index import DAY_SECONDS, FloatArray, IntArray, timestamp
from laotie.traffic.ranking.pages import Page
from laotie.traffic.ranking.policy import owner_keys, visibility_draws
from laotie.traffic.ranking.rerank import ExposureIndex, reserve_cold_start
from laotie.traffic.ranking.settings import FeedSettings
from laotie.traffic.ranking.topk import best


class FeedIndex(ExposureIndex):
    """Candidates, estimates, exposure and viewer memory for one discovery feed (not thread-safe:
    one index per process, called from one thread or under a lock).

    The arrays and their upkeep come from `CandidateIndex`, cold start, fairness and serving from
    `ExposureIndex`; this class adds the ranking of one request."""

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
        ts = timestamp(now)
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
        # Recently served: ranked down by how recently and how often (cost is −score, so ×penalty).
        seen, weight = self.memory.staleness(viewer_id, st.repeat_decay)
        inside = seen < n
        seen, repeat = seen[inside], np.exp(-st.repeat_penalty * weight[inside])
        if seen.size:
            cost[seen] *= repeat
        # Exclusions: not visible under a limit, placed as an ad.
        if self._limited_slots.size:
            cost[self._hidden_slots(viewer_id, day)] = np.inf
        ads = self._ads_for(viewer_id, k, now, st)
        if ads:
            cost[list(ads.values())] = np.inf
        page = best(cost, k - len(ads))
        cold = np.empty(0, dtype=np.intp)
        if st.cold_start and self._young_slots.size:
            page, cold = reserve_cold_start(st, self.totals, self._young_item, self._young_slots, cost, page,
                                            k - len(ads))
        if cold.size:
            page = np.concatenate([page, cold])
        if cold.size or st.fairness:
            # Fairness and cold start decide which items make the page; the viewer sees them
            # in order of their value to him (the score without the fairness boost).
            value = self._static[page] if aff is None else self._static[page] * aff[page]
            value = value * _repeat_of(page, seen, repeat)
            page = page[np.argsort(-value, kind="stable")]
        return self._serve(viewer_id, now, day, st, page, cold, ads, aff, (seen, repeat))

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


def _repeat_of(slots: IntArray, seen: IntArray, repeat: FloatArray) -> FloatArray:
    """The repeat penalty of each slot (1.0 if not seen lately); `seen` is ascending."""
    out = np.ones(slots.size)
    if seen.size:
        at = np.minimum(np.searchsorted(seen, slots), seen.size - 1)
        hit = seen[at] == slots
        out[hit] = repeat[at[hit]]
    return out
