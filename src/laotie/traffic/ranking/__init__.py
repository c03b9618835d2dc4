"""The discovery feed's ranking core (pure, in memory, no database) and how its traffic is explained.

What lives here is the part that needs no database: online estimates of what an impression of
a live room or video is worth (`estimates`), the per-request ranker with its trust, traffic
limit, cold-start, fairness, official-tag and ad-slot rules (`ranker.FeedIndex`), the
explanations every served entry carries (`pages`), the exposure-fairness controller
(`fairness`) and a synthetic population to test and benchmark it all (`simulate`).

The database-backed service loads candidates into a `FeedIndex`, feeds it impression, click,
watch and order events, calls `FeedIndex.rank(...)` per request and logs the entries it gets
back. The trust domain plugs in through `TrafficPolicy`; marketing through `AdSource`.
"""

from __future__ import annotations

from laotie.traffic.ranking.estimates import EVENT_KINDS, Estimate, EventKind, ValueModel
from laotie.traffic.ranking.fairness import gini, tempered_shares
from laotie.traffic.ranking.pages import (
    SOURCES,
    AdSource,
    ItemKey,
    ItemKind,
    OwnerTraffic,
    Page,
    ScoreComponents,
    ServedEntry,
    Source,
)
from laotie.traffic.ranking.policy import NeutralPolicy, StaticPolicy, TrafficPolicy
from laotie.traffic.ranking.ranker import FeedIndex
from laotie.traffic.ranking.settings import FeedSettings

__all__ = [
    "EVENT_KINDS",
    "SOURCES",
    "AdSource",
    "Estimate",
    "EventKind",
    "FeedIndex",
    "FeedSettings",
    "ItemKey",
    "ItemKind",
    "NeutralPolicy",
    "OwnerTraffic",
    "Page",
    "ScoreComponents",
    "ServedEntry",
    "Source",
    "StaticPolicy",
    "TrafficPolicy",
    "ValueModel",
    "gini",
    "tempered_shares",
]
