"""Order jobs: cancel unpaid orders past their deadline, auto-confirm receipt."""

from __future__ import annotations

from datetime import timedelta

from laotie.kit.db import Database
from laotie.kit.jobs import each_in_own_transaction, scheduler
from laotie.models import utcnow
from laotie.orders import repository
from laotie.orders.service import lifecycle


@scheduler.job("orders.expire_unpaid")
async def expire_unpaid(db: Database) -> int:
    """Cancel orders not paid in time; each in its own transaction, safe to run anywhere twice."""
    now = utcnow()
    async with db.transaction() as s:
        due = await repository.due_unpaid(s, now, limit=500)
    # An order paid or cancelled meanwhile is skipped.
    return await each_in_own_transaction(db, due, lambda s, order_id: lifecycle.expire_unpaid(s, order_id, now),
                                         what="unpaid order")


@scheduler.job("orders.auto_confirm")
async def auto_confirm(db: Database) -> int:
    now = utcnow()
    settings = db.settings
    async with db.transaction() as s:
        due = await repository.due_auto_confirm(
            s, now - timedelta(days=settings.auto_confirm_days_after_delivery),
            now - timedelta(days=settings.auto_confirm_days_after_shipping), limit=500,
        )
    return await each_in_own_transaction(db, due, lifecycle.auto_confirm, what="order to confirm")
