"""Payments: verify gateway notifications, mark orders paid, refund late money.

Every notification is checked (signature, amount, currency) and applied with
conditional updates, so the same notification twice is one payment, and a
payment arriving after its order was cancelled is refunded, not resurrected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.kit.events import record_event, record_events
from laotie.ledger import service as ledger
from laotie.models import Order, Payment, PaymentRefund, User, utcnow
from laotie.orders import hooks, repository
from laotie.orders.errors import AmountMismatch, NotYourOrder, PaymentNotFound, WrongOrderState
from laotie.orders.gateway import Notification, PaymentGateway, gateway_for

# A payment for something other than orders (coins, a deposit) is delivered by the domain that
# sold it: that domain registers its purpose here, and its settler runs in the same transaction
# that marks the payment succeeded, so money received and goods delivered are one fact.
Settler = Callable[[AsyncSession, Payment], Awaitable[None]]
SETTLERS: dict[str, Settler] = {}
# Where the buyer goes after paying, by purpose: "{payment_id}" is filled in.
RETURN_PAGES: dict[str, str] = {}


def register_purpose(purpose: str, settle: Settler, return_page: str) -> None:
    SETTLERS[purpose] = settle
    RETURN_PAGES[purpose] = return_page


async def open_payment(s: AsyncSession, settings: Settings, buyer_id: int, amount: int, purpose: str) -> Payment:
    """A pending payment for a registered purpose; the buyer pays it at the gateway's pay URL."""
    if purpose not in SETTLERS:
        raise ValueError(f"no settler registered for payments of purpose {purpose!r}")
    payment = Payment(buyer_id=buyer_id, amount=amount, currency=settings.currency,
                      gateway=gateway_for(settings).name, purpose=purpose)
    s.add(payment)
    await s.flush()
    return payment


@dataclass(frozen=True)
class NotificationOutcome:
    payment_id: int
    result: str  # "paid" | "already_processed" | "declined" | "refunded_duplicate"
    paid_order_ids: list[int]
    refunded_order_ids: list[int]


async def handle_notification(
    s: AsyncSession, settings: Settings, body: bytes, signature: str | None
) -> NotificationOutcome:
    """The one entry point for gateway callbacks, over HTTP or from the sandbox."""
    gateway = gateway_for(settings)
    note = gateway.verify(body, signature)
    payment = await repository.payment(s, note.payment_id)
    if payment is None:
        raise PaymentNotFound("no such payment", field="payment_id")
    if note.amount != payment.amount or note.currency != payment.currency:
        raise AmountMismatch(
            "notification amount or currency does not match the payment",
            expected=payment.amount, got=note.amount,
        )
    if note.status == "declined":
        if payment.status == "pending":
            payment.last_decline = note.reason or "declined"
        await record_event(s, "payment.declined", {"payment_id": payment.id, "reason": note.reason})
        return NotificationOutcome(payment.id, "declined", [], [])
    return await _apply_success(s, gateway, payment, note)


async def _apply_success(s: AsyncSession, gateway: PaymentGateway, payment: Payment, note: Notification
                         ) -> NotificationOutcome:
    now = utcnow()
    won = await s.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status == "pending")
        .values(status="succeeded", gateway_ref=note.gateway_ref, succeeded_at=now, last_decline=None)
        .returning(Payment.id)
    )
    if won.first() is None:
        await s.refresh(payment)
        if payment.gateway_ref == note.gateway_ref:
            return NotificationOutcome(payment.id, "already_processed", [], [])
        # A second, different charge for a payment already paid: send it back.
        await _refund(s, gateway, payment, None, payment.amount, "duplicate_charge", note.gateway_ref)
        return NotificationOutcome(payment.id, "refunded_duplicate", [], [])

    if payment.purpose != "orders":
        await SETTLERS[payment.purpose](s, payment)
        await record_event(s, "payment.succeeded", {"payment_id": payment.id, "purpose": payment.purpose})
        return NotificationOutcome(payment.id, "paid", [], [])
    paid_ids = await _mark_orders_paid(s, payment, now)
    refunded = []
    for order in await repository.orders_of_payment(s, payment.id):
        if order.status == "cancelled":
            await _refund(s, gateway, payment, order.id, order.total, "paid_after_cancel", note.gateway_ref)
            refunded.append(order.id)
    return NotificationOutcome(payment.id, "paid", paid_ids, refunded)


async def _mark_orders_paid(s: AsyncSession, payment: Payment, now: datetime) -> list[int]:
    paid = (await s.execute(
        update(Order).where(Order.payment_id == payment.id, Order.status == "pending_payment")
        .values(status="paid", paid_at=now)
        .returning(Order.id, Order.shop_id, Order.total, Order.commission)
    )).all()
    paid_ids = sorted(int(r[0]) for r in paid)
    for order_id, shop_id, total, commission in sorted(paid):
        await ledger.record_order_paid(s, order_id=order_id, shop_id=shop_id, total=total, commission=commission)
    for hook in hooks.registered():
        await hook.paid(s, paid_ids)
    lines = await repository.lines_of(s, paid_ids)
    await record_events(s, [
        ("order.paid", {"order_id": oid, "payment_id": payment.id,
                        "products": _product_quantities(lines[oid])})
        for oid in paid_ids
    ])
    return paid_ids


async def settle_free_payment(s: AsyncSession, payment_id: int) -> list[int]:
    """A ¥0 payment (a lucky-bag prize) is paid at once: no gateway, and the ledger records nothing.

    The orders still go through `order.paid` like any other, so shipping, receipt and
    sales counts treat a prize exactly as a sale; `post_entry` skips the zero-value entry.
    """
    payment = await repository.payment(s, payment_id)
    if payment is None:
        raise PaymentNotFound("no such payment")
    if payment.amount != 0:
        raise AmountMismatch("only a ¥0 payment settles without a gateway", expected=0, got=payment.amount)
    now = utcnow()
    won = await s.execute(update(Payment).where(Payment.id == payment.id, Payment.status == "pending")
                          .values(status="succeeded", gateway_ref=f"free:{payment.id}", succeeded_at=now)
                          .returning(Payment.id))
    if won.first() is None:
        return []
    return await _mark_orders_paid(s, payment, now)


def _product_quantities(lines: list) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in lines:
        out[str(line.product_id)] = out.get(str(line.product_id), 0) + line.quantity
    return out


async def _refund(s: AsyncSession, gateway: PaymentGateway, payment: Payment, order_id: int | None, amount: int,
                  reason: str, charge_ref: str) -> None:
    ref = gateway.refund(payment.id, amount, reason)
    s.add(PaymentRefund(payment_id=payment.id, order_id=order_id, amount=amount, reason=reason, gateway_ref=ref))
    await s.flush()
    await ledger.record_unmatched_payment_refunded(
        s, ref=f"{charge_ref}:{order_id or 'all'}", buyer_id=payment.buyer_id, amount=amount,
        memo=f"{reason} on payment {payment.id}",
    )
    await record_event(s, "payment.refunded", {"payment_id": payment.id, "order_id": order_id,
                                               "amount": amount, "reason": reason})


# ---- the sandbox gateway's own pay page -------------------------------------------


async def payment_for_buyer(s: AsyncSession, buyer: User, payment_id: int) -> Payment:
    payment = await repository.payment(s, payment_id)
    if payment is None:
        raise PaymentNotFound("no such payment")
    if payment.buyer_id != buyer.id:
        raise NotYourOrder("that is not your payment")
    return payment


async def sandbox_decide(s: AsyncSession, settings: Settings, buyer: User, payment_id: int, approve: bool) -> None:
    """The buyer approves or declines on the sandbox page; the sandbox then notifies us.

    The notification is sent after commit (as an outbox event), signed, and goes
    through `handle_notification` exactly as a real gateway's callback would.
    """
    payment = await payment_for_buyer(s, buyer, payment_id)
    if payment.status != "pending":
        raise WrongOrderState("this payment is already complete")
    await record_event(s, "sandbox.charge_decided", {
        "payment_id": payment.id, "amount": payment.amount, "currency": payment.currency,
        "status": "succeeded" if approve else "declined", "reason": "" if approve else "declined by buyer",
    })
