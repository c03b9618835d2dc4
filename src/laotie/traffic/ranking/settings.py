"""The discovery feed's re-ranking knobs (the value model's priors and weights are `ValueModel`)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """Knobs of the re-ranking; the value model (priors, weights) is `ValueModel`."""

    cold_start: bool = True
    cold_start_days: float = 14.0  # owners younger than this are in cold start
    cold_start_share: float = 0.10  # at least this share of the day's organic impressions
    cold_start_page_cap: float = 0.3  # at most this share of one page is reserved for it
    fairness: bool = True
    gini_target: float = 0.6  # the day's exposure Gini across owners is held under this
    fairness_gain: float = 0.5  # controller gain: Δ log K per unit of Gini error per refresh
    fairness_initial_boost: float = 1.0  # K at the first refresh (later: kept across days)
    fairness_max_boost: float = 1e4
    fairness_headroom: float = 0.1  # targets' own Gini = gini_target − headroom
    fairness_refresh_every: int = 16  # requests between full controller refreshes
    official_boost: float = 1.0  # 1.0 = tagged but not boosted
    ad_positions: tuple[int, ...] = (3, 10)  # 1-based page positions reserved for ads
    day_offset_hours: float = 8.0  # the exposure day starts at midnight UTC+8 (Beijing)
    # Items the viewer was served lately come back ranked down, never left out: a score times
    # exp(−repeat_penalty × Σ repeat_decay^age) over its recent servings (age 0 = the item served last).
    # 20 puts an item just served ~10⁹× down and one served a memory's worth (100 items) ago still
    # ~1,500× down: what the viewer has not seen comes first (a milder penalty re-serves the top
    # items before unseen ones, and in the simulated day fairness then costs more engagement), and
    # among the seen the least recently and least often served come back first.
    repeat_penalty: float = 20.0
    repeat_decay: float = 0.99

    def __post_init__(self) -> None:
        if self.cold_start_days < 0 or not 0.0 <= self.cold_start_share <= 1.0:
            raise ValueError("cold_start_days must be ≥ 0 and cold_start_share in [0, 1]")
        if not 0.0 <= self.cold_start_page_cap <= 1.0:
            raise ValueError("cold_start_page_cap must be in [0, 1]")
        if not 0.0 < self.gini_target <= 1.0:
            raise ValueError("gini_target must be in (0, 1]")
        if self.fairness_gain < 0 or self.fairness_initial_boost <= 0 or self.fairness_max_boost <= 0:
            raise ValueError("fairness_gain must be ≥ 0 and the boosts positive")
        if self.fairness_refresh_every < 1:
            raise ValueError("fairness_refresh_every must be at least 1")
        if not math.isfinite(self.official_boost) or self.official_boost <= 0:
            raise ValueError("official_boost must be a positive number")
        if not (math.isfinite(self.repeat_penalty) and self.repeat_penalty >= 0 and 0.0 <= self.repeat_decay < 1.0):
            raise ValueError("repeat_penalty must be ≥ 0 and repeat_decay in [0, 1)")
        if any(p < 1 for p in self.ad_positions):
            raise ValueError("ad positions are 1-based")
