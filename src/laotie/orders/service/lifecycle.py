"""Order state changes after checkout: cancel, ship, deliver, confirm receipt, complete.

pending_payment → paid → shipped → delivered → completed, and pending_payment →
cancelled. Each change is one conditional UPDATE on the current state, so two
actors racing (buyer cancels while the payment lands) cannot both win.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.events import record_event
from laotie.ledger import service as ledger
from laotie.models import Order, Sku, User, utcnow
from laotie.orders import hooks, repository
from laotie.orders.auth import ensure_buyer, ensure_seller
from laotie.orders.errors import OrderNotFound, WrongOrderState
from laotie.orders.service.checkout import release_purchase_allowance
from laotie.orders.service.refunds import settled_net

TRACKING = re.compile(r"^[A-Za-z0-9-]{4,60}$")


async def get_order(s: AsyncSession, order_id: int) -> Order:
    order = await s.get(Order, order_id)
    if order is None:
        raise OrderNotFound("no such order")
    return order


async def _transition(s: AsyncSession, order: Order, from_states: tuple[str, ...], to: str, **values: Any) -> bool:
    moved = await s.execute(
        update(Order).where(Order.id == order.id, Order.status.in_(from_states))
        .values(status=to, **values).returning(Order.id)
    )
    ok = moved.first() is not None
    await s.refresh(order)
    return ok


async def cancel_order(s: AsyncSession, order_id: int, *, reason: str, buyer: User | None = None) -> Order:
    """Cancel an unpaid order and give its stock and purchase allowance back."""
    order = await get_order(s, order_id)
    if buyer is not None:
        ensure_buyer(buyer, order)
    if not await _transition(s, order, ("pending_payment",), "cancelled", cancelled_at=utcnow(),
                             cancel_reason=reason):
        raise WrongOrderState(f"an order that is {order.status} cannot be cancelled")
    await _restock(s, order, reason)
    return order


async def close_refunded(s: AsyncSession, order_id: int) -> Order:
    """A paid order refunded in full before it shipped is closed (交易关闭) and its stock goes back."""
    order = await get_order(s, order_id)
    if order.refunded != order.total:
        raise WrongOrderState("only a fully refunded order is closed")
    if not await _transition(s, order, ("paid",), "cancelled", cancelled_at=utcnow(), cancel_reason="refunded"):
        raise WrongOrderState(f"an order that is {order.status} cannot be closed")
    await _restock(s, order, "refunded")
    return order


async def _restock(s: AsyncSession, order: Order, reason: str) -> None:
    lines = (await repository.lines_of(s, [order.id]))[order.id]
    quantities: dict[int, int] = {}
    limited: dict[int, int] = {}  # flash lines were capped by their flash, not the SKU's limit
    for line in lines:
        quantities[line.sku_id] = quantities.get(line.sku_id, 0) + line.quantity
        if line.flash_id is None:
            limited[line.sku_id] = limited.get(line.sku_id, 0) + line.quantity
    # Every unit goes back to the SKU, flash units included: the flash's unsold rest
    # returns separately when it closes, so nothing is counted twice.
    for sku_id in sorted(quantities):
        await s.execute(update(Sku).where(Sku.id == sku_id).values(stock=Sku.stock + quantities[sku_id]))
    await release_purchase_allowance(s, order.buyer_id, limited)
    await record_event(s, "order.cancelled", {"order_id": order.id, "reason": reason,
                                              "restocked": {str(k): v for k, v in quantities.items()}})


def check_shipment(carrier: str, tracking_no: str) -> None:
    """A parcel's carrier and tracking number as every shipment needs them (orders, samples)."""
    if not carrier.strip():
        raise WrongOrderState("name the carrier", field="carrier", code="invalid_shipment", status=422)
    if not TRACKING.match(tracking_no):
        raise WrongOrderState("tracking numbers are 4–60 letters, digits or '-'", field="tracking_no",
                              code="invalid_shipment", status=422)


async def ship_order(s: AsyncSession, merchant: User, order_id: int, *, carrier: str, tracking_no: str) -> Order:
    order = await get_order(s, order_id)
    await ensure_seller(s, merchant, order)
    check_shipment(carrier, tracking_no)
    if not await _transition(s, order, ("paid",), "shipped", carrier=carrier, tracking_no=tracking_no,
                             shipped_at=utcnow()):
        raise WrongOrderState(f"an order that is {order.status} cannot be shipped")
    await record_event(s, "order.shipped", {"order_id": order.id, "carrier": carrier, "tracking_no": tracking_no})
    return order


async def deliver_order(s: AsyncSession, order_id: int, tracking_no: str) -> Order:
    """The carrier reports delivery (a signed logistics notification)."""
    order = await get_order(s, order_id)
    if order.tracking_no != tracking_no:
        raise WrongOrderState("tracking number does not match the order", field="tracking_no")
    if order.status == "delivered":
        return order  # carriers repeat themselves
    if not await _transition(s, order, ("shipped",), "delivered", delivered_at=utcnow()):
        raise WrongOrderState(f"an order that is {order.status} cannot be delivered")
    await record_event(s, "order.delivered", {"order_id": order.id})
    return order


async def confirm_receipt(s: AsyncSession, buyer: User, order_id: int) -> Order:
    """确认收货: the buyer has the goods; the order completes and the merchant is paid out."""
    order = await get_order(s, order_id)
    ensure_buyer(buyer, order)
    return await _complete(s, order, by="buyer")


async def _complete(s: AsyncSession, order: Order, *, by: str) -> Order:
    now = utcnow()
    delivered_at = order.delivered_at or now
    if not await _transition(s, order, ("shipped", "delivered"), "completed", completed_at=now,
                             delivered_at=delivered_at):
        raise WrongOrderState(f"an order that is {order.status} cannot be completed")
    # Read after the row lock: a refund that committed first is already in `refunded`, and one
    # that waits for us sees "completed" and takes its money from the available balance.
    await ledger.record_order_completed(s, order_id=order.id, shop_id=order.shop_id,
                                        net=settled_net(order.total, order.commission, order.refunded))
    for hook in hooks.registered():
        await hook.completed(s, order.id)
    await record_event(s, "order.completed", {"order_id": order.id, "by": by})
    return order


async def auto_confirm(s: AsyncSession, order_id: int) -> bool:
    order = await get_order(s, order_id)
    if order.status not in ("shipped", "delivered"):
        return False
    await _complete(s, order, by="timeout")
    return True


async def expire_unpaid(s: AsyncSession, order_id: int, now: datetime) -> bool:
    order = await get_order(s, order_id)
    if order.status != "pending_payment" or order.pay_deadline >= now:
        return False
    await cancel_order(s, order_id, reason="payment_timeout")
    return True
