"""Money of other domains that moves with an order's, in the order's own transaction.

The alliance attributes promoted lines at checkout and moves commissions when the order is
paid, refunded and completed. Orders know nothing of it: a domain registers one `OrderHooks`
and the order's functions call it beside their own ledger entries, so the order's money and
the commissions on it are always in one transaction — never half of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class CheckoutLine:
    """A line about to be written, as an attributor sees it."""

    index: int
    product_id: int
    shop_id: int
    shop_owner_id: int
    paid_for: int  # what the buyer pays for the line, after discounts


class OrderHooks(Protocol):
    async def attribute(self, s: AsyncSession, buyer_id: int, source: str,
                        lines: list[CheckoutLine]) -> dict[int, dict[str, Any]]:
        """What each attributed line remembers (JSON, stored on the order line), by line index; empty for none."""

    async def paid(self, s: AsyncSession, order_ids: list[int]) -> None: ...

    async def refunded(self, s: AsyncSession, order_id: int, refunded_total: int, *, completed: bool) -> None: ...

    async def completed(self, s: AsyncSession, order_id: int) -> None: ...


_hooks: list[OrderHooks] = []


def register(hooks: OrderHooks) -> None:
    if not any(type(h) is type(hooks) for h in _hooks):
        _hooks.append(hooks)


def registered() -> list[OrderHooks]:
    return list(_hooks)
