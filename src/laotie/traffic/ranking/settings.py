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
        if any(p < 1 for p in self.ad_positions):
            raise ValueError("ad positions are 1-based")
