"""Feedback reacts to other domains' findings: reviews of orders from a confirmed fake-order ring are hidden."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.feedback.service import reviews
from laotie.kit.events import bus


@bus.on("fraud.ring_confirmed", "feedback.hide_ring_reviews")
async def hide_ring_reviews(s: AsyncSession, payload: dict[str, Any]) -> None:
    """刷单 confirmed: the ring's reviews stop showing and stop counting (score, ratings, 靠谱好货)."""
    await reviews.hide_reviews_of_orders(s, [int(o) for o in payload["order_ids"]],
                                         f"fraud_ring:{payload['ring_id']}")
