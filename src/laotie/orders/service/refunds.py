"""Refunds of paid orders, whole or partial, and payouts of compensation to buyers.

The order's `refunded` total moves by a conditional UPDATE (and a database check), so no
sequence of refunds, however concurrent, returns more than was paid. The ledger reverses
the merchant's share and the platform's commission pro rata: after refunds totalling R
of an order of total T and commission C, the commission reversed is exactly C·R // T, so
partial refunds add up to the whole commission when everything is refunded. The money
comes back from the merchant's pending balance before the order completes and from its
available balance after (which may go below zero: the merchant then owes it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.kit.errors import Message
from laotie.kit.events import record_event
from laotie.ledger import accounts as acct
from laotie.ledger.service import Line, post_entry
from laotie.models import Order, PaymentRefund
from laotie.orders import hooks
from laotie.orders.errors import RefundExceedsPaid, WrongOrderState
from laotie.orders.gateway import gateway_for

REFUNDABLE = ("paid", "shipped", "delivered", "completed")


def commission_reversed(total: int, commission: int, refunded: int) -> int:
    return commission * refunded // total if total else 0


def settled_net(order_total: int, commission: int, refunded: int) -> int:
    """What the merchant is owed for an order after its refunds: the rest of the total less the rest of 扣点."""
    return (order_total - refunded) - (commission - commission_reversed(order_total, commission, refunded))


@dataclass(frozen=True)
class Refunded:
    order_id: int
    amount: int
    commission: int
    refunded_total: int
    fully: bool
    gateway_ref: str


async def refund_order(s: AsyncSession, settings: Settings, order_id: int, amount: int, *, reason: str,
                       ref: str) -> Refunded:
    """Give `amount` of a paid order back to its buyer through the gateway. `ref` makes it once-only."""
    if amount <= 0:
        raise RefundExceedsPaid("a refund is a positive amount", field="amount")
    moved = (await s.execute(
        update(Order).where(Order.id == order_id, Order.status.in_(REFUNDABLE),
                            Order.refunded + amount <= Order.total)
        .values(refunded=Order.refunded + amount)
        .returning(Order.status, Order.total, Order.commission, Order.refunded, Order.shop_id, Order.buyer_id,
                   Order.payment_id)
    )).first()
    if moved is None:
        order = await s.get(Order, order_id, populate_existing=True)
        if order is None or order.status not in REFUNDABLE:
            raise WrongOrderState("only a paid order can be refunded")
        left = order.total - order.refunded
        raise RefundExceedsPaid(Message("at most ¥%(refundable)s of this order is left to refund",
                                        {"refundable": f"{left / 100:.2f}"}), field="amount", refundable=left)
    status, total, commission, after, shop_id, buyer_id, payment_id = moved
    before = after - amount
    back_commission = commission_reversed(total, commission, after) - commission_reversed(total, commission, before)
    merchant = acct.shop_available(shop_id) if status == "completed" else acct.shop_pending(shop_id)
    lines: list[Line] = [
        (merchant, amount - back_commission),
        (acct.COMMISSION_REVENUE, back_commission),
        (acct.buyer_refund_payable(buyer_id), -amount),
    ]
    await post_entry(s, "order.refunded", ref, lines, memo=f"refund on order {order_id}: {reason}")
    for hook in hooks.registered():
        await hook.refunded(s, order_id, after, completed=status == "completed")
    gateway_ref = gateway_for(settings).refund(payment_id, amount, reason)
    s.add(PaymentRefund(payment_id=payment_id, order_id=order_id, amount=amount, reason=reason[:80],
                        gateway_ref=gateway_ref))
    await s.flush()
    await post_entry(s, "refund.paid", ref, [
        (acct.buyer_refund_payable(buyer_id), amount),
        (acct.GATEWAY_CLEARING, -amount),
    ], memo=f"refund {gateway_ref}")
    await record_event(s, "order.refunded", {"order_id": order_id, "amount": amount, "refunded_total": after,
                                             "reason": reason})
    return Refunded(order_id, amount, back_commission, after, after == total, gateway_ref)


async def pay_compensation(s: AsyncSession, settings: Settings, *, buyer_id: int, amount: int, source: tuple[str, str],
                           kind: str, ref: str, memo: str) -> str:
    """Pay a buyer `amount` from `source` (the platform's guarantee budget, a merchant's balance or deposit).

    Two entries, each once per (kind, ref): the source owes the buyer, then the gateway pays them.
    """
    await post_entry(s, kind, ref, [(source, amount), (acct.buyer_refund_payable(buyer_id), -amount)], memo=memo)
    gateway_ref = gateway_for(settings).payout(buyer_id, amount, kind)
    await post_entry(s, "payout.paid", f"{kind}:{ref}", [
        (acct.buyer_refund_payable(buyer_id), amount),
        (acct.GATEWAY_CLEARING, -amount),
    ], memo=f"payout {gateway_ref}: {memo}")
    await record_event(s, "buyer.compensated", {"buyer_id": buyer_id, "amount": amount, "kind": kind, "ref": ref})
    return gateway_ref
