"""Counterfeit claims (假一赔十): the buyer files with evidence, an operator decides.

Upheld: the buyer gets back what is left of the order and is paid ten times the order's
price from the merchant's deposit (which may go below zero and then freezes the shop's new
listings), and `claim.upheld` is recorded so governance opens a counterfeit violation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.aftersales import repository
from laotie.aftersales.errors import AftersaleInvalid, AftersaleNotAllowed, ClaimExists, ClaimNotFound
from laotie.config import Settings
from laotie.kit.db import dialect_insert
from laotie.kit.errors import Forbidden
from laotie.kit.events import record_event
from laotie.ledger import accounts as acct
from laotie.models import CounterfeitClaim, User, utcnow
from laotie.orders.auth import ensure_buyer
from laotie.orders.service import lifecycle, refunds

MAX_EVIDENCE = 9


async def file_claim(s: AsyncSession, settings: Settings, buyer: User, order_id: int, statement: str,
                     evidence: Sequence[str] = ()) -> CounterfeitClaim:
    order = await lifecycle.get_order(s, order_id)
    ensure_buyer(buyer, order)
    if order.status not in ("delivered", "completed"):
        raise AftersaleNotAllowed("a counterfeit claim is for goods you have received")
    received = order.delivered_at or order.completed_at
    if received is not None and utcnow() - received > timedelta(days=90):
        raise AftersaleNotAllowed("counterfeit claims close 90 days after delivery")
    if len(statement.strip()) < 10:
        raise AftersaleInvalid("describe why the goods are fake (at least 10 characters)", field="statement")
    if len(evidence) > MAX_EVIDENCE:
        raise AftersaleInvalid("at most %(max_pictures)s pictures", field="evidence", max_pictures=MAX_EVIDENCE)
    inserted = await s.execute(
        dialect_insert(s, CounterfeitClaim).values(
            order_id=order.id, buyer_id=buyer.id, shop_id=order.shop_id, statement=statement.strip()[:2000],
            evidence=list(evidence), status="filed", refunded=0, compensation=0, created_at=utcnow())
        .on_conflict_do_nothing().returning(CounterfeitClaim.id))
    claim_id = inserted.scalar()
    if claim_id is None:
        raise ClaimExists("this order already has a counterfeit claim")
    await record_event(s, "claim.filed", {"claim_id": claim_id, "order_id": order.id, "shop_id": order.shop_id})
    claim = await s.get(CounterfeitClaim, claim_id)
    assert claim is not None
    return claim


async def get_claim(s: AsyncSession, claim_id: int) -> CounterfeitClaim:
    claim = await s.get(CounterfeitClaim, claim_id, populate_existing=True)
    if claim is None:
        raise ClaimNotFound("no such claim")
    return claim


async def decide_claim(s: AsyncSession, settings: Settings, operator: User, claim_id: int, *, uphold: bool,
                       reason: str) -> CounterfeitClaim:
    if not operator.has_role("operator"):
        raise Forbidden("only operators decide counterfeit claims")
    if not reason.strip():
        raise AftersaleInvalid("give the reason for the decision", field="reason")
    claim = await get_claim(s, claim_id)
    now = utcnow()
    moved = await s.execute(update(CounterfeitClaim)
                            .where(CounterfeitClaim.id == claim.id, CounterfeitClaim.status == "filed")
                            .values(status="upheld" if uphold else "rejected", decided_by=operator.id,
                                    decided_at=now, decision_reason=reason.strip()[:500])
                            .returning(CounterfeitClaim.id))
    if moved.first() is None:
        raise ClaimExists(f"this claim was already {claim.status}")
    if not uphold:
        await record_event(s, "claim.rejected", {"claim_id": claim.id, "order_id": claim.order_id,
                                                 "shop_id": claim.shop_id, "by": operator.id})
        await s.refresh(claim)
        return claim
    order = await lifecycle.get_order(s, claim.order_id)
    left = order.total - order.refunded
    if left > 0:
        await refunds.refund_order(s, settings, order.id, left, reason="counterfeit", ref=f"claim:{claim.id}")
    compensation = order.total * settings.counterfeit_multiple
    await refunds.pay_compensation(s, settings, buyer_id=claim.buyer_id, amount=compensation,
                                   source=acct.shop_deposit(claim.shop_id), kind="claim.compensation",
                                   ref=f"claim:{claim.id}", memo=f"假一赔十 on order {order.id}")
    await s.execute(update(CounterfeitClaim).where(CounterfeitClaim.id == claim.id)
                    .values(refunded=left, compensation=compensation))
    await record_event(s, "claim.upheld", {"claim_id": claim.id, "order_id": order.id, "shop_id": claim.shop_id,
                                           "buyer_id": claim.buyer_id, "compensation": compensation,
                                           "by": operator.id, "reason": reason.strip()[:300]})
    await s.refresh(claim)
    return claim


async def queue(s: AsyncSession, operator: User, status: str | None = "filed") -> Sequence[CounterfeitClaim]:
    if not operator.has_role("operator"):
        raise Forbidden("only operators see the claims queue")
    return await repository.claims(s, status)
