"""Operators reading an order they judge: only an order in a dispute, claim, case or fraud ring, and audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.aftersales.service import requests as aftersale_requests
from laotie.identity.auth import require_role
from laotie.models import Aftersale, FraudRing, User, ViolationCase
from laotie.orders.errors import NotYourOrder
from laotie.orders.service.queries import OrderView, order_view_for_review
from laotie.trust.governance.service import audit


@dataclass
class OrderReview:
    view: OrderView
    grounds: list[str]  # e.g. ["dispute #3", "case #12"]: why this operator may read it
    aftersales: list[Aftersale]


def _names_order(evidence: Any, order_id: int, ring_ids: set[int]) -> bool:
    if not isinstance(evidence, dict):
        return False
    ids = evidence.get("order_ids")
    return (evidence.get("order_id") == order_id or (isinstance(ids, list) and order_id in ids)
            or evidence.get("ring_id") in ring_ids)


async def _rings_of_order(s: AsyncSession, order_id: int) -> list[int]:
    # Order ids live in a JSON list: the text match narrows the rows, the list check decides.
    q = select(FraudRing.id, FraudRing.order_ids).where(cast(FraudRing.order_ids, String).like(f"%{order_id}%"))
    return [ring_id for ring_id, ids in (await s.execute(q)).all() if order_id in (ids or [])]


async def _cases_of_order(s: AsyncSession, order_id: int, ring_ids: list[int]) -> list[int]:
    text = cast(ViolationCase.evidence, String)
    matches = or_(*(text.like(f"%{n}%") for n in (order_id, *ring_ids)))
    q = (select(ViolationCase.id, ViolationCase.evidence).where(ViolationCase.evidence.is_not(None), matches)
         .order_by(ViolationCase.id))
    rings = set(ring_ids)
    return [case_id for case_id, evidence in (await s.execute(q)).all() if _names_order(evidence, order_id, rings)]


async def review_grounds(s: AsyncSession, order_id: int) -> list[str]:
    """Every dispute, counterfeit claim, fraud ring and case this order is part of."""
    rings = await _rings_of_order(s, order_id)
    cases = await _cases_of_order(s, order_id, rings)
    return (await aftersale_requests.arbitration_of_order(s, order_id) + [f"ring #{r}" for r in rings]
            + [f"case #{c}" for c in cases])


async def read_order(s: AsyncSession, operator: User, order_id: int) -> OrderReview:
    """An operator opens an order to judge it; the read is in the audit log like any decision."""
    require_role(operator, "operator")
    view = await order_view_for_review(s, operator, order_id)  # 404 before 403: the order exists
    grounds = await review_grounds(s, order_id)
    if not grounds:
        raise NotYourOrder("that order is in no dispute, claim or case you could be handling")
    await audit.record(s, operator.id, "order.read", "order", order_id, "; ".join(grounds), {"grounds": grounds})
    return OrderReview(view, grounds, await aftersale_requests.for_order_review(s, operator, order_id))
