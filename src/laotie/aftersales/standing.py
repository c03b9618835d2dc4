"""A buyer's standing (信用): whether guarantees such as instant refund apply to them.

Derived from the account's age, its completed orders and its own refund history, so a
fresh account, or one that refunds much of what it buys, cannot farm the guarantees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.models import Aftersale, Order, User


@dataclass(frozen=True)
class Standing:
    good: bool
    reasons: list[str] = field(default_factory=list)  # why not, in words a buyer understands
    # The same reasons as (code, figure), for pages that word them in the reader's language:
    # new_account (days), few_orders (orders), many_refunds (refunds in 30 days), refund_share (0-1).
    why: list[tuple[str, float]] = field(default_factory=list)


async def standing(s: AsyncSession, settings: Settings, buyer: User, now: datetime) -> Standing:
    reasons: list[str] = []
    why: list[tuple[str, float]] = []
    if now - buyer.created_at < timedelta(days=settings.good_standing_min_account_days):
        reasons.append(f"the account is younger than {settings.good_standing_min_account_days} days")
        why.append(("new_account", settings.good_standing_min_account_days))
    completed = (await s.execute(select(func.count()).select_from(Order).where(
        Order.buyer_id == buyer.id, Order.status == "completed"))).scalar_one()
    if completed < settings.good_standing_min_completed:
        reasons.append(f"fewer than {settings.good_standing_min_completed} completed orders")
        why.append(("few_orders", settings.good_standing_min_completed))
    refunds_30d = (await s.execute(select(func.count()).select_from(Aftersale).where(
        Aftersale.buyer_id == buyer.id, Aftersale.refunded > 0,
        Aftersale.created_at >= now - timedelta(days=30)))).scalar_one()
    if refunds_30d > settings.good_standing_max_refunds_30d:
        reasons.append(f"more than {settings.good_standing_max_refunds_30d} refunds in 30 days")
        why.append(("many_refunds", settings.good_standing_max_refunds_30d))
    since = now - timedelta(days=90)
    paid = (await s.execute(select(func.count()).select_from(Order).where(
        Order.buyer_id == buyer.id, Order.paid_at.is_not(None), Order.paid_at >= since))).scalar_one()
    refunded = (await s.execute(select(func.count(func.distinct(Aftersale.order_id))).where(
        Aftersale.buyer_id == buyer.id, Aftersale.refunded > 0, Aftersale.created_at >= since))).scalar_one()
    if paid and refunded / paid > settings.good_standing_max_refund_share:
        reasons.append(f"more than {settings.good_standing_max_refund_share:.0%} of recent orders refunded")
        why.append(("refund_share", settings.good_standing_max_refund_share))
    return Standing(not reasons, reasons, why)
