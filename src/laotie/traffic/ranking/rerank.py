"""Re-ranking and exposure accounting: cold start, the fairness controller, serving a page and counting it."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Hashable
from datetime import datetime

import numpy as np
import numpy.typing as npt

from laotie.traffic.ranking.fairness import deficits, gini, tempered_shares
from laotie.traffic.ranking.index import (
    DAY_SECONDS,
    CandidateIndex,
    DayTotals,
    FloatArray,
    IntArray,
    timestamp,
)
from laotie.traffic.ranking.pages import (
    ORGANIC_SOURCES,
    SOURCES,
    OwnerTraffic,
    Page,
    ScoreComponents,
    ServedEntry,
    Source,
)
from laotie.traffic.ranking.settings import FeedSettings
from laotie.traffic.ranking.topk import few_best

_SOURCE_INDEX = {s: i for i, s in enumerate(SOURCES)}
_DISCOVERY, _COLD_START, _AD, _AD_SLOT_ORGANIC = (_SOURCE_INDEX[s] for s in ("discovery", "cold_start", "ad",
                                                                             "ad_slot_organic"))
# Sources whose impressions the fairness controller and the cold-start share count: the
# feed's organic traffic. Paid ads and following-feed impressions are reported, not balanced.
_ORGANIC = np.array([s in ORGANIC_SOURCES for s in SOURCES])

# Merit moves slowly (estimates of established items change little per event), so the fairness
# targets follow event-driven drift every this many requests, and candidate or policy changes
# at once.
TARGETS_EVERY = 256


def reserve_cold_start(st: FeedSettings, totals: DayTotals, young_item: npt.NDArray[np.bool_], young_slots: IntArray,
                       cost: FloatArray, page: IntArray, room: int) -> tuple[IntArray, IntArray]:
    """Swap the page's weakest established items for young ones if the day's share is short."""
    t = totals
    size = max(min(room, page.size + young_slots.size), 0)
    due = min(math.ceil(st.cold_start_share * (t.organic + size) - t.young - 1e-9),
              math.ceil(st.cold_start_page_cap * size))
    if due <= 0:
        return page, np.empty(0, dtype=np.intp)
    young_on_page = young_item[page]
    need = due - int(np.count_nonzero(young_on_page))
    if need <= 0:
        return page, np.empty(0, dtype=np.intp)
    young = young_slots  # ascending, so the page's young items are found by bisection
    young_cost = cost[young]
    if need < due:
        young_cost[np.searchsorted(young, page[young_on_page])] = np.inf
    pick = young[few_best(young_cost, need)]
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


class ExposureIndex(CandidateIndex, ABC):
    """Today's exposure over the candidate index: the day's totals, the young owners, the fairness
    targets and boosts, and the served page counted into them (`FeedIndex` adds the ranking)."""

    # ---- the day -----------------------------------------------------------------------

    def start_day(self, day: int) -> None:
        """Reset today's exposure (called by `rank` when the day changes). K carries over."""
        self.day = day
        self._exposure[:] = 0.0
        self._by_source[:] = 0
        self.totals = DayTotals()
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
        ts = timestamp(now) if now is not None else self._last_ts
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

    # ---- internals ---------------------------------------------------------------------

    @abstractmethod
    def _prepare(self, st: FeedSettings, ts: float) -> None:
        """Bring cached scores and caches up to date (the ranker's, `FeedIndex._prepare`)."""

    def _refresh_young(self, st: FeedSettings, ts: float) -> None:
        m, n = self._n_owners, self._hi
        young_owner = (ts - self._owner_created[:m]) < st.cold_start_days * DAY_SECONDS
        self._young_item[:n] = self._active[:n] & young_owner[self._item_owner[:n]]
        self._young_slots = np.flatnonzero(self._young_item[:n])
        self._young_at = ts

    def _serve(self, viewer_id: Hashable, now: datetime, day: int, st: FeedSettings, page: IntArray,
               cold: IntArray, ads: dict[int, int], aff: FloatArray | None,
               repeats: tuple[IntArray, FloatArray] | None = None) -> Page:
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
        repeat = np.ones(n)
        if repeats is not None and repeats[0].size:
            seen, penalty = repeats  # ascending slots served lately, with their penalties
            at = np.minimum(np.searchsorted(seen, slots), seen.size - 1)
            hit = seen[at] == slots
            repeat[hit] = penalty[at[hit]]
        final = base * mult * official_boost * fairness * affinity * goods * repeat
        limited = self._owner_limited[owners]
        limits: list[float | None] = (
            [lim if on else None for lim, on in zip(self._owner_limit[owners].tolist(), limited.tolist(), strict=True)]
            if limited.any() else [None] * n)
        # Tuples built with _make from columns: twenty entries cost a few microseconds.
        components = map(ScoreComponents._make, zip(
            est.pctr[slots].tolist(), est.watch_seconds[slots].tolist(), est.pcvr[slots].tolist(),
            est.order_value[slots].tolist(), base.tolist(), mult.tolist(), limits, fairness.tolist(),
            official_boost.tolist(), affinity.tolist(), final.tolist(), goods.tolist(), repeat.tolist(),
            strict=True))
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
