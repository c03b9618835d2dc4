"""The score reaches the discovery feed: the band's traffic multiplier and the reliable-goods boost."""

from __future__ import annotations

from laotie.traffic.service import policy
from laotie.trust.score.service import scores

# The shop score band's multiplier, and the boost of items selling reliable goods (靠谱好货).
policy.register_multipliers(scores.owner_multipliers)
policy.register_goods(scores.product_boosts)
