"""What a served page is, and how it explains itself: impressions to log, reasons to show.

Every entry carries the components of its score, so the impression log can answer "Why am I
seeing this?" for a viewer and, summed per owner with `OwnerTraffic`, "Why is my traffic
what it is?" for a creator or a shop, without re-deriving anything later.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple, Protocol

ItemKind = Literal["live", "video"]
ItemKey = tuple[ItemKind, int]
Source = Literal["discovery", "cold_start", "ad", "ad_slot_organic", "following"]
SOURCES: tuple[Source, ...] = ("discovery", "cold_start", "ad", "ad_slot_organic", "following")
ORGANIC_SOURCES: frozenset[Source] = frozenset({"discovery", "cold_start", "ad_slot_organic"})


class ScoreComponents(NamedTuple):
    """Every factor of an item's score on one page: what "Why am I seeing this?" shows.

    `final_score` decides which items make the page; on the page they are ordered by
    final_score ÷ fairness_boost, their value to this viewer (see `FeedIndex.rank`).

    (A NamedTuple rather than a frozen dataclass: a page builds twenty of these per request,
    and a tuple is built several times faster.)
    """

    pctr: float
    watch_seconds: float  # expected seconds watched per click
    pcvr: float  # expected orders per click
    order_value_fen: float  # expected GMV per order
    base_value: float  # predicted points per impression (estimates module docstring)
    trust_multiplier: float
    limit: float | None  # the owner's traffic limit, if any (it was visible to this viewer)
    fairness_boost: float  # 1 + K × deficit; 1.0 when fairness is off or owner not behind
    official_boost: float
    affinity: float  # the viewer's category affinity passed by the caller, 1.0 if none
    final_score: float  # base × trust × fairness × official × affinity × goods × repeat: decides who makes the page
    goods_boost: float = 1.0  # 靠谱好货: the item sells reliable goods
    repeat_multiplier: float = 1.0  # below 1 when this viewer was served the item lately (ranked down)


class ServedEntry(NamedTuple):
    """One served item: what to log as an impression, and why it is there."""

    key: ItemKey
    position: int  # 1-based
    source: Source
    owner_id: int
    official: bool  # show the 官方 tag
    cold_start_owner: bool  # owner younger than cold_start_days
    components: ScoreComponents

    def explain(self) -> str:
        """A plain account of the score, for "Why am I seeing this?"."""
        c = self.components
        why = {
            "discovery": "ranked by predicted value",
            "cold_start": "a slot kept for new creators and shops",
            "ad": "an advertisement",
            "ad_slot_organic": "ranked by predicted value, in a slot reserved for ads that no ad filled",
            "following": "you follow this account",
        }[self.source]
        parts = [f"trust ×{c.trust_multiplier:.2f}"]
        if c.fairness_boost != 1.0:
            parts.append(f"exposure-fairness boost ×{c.fairness_boost:.2f}")
        if c.official_boost != 1.0:
            parts.append(f"official ×{c.official_boost:.2f}")
        if c.affinity != 1.0:
            parts.append(f"your interest in its category ×{c.affinity:.2f}")
        if c.goods_boost != 1.0:
            parts.append(f"reliable goods (靠谱好货) ×{c.goods_boost:.2f}")
        if c.repeat_multiplier != 1.0:
            parts.append(f"shown to you lately ×{c.repeat_multiplier:.2g}")
        text = (f"Position {self.position}: {why}. Predicted value {c.base_value:.3g} points per impression "
                f"(click-through {c.pctr:.2%}, {c.watch_seconds:.0f} s watched per click, "
                f"{c.pcvr:.2%} order rate per click, ¥{c.order_value_fen / 100:.2f} per order); "
                f"{', '.join(parts)}; score {c.final_score:.3g}.")
        if c.limit is not None:
            text += f" This account's traffic is limited to {c.limit:.0%}."
        if self.official:
            text += " Official (官方) item."
        return text


@dataclass(frozen=True, slots=True)
class Page:
    """One served page, best first."""

    viewer_id: Hashable
    served_at: datetime
    day: int  # exposure day number (days since the epoch, shifted by day_offset_hours)
    entries: tuple[ServedEntry, ...]

    @property
    def keys(self) -> list[ItemKey]:
        return [e.key for e in self.entries]


@dataclass(frozen=True, slots=True)
class OwnerTraffic:
    """Today's traffic of one owner and every rule acting on it: "Why is my traffic what it is?"."""

    owner_id: int
    day: int
    impressions: Mapping[Source, int]  # by source, today
    organic_impressions: int  # what fairness and cold start count (not ads, not following)
    organic_share: float  # of all owners' organic impressions today
    merit: float  # mean predicted value of its live candidates, after trust
    target_share: float  # the fairness controller's exposure target (limit applied)
    fairness_boost: float
    trust_multiplier: float
    limit: float | None
    cold_start: bool
    candidates: int

    def explain(self) -> str:
        lines = [f"Today: {sum(self.impressions.values())} impressions "
                 + ", ".join(f"{s} {n}" for s, n in self.impressions.items() if n) + "."]
        lines.append(f"Organic share {self.organic_share:.3%} against a fairness target of "
                     f"{self.target_share:.3%} (merit {self.merit:.3g} points per impression over "
                     f"{self.candidates} live candidates); current fairness boost ×{self.fairness_boost:.2f}.")
        lines.append(f"Trust multiplier ×{self.trust_multiplier:.2f}"
                     + (f"; traffic limited to {self.limit:.0%} of normal." if self.limit is not None
                        else "; no traffic limit."))
        if self.cold_start:
            lines.append("New account: part of the cold-start share of impressions.")
        return "\n".join(lines)


class AdSource(Protocol):
    """What the marketing module will implement: items for the reserved ad positions."""

    def fill(self, viewer_id: Hashable, positions: Sequence[int], now: datetime) -> Mapping[int, ItemKey]:
        """Ad items by 1-based position; positions left out stay organic. Items must be candidates."""
        ...
