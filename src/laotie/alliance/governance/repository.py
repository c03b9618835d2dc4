"""Commission lines of given orders, for forfeiting them and for the fraud evidence."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import CommissionLine, User

CHUNK = 5_000  # ids per IN list: far below PostgreSQL's 32,767 parameters
PAID = ("estimated", "settled", "forfeited")  # lines whose commission was ever booked


async def paid_lines_of_orders(s: AsyncSession, order_ids: Sequence[int], *, lock: bool = False
                               ) -> list[CommissionLine]:
    """Lines of these orders that were booked at payment, in id order (the lock order, when locking)."""
    wanted = sorted({int(o) for o in order_ids})
    out: list[CommissionLine] = []
    for start in range(0, len(wanted), CHUNK):
        q = (select(CommissionLine)
             .where(CommissionLine.order_id.in_(wanted[start:start + CHUNK]), CommissionLine.status.in_(PAID))
             .order_by(CommissionLine.id))
        if lock:
            q = q.with_for_update()
        out += (await s.execute(q)).scalars().all()
    return sorted(out, key=lambda ln: ln.id)


async def names(s: AsyncSession, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await s.execute(select(User.id, User.display_name).where(User.id.in_(sorted(set(user_ids)))))
    return {int(i): str(n) for i, n in rows.all()}
