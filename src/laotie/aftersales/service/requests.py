"""After-sale requests (售后): refund only, return and refund, exchange; the guarantees that decide at once.

    requested ──approve──► refunded (refund only) | awaiting_return (return, exchange)
        │  └─reject──► rejected ──escalate──► disputed ──arbitrate──► (as approved) | closed
        └─(48 h silent)► approved                    └─(7 days)► closed
    awaiting_return ──buyer ships──► return_shipped ──merchant confirms (or 7 days)──► refunded | exchanged
        └─(7 days without shipping)► closed
    requested / awaiting_return ──buyer cancels──► cancelled

Each transition is one conditional UPDATE from the expected state, so a merchant's click
and the deadline job racing each other cannot both act. Money moves only through
`orders.service.refunds`, which never refunds more than was paid.

Guarantees (信任购) decide at request time: an unshipped order up to ¥300 of a buyer in
good standing is refunded at once (极速退款); on shops that opt in, a delivered order under
the shop's threshold is refunded without the goods going back (退款不退货). An approved
return pays the buyer the return-shipping compensation (退货补运费), funded by the shop or
the platform as the shop's policy says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.aftersales import repository
from laotie.aftersales.errors import (
    AftersaleInvalid,
    AftersaleNotAllowed,
    AftersaleNotFound,
    AftersaleOpen,
    AftersaleWrongState,
    NotYourAftersale,
)
from laotie.aftersales.standing import standing
from laotie.catalog import service as catalog
from laotie.config import Settings
from laotie.identity.auth import require_role
from laotie.kit.errors import Message
from laotie.kit.events import record_event
from laotie.ledger import accounts as acct
from laotie.models import Aftersale, Order, OrderLine, User, utcnow
from laotie.orders.auth import ensure_buyer, ensure_seller
from laotie.orders.service import lifecycle, refunds
from laotie.orders.service.lifecycle import TRACKING

KINDS = ("refund_only", "return_refund", "exchange")
REASONS = ("no_reason", "quality", "not_as_described", "wrong_item", "damaged", "not_received", "other")
AFTER_SHIPPING = ("shipped", "delivered", "completed")


async def get_aftersale(s: AsyncSession, aftersale_id: int) -> Aftersale:
    a = await s.get(Aftersale, aftersale_id, populate_existing=True)
    if a is None:
        raise AftersaleNotFound("no such after-sale request")
    return a


async def _mine(s: AsyncSession, buyer: User, aftersale_id: int) -> Aftersale:
    a = await get_aftersale(s, aftersale_id)
    if a.buyer_id != buyer.id:
        raise NotYourAftersale("that is not your request")
    return a


async def _shops(s: AsyncSession, merchant: User, aftersale_id: int) -> Aftersale:
    a = await get_aftersale(s, aftersale_id)
    await _ensure_shop(s, merchant, a)
    return a


async def _ensure_shop(s: AsyncSession, merchant: User, a: Aftersale) -> None:
    shop = await catalog.my_shop(s, merchant)
    if a.shop_id != shop.id:
        raise NotYourAftersale("that request is not for your shop")


async def _move(s: AsyncSession, a: Aftersale, from_states: tuple[str, ...], to: str, **values: Any) -> None:
    """One conditional UPDATE; refuses if someone else moved the request first."""
    moved = await s.execute(update(Aftersale).where(Aftersale.id == a.id, Aftersale.status.in_(from_states))
                            .values(status=to, **values).returning(Aftersale.id))
    if moved.first() is None:
        await s.refresh(a)
        raise AftersaleWrongState(f"this request is {a.status}")
    await s.refresh(a)


def _refundable_amount(order: Order, line: OrderLine | None) -> int:
    left = order.total - order.refunded
    if line is None:
        return left
    return min(left, line.amount - line.discount)


async def request_aftersale(s: AsyncSession, settings: Settings, buyer: User, order_id: int, *, kind: str,
                            reason: str, amount: int | None = None, line_id: int | None = None,
                            description: str = "") -> Aftersale:
    """The buyer asks; a guarantee may settle it on the spot."""
    if kind not in KINDS:
        raise AftersaleInvalid("kind is refund_only, return_refund or exchange", field="kind")
    if reason not in REASONS:
        raise AftersaleInvalid(f"reason is one of {', '.join(REASONS)}", field="reason")
    # Locks the order row on PostgreSQL, so two requests for one order are taken one at a time.
    order = (await s.execute(select(Order).where(Order.id == order_id).with_for_update())).scalar_one_or_none()
    if order is None:
        raise AftersaleNotFound("no such order", field="order_id")
    ensure_buyer(buyer, order)
    now = utcnow()
    await _check_allowed(settings, order, kind, now)
    if await repository.open_for_order(s, order.id) is not None:
        raise AftersaleOpen("this order already has a request in progress")
    line = None
    if line_id is not None:
        line = await s.get(OrderLine, line_id)
        if line is None or line.order_id != order.id:
            raise AftersaleInvalid("that line is not part of this order", field="line_id")
    most = _refundable_amount(order, line)
    if kind == "exchange":
        amount = 0
    else:
        amount = most if amount is None else amount
        if not 1 <= amount <= most:
            raise AftersaleInvalid(Message("the refund is between ¥0.01 and ¥%(refundable)s",
                                           {"refundable": f"{most / 100:.2f}"}), field="amount", refundable=most)
    a = Aftersale(order_id=order.id, order_line_id=line.id if line else None, buyer_id=buyer.id,
                  shop_id=order.shop_id, kind=kind, reason=reason, description=description[:500], amount=amount,
                  status="requested", deadline=now + timedelta(hours=settings.aftersale_merchant_hours))
    s.add(a)
    await s.flush()
    await record_event(s, "aftersale.requested", {"aftersale_id": a.id, "order_id": order.id, "shop_id": a.shop_id,
                                                  "kind": kind, "amount": amount})
    guarantee = await _guarantee(s, settings, buyer, order, a, now)
    if guarantee is not None:
        await _approve(s, settings, a, decided_by=None, guarantee=guarantee)
    return a


async def _check_allowed(settings: Settings, order: Order, kind: str, now: datetime) -> None:
    if order.status == "paid":
        if kind != "refund_only":
            raise AftersaleNotAllowed("nothing has shipped yet: ask for a refund")
        return
    if order.status not in AFTER_SHIPPING:
        raise AftersaleNotAllowed(f"an order that is {order.status} has nothing to refund")
    if kind == "exchange" and order.status == "shipped":
        raise AftersaleNotAllowed("an exchange is for goods you have received")
    received = order.delivered_at or order.completed_at
    if received is not None and now - received > timedelta(days=settings.aftersale_window_days):
        raise AftersaleNotAllowed("after-sales close %(window_days)s days after delivery",
                                  window_days=settings.aftersale_window_days)
    if order.refunded >= order.total and kind != "exchange":
        raise AftersaleNotAllowed("this order has been refunded in full")


async def _guarantee(s: AsyncSession, settings: Settings, buyer: User, order: Order, a: Aftersale,
                     now: datetime) -> str | None:
    """The guarantee that settles this request at once, if any applies."""
    if a.kind == "refund_only" and order.status == "paid" and a.amount == order.total - order.refunded \
            and order.total <= settings.instant_refund_max:
        return "instant" if (await standing(s, settings, buyer, now)).good else None
    if a.kind == "return_refund" and order.status in ("delivered", "completed"):
        policy = await repository.policy(s, order.shop_id)
        if policy.refund_without_return and order.total <= policy.no_return_threshold:
            return "no_return" if (await standing(s, settings, buyer, now)).good else None
    return None


async def _approve(s: AsyncSession, settings: Settings, a: Aftersale, *, decided_by: int | None,
                   guarantee: str | None = None, from_states: tuple[str, ...] = ("requested",)) -> None:
    now = utcnow()
    refund_now = a.kind == "refund_only" or guarantee == "no_return"
    if refund_now:
        await _move(s, a, from_states, "refunded", decided_by=decided_by, decided_at=now, guarantee=guarantee,
                    deadline=None, closed_at=now)
        await _pay_refund(s, settings, a)
    else:
        await _move(s, a, from_states, "awaiting_return", decided_by=decided_by, decided_at=now,
                    deadline=now + timedelta(days=settings.aftersale_return_days))
    await record_event(s, "aftersale.approved", {"aftersale_id": a.id, "order_id": a.order_id, "shop_id": a.shop_id,
                                                 "by": decided_by, "guarantee": guarantee,
                                                 "refunded": a.refunded})


async def _pay_refund(s: AsyncSession, settings: Settings, a: Aftersale) -> None:
    done = await refunds.refund_order(s, settings, a.order_id, a.amount, reason=f"aftersale {a.kind}",
                                      ref=f"aftersale:{a.id}")
    await s.execute(update(Aftersale).where(Aftersale.id == a.id).values(refunded=done.amount))
    order = await lifecycle.get_order(s, a.order_id)
    if done.fully and order.status == "paid":
        await lifecycle.close_refunded(s, a.order_id)  # nothing shipped: the goods go back on sale
    await s.refresh(a)
    await record_event(s, "aftersale.refunded", {"aftersale_id": a.id, "order_id": a.order_id, "shop_id": a.shop_id,
                                                 "amount": done.amount, "guarantee": a.guarantee})


async def decide(s: AsyncSession, settings: Settings, merchant: User, aftersale_id: int, *, approve: bool,
                 reason: str = "") -> Aftersale:
    """The merchant answers a request (within 48 hours, or the deadline job approves it)."""
    a = await _shops(s, merchant, aftersale_id)
    if approve:
        await _approve(s, settings, a, decided_by=merchant.id)
        return a
    if not reason.strip():
        raise AftersaleInvalid("say why the request is rejected", field="reason")
    now = utcnow()
    await _move(s, a, ("requested",), "rejected", decided_by=merchant.id, decided_at=now,
                reject_reason=reason.strip()[:300], deadline=now + timedelta(days=settings.aftersale_dispute_days))
    await record_event(s, "aftersale.rejected", {"aftersale_id": a.id, "order_id": a.order_id, "shop_id": a.shop_id})
    return a


async def ship_return(s: AsyncSession, settings: Settings, buyer: User, aftersale_id: int, *, carrier: str,
                      tracking_no: str) -> Aftersale:
    a = await _mine(s, buyer, aftersale_id)
    if not carrier.strip():
        raise AftersaleInvalid("name the carrier", field="carrier")
    if not TRACKING.match(tracking_no):
        raise AftersaleInvalid("tracking numbers are 4–60 letters, digits or '-'", field="tracking_no")
    await _move(s, a, ("awaiting_return",), "return_shipped", return_carrier=carrier.strip()[:40],
                return_tracking=tracking_no, deadline=utcnow() + timedelta(days=settings.aftersale_receive_days))
    await record_event(s, "aftersale.return_shipped", {"aftersale_id": a.id, "order_id": a.order_id,
                                                       "shop_id": a.shop_id})
    return a


async def confirm_return(s: AsyncSession, settings: Settings, merchant: User | None, aftersale_id: int) -> Aftersale:
    """The returned goods arrived (the merchant says so, or the deadline passes): refund, or exchange done."""
    a = await (_shops(s, merchant, aftersale_id) if merchant is not None else get_aftersale(s, aftersale_id))
    now = utcnow()
    to = "exchanged" if a.kind == "exchange" else "refunded"
    await _move(s, a, ("return_shipped",), to, deadline=None, closed_at=now)
    if a.kind != "exchange":
        await _pay_refund(s, settings, a)
    await _compensate_shipping(s, settings, a)
    await record_event(s, "aftersale.return_received", {"aftersale_id": a.id, "order_id": a.order_id,
                                                        "shop_id": a.shop_id, "by": merchant.id if merchant else None})
    return a


async def _compensate_shipping(s: AsyncSession, settings: Settings, a: Aftersale) -> None:
    """退货补运费: the buyer paid to send the goods back; the shop's insurance or the platform pays it."""
    amount = settings.return_shipping_compensation
    if amount <= 0:
        return
    policy = await repository.policy(s, a.shop_id)
    order = await lifecycle.get_order(s, a.order_id)
    if policy.return_shipping_funded_by == "merchant":
        source = acct.shop_available(a.shop_id) if order.status == "completed" else acct.shop_pending(a.shop_id)
    else:
        source = acct.GUARANTEE_EXPENSE
    await refunds.pay_compensation(s, settings, buyer_id=a.buyer_id, amount=amount, source=source,
                                   kind="return_shipping", ref=f"aftersale:{a.id}",
                                   memo=f"return shipping for after-sale {a.id}")
    await s.execute(update(Aftersale).where(Aftersale.id == a.id).values(shipping_compensation=amount))
    await s.refresh(a)


async def cancel(s: AsyncSession, buyer: User, aftersale_id: int) -> Aftersale:
    a = await _mine(s, buyer, aftersale_id)
    await _move(s, a, ("requested", "awaiting_return", "rejected"), "cancelled", deadline=None, closed_at=utcnow())
    await record_event(s, "aftersale.cancelled", {"aftersale_id": a.id, "order_id": a.order_id})
    return a


async def escalate(s: AsyncSession, buyer: User, aftersale_id: int) -> Aftersale:
    """After a rejection the buyer may ask the platform to arbitrate (平台介入)."""
    a = await _mine(s, buyer, aftersale_id)
    await _move(s, a, ("rejected",), "disputed", dispute="open", deadline=None)
    await record_event(s, "aftersale.disputed", {"aftersale_id": a.id, "order_id": a.order_id, "shop_id": a.shop_id})
    return a


async def arbitrate(s: AsyncSession, settings: Settings, operator: User, aftersale_id: int, *, for_buyer: bool,
                    reason: str) -> Aftersale:
    """An operator settles a dispute; the merchant losing it counts against its service score."""
    if not operator.has_role("operator"):
        raise NotYourAftersale("only operators arbitrate")
    if not reason.strip():
        raise AftersaleInvalid("give the reason for the decision", field="reason")
    a = await get_aftersale(s, aftersale_id)
    if for_buyer:
        await s.execute(update(Aftersale).where(Aftersale.id == a.id, Aftersale.status == "disputed")
                        .values(dispute="buyer_won"))
        await _approve(s, settings, a, decided_by=operator.id, from_states=("disputed",))
    else:
        await _move(s, a, ("disputed",), "closed", dispute="merchant_won", decided_by=operator.id,
                    decided_at=utcnow(), closed_at=utcnow())
    await record_event(s, "aftersale.arbitrated", {"aftersale_id": a.id, "order_id": a.order_id, "shop_id": a.shop_id,
                                                   "for_buyer": for_buyer, "by": operator.id, "reason": reason[:300]})
    return a


async def view(s: AsyncSession, user: User, aftersale_id: int) -> Aftersale:
    """A request as its buyer or its shop sees it; anyone else is refused."""
    a = await get_aftersale(s, aftersale_id)
    if a.buyer_id != user.id:
        await _ensure_shop(s, user, a)
    return a


async def for_order(s: AsyncSession, user: User, order_id: int) -> list[Aftersale]:
    order = await lifecycle.get_order(s, order_id)
    if order.buyer_id != user.id:
        await ensure_seller(s, user, order)
    return list(await repository.of_order(s, order_id))


MAX_PHOTOS = 6


async def add_request_photos(s: AsyncSession, buyer: User, aftersale_id: int, images: Sequence[bytes], *,
                             media_dir: Path, max_bytes: int) -> Aftersale:
    """Photos of what is wrong, on the buyer's own request: for the shop and, in a dispute, the operator."""
    a = await get_aftersale(s, aftersale_id)
    if a.buyer_id != buyer.id:
        raise NotYourAftersale("that is not your request")
    have = list(a.evidence or [])
    if len(have) + len(images) > MAX_PHOTOS:
        raise AftersaleInvalid("at most %(max_photos)s photos per request", field="images", max_photos=MAX_PHOTOS)
    a.evidence = have + catalog.store_photos(images, media_dir=media_dir, folder=f"aftersales/{a.id}",
                                             max_bytes=max_bytes)
    await s.flush()
    return a


async def arbitration_of_order(s: AsyncSession, order_id: int) -> list[str]:
    """What puts this order before an operator here: its disputes ("dispute #3") and its counterfeit claim."""
    grounds = [f"dispute #{i}" for i in await repository.disputed_of_order(s, order_id)]
    claim = await repository.claim_of_order(s, order_id)
    return grounds + ([f"claim #{claim}"] if claim is not None else [])


async def for_order_review(s: AsyncSession, operator: User, order_id: int) -> list[Aftersale]:
    """An order's requests for the operator reviewing it (governance decides whether they may)."""
    require_role(operator, "operator")
    return list(await repository.of_order(s, order_id))


# ---- deadlines (run by aftersales.deadlines) ----------------------------------------------


async def lapse(s: AsyncSession, settings: Settings, aftersale_id: int, now: datetime) -> str | None:
    """Apply the deadline of a request's current state; returns what happened, if anything."""
    a = await get_aftersale(s, aftersale_id)
    if a.deadline is None or a.deadline > now:
        return None
    if a.status == "requested":
        await _approve(s, settings, a, decided_by=None)
        return "approved"
    if a.status == "awaiting_return":
        await _move(s, a, ("awaiting_return",), "closed", deadline=None, closed_at=now)
        await record_event(s, "aftersale.closed", {"aftersale_id": a.id, "order_id": a.order_id,
                                                   "why": "return_not_shipped"})
        return "closed"
    if a.status == "return_shipped":
        await confirm_return(s, settings, None, a.id)
        return "received"
    if a.status == "rejected":
        await _move(s, a, ("rejected",), "closed", deadline=None, closed_at=now)
        return "closed"
    return None
