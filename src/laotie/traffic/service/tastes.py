"""A viewer's taste by category (兴趣): what the discovery feed personalises by.

An item's category is the top-level category of the first product in its cart (a room's
live cart, a video's cart); items selling nothing have none. A viewer's affinity for a
top-level category comes from what they bought (paid orders, 90 days) and opened from the
feed (30 days), smoothed so one purchase does not take over: with counts c over the R
categories, affinity_k = (c_k + 1) / ((Σc + R) / R), clipped to [0.5, 3]. The mean is about
1, so personalising reorders by taste without inflating or deflating everyone's scores.
A viewer with no history gets no personalisation. Computed tastes are kept for a while
per process (`TASTE_SECONDS`), bounded in number; the category tree is read once per feed
refresh, not per viewer.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import Category, FeedAction, Order, OrderLine, Product
from laotie.traffic.ranking.pages import ItemKey

TASTE_SECONDS = 600.0
MAX_VIEWERS = 50_000
LOW, HIGH = 0.5, 3.0


async def roots(s: AsyncSession) -> dict[int, int]:
    """Every category's top-level ancestor."""
    parent = {int(i): (int(p) if p is not None else None)
              for i, p in (await s.execute(select(Category.id, Category.parent_id))).all()}
    out: dict[int, int] = {}
    for cid in parent:
        node, seen = cid, set()
        while parent.get(node) is not None and node not in seen:
            seen.add(node)
            node = parent[node]  # type: ignore[assignment]
        out[cid] = node
    return out


async def item_categories(s: AsyncSession, carts: dict[ItemKey, list[int]], root_of: dict[int, int]
                          ) -> dict[ItemKey, int]:
    firsts = {key: products[0] for key, products in carts.items() if products}
    if not firsts:
        return {}
    ids = sorted(set(firsts.values()))
    category_of: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        rows = await s.execute(select(Product.id, Product.category_id).where(Product.id.in_(ids[start:start + 500])))
        category_of.update({int(p): int(c) for p, c in rows.all()})
    return {key: root_of.get(category_of.get(product, 0), 0) for key, product in firsts.items()
            if product in category_of}


class Tastes:
    """Per-process cache of viewers' affinity vectors (index = top-level category id)."""

    def __init__(self) -> None:
        self._cache: OrderedDict[int, tuple[float, npt.NDArray[np.float64] | None]] = OrderedDict()

    async def of(self, s: AsyncSession, viewer_id: int, now: datetime, item_category: dict[ItemKey, int],
                 root_of: dict[int, int]) -> npt.NDArray[np.float64] | None:
        hit = self._cache.get(viewer_id)
        if hit is not None and hit[0] > time.monotonic():
            self._cache.move_to_end(viewer_id)
            return hit[1]
        affinity = await _affinity(s, viewer_id, now, item_category, root_of)
        self._cache[viewer_id] = (time.monotonic() + TASTE_SECONDS, affinity)
        while len(self._cache) > MAX_VIEWERS:
            self._cache.popitem(last=False)
        return affinity


async def _affinity(s: AsyncSession, viewer_id: int, now: datetime, item_category: dict[ItemKey, int],
                    root_of: dict[int, int]) -> npt.NDArray[np.float64] | None:
    counts: dict[int, float] = {}
    bought = await s.execute(select(Product.category_id, func.count())
                             .join(OrderLine, OrderLine.product_id == Product.id)
                             .join(Order, Order.id == OrderLine.order_id)
                             .where(Order.buyer_id == viewer_id, Order.paid_at.is_not(None),
                                    Order.paid_at >= now - timedelta(days=90))
                             .group_by(Product.category_id))
    for category, n in bought.all():
        root = root_of.get(int(category))
        if root is not None:
            counts[root] = counts.get(root, 0.0) + float(n)
    opened = await s.execute(select(FeedAction.item_kind, FeedAction.item_id, func.count())
                             .where(FeedAction.viewer_id == viewer_id, FeedAction.kind == "click",
                                    FeedAction.at >= now - timedelta(days=30))
                             .group_by(FeedAction.item_kind, FeedAction.item_id))
    for kind, item, n in opened.all():
        root = item_category.get((kind, int(item)), 0)  # type: ignore[arg-type]
        if root:
            counts[root] = counts.get(root, 0.0) + float(n)
    if not counts:
        return None
    tops = sorted(set(root_of.values()))
    total, r = sum(counts.values()), len(tops)
    affinity = np.ones(max(tops) + 1)
    for root in tops:
        affinity[root] = min(HIGH, max(LOW, (counts.get(root, 0.0) + 1.0) / ((total + r) / r)))
    return affinity
