"""Orders API: cart, checkout, orders, shipping, receipt, gateway and carrier callbacks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db, retried_unit_of_work
from laotie.kit.types import PathId
from laotie.ledger import service as ledger
from laotie.models import ORDER_STATUSES, Order, OrderLine
from laotie.orders import logistics
from laotie.orders.gateway import SIGNATURE_HEADER
from laotie.orders.schemas import (
    BalancesOut,
    CartCheckoutIn,
    CartItemIn,
    CartLineOut,
    CartQuantityIn,
    CheckoutIn,
    CheckoutOut,
    NotificationOut,
    OrderLineOut,
    OrderOut,
    ShipIn,
)
from laotie.orders.service import cart, lifecycle, payment, queries
from laotie.orders.service.checkout import Address, CheckoutResult, LineRequest, checkout, device_fingerprint

router = APIRouter(prefix="/api/v1", tags=["orders"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=120,
                                              pattern=r"^[\x21-\x7e]+$")]
# The app's own long-lived device id; orders keep its hash for fake-order detection.
DeviceId = Annotated[str | None, Header(alias="X-Device-Id", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
StatusFilter = Annotated[str | None, Query(pattern="^(" + "|".join(ORDER_STATUSES) + ")$")]


def order_out(o: Order, lines: list[OrderLine] | None = None) -> OrderOut:
    return OrderOut(
        id=o.id, status=o.status, shop_id=o.shop_id, buyer_id=o.buyer_id, payment_id=o.payment_id, total=o.total,
        commission=o.commission, discount=o.discount, source=o.source, carrier=o.carrier, tracking_no=o.tracking_no,
        pay_deadline=o.pay_deadline, created_at=o.created_at, paid_at=o.paid_at, shipped_at=o.shipped_at,
        delivered_at=o.delivered_at, completed_at=o.completed_at, cancelled_at=o.cancelled_at,
        cancel_reason=o.cancel_reason,
        lines=[OrderLineOut(sku_id=ln.sku_id, product_id=ln.product_id, title=ln.title,
                            sku_attributes=ln.sku_attributes, unit_price=ln.unit_price, quantity=ln.quantity,
                            commission=ln.commission) for ln in (lines or [])],
    )


def checkout_out(r: CheckoutResult) -> CheckoutOut:
    return CheckoutOut(payment_id=r.payment_id, order_ids=r.order_ids, amount=r.amount, pay_url=r.pay_url,
                       replayed=r.replayed)


@router.post("/checkout", status_code=201)
async def create_checkout(body: CheckoutIn, request: Request, user: CurrentUser, s: Session,
                          idempotency_key: IdempotencyKey = None, device_id: DeviceId = None) -> CheckoutOut:
    settings = get_db(request).settings
    lines = [LineRequest(i.sku_id, i.quantity) for i in body.items]
    address = Address(**body.address.model_dump())
    if body.coupon_id is not None:
        from laotie.live.sale.service.coupons import checkout_with_coupon

        result = await checkout_with_coupon(s, settings, user, body.coupon_id, lines, address,
                                            idempotency_key=idempotency_key, device_fp=device_fingerprint(device_id))
    else:
        result = await checkout(s, settings, user, lines, address, idempotency_key=idempotency_key,
                                device_fp=device_fingerprint(device_id))
    return checkout_out(result)


@router.get("/cart")
async def get_cart(user: CurrentUser, s: Session) -> list[CartLineOut]:
    return [CartLineOut(sku_id=ln.sku.id, product_id=ln.product.id, title=ln.product.title, shop_id=ln.shop.id,
                        unit_price=ln.sku.price, quantity=ln.item.quantity, stock=ln.sku.stock)
            for ln in await cart.cart(s, user)]


@router.post("/cart/items", status_code=204)
async def add_item(body: CartItemIn, user: CurrentUser, s: Session) -> None:
    await cart.add_to_cart(s, user, body.sku_id, body.quantity)


@router.put("/cart/items/{sku_id}", status_code=204)
async def set_item(sku_id: PathId, body: CartQuantityIn, user: CurrentUser, s: Session) -> None:
    await cart.set_cart_quantity(s, user, sku_id, body.quantity)


@router.post("/cart/checkout", status_code=201)
async def checkout_cart(body: CartCheckoutIn, request: Request, user: CurrentUser, s: Session,
                        idempotency_key: IdempotencyKey = None, device_id: DeviceId = None) -> CheckoutOut:
    result = await cart.checkout_cart(s, get_db(request).settings, user, Address(**body.address.model_dump()),
                                      body.sku_ids, idempotency_key, device_fp=device_fingerprint(device_id))
    return checkout_out(result)


@router.get("/orders")
async def my_orders(user: CurrentUser, s: Session, status: StatusFilter = None,
                    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[OrderOut]:
    return [order_out(o, lines) for o, _, lines in await queries.my_orders(s, user, status, 50, offset)]


@router.get("/orders/{order_id}")
async def get_order(order_id: PathId, user: CurrentUser, s: Session) -> OrderOut:
    view = await queries.order_view(s, user, order_id)
    return order_out(view.order, view.lines)


@router.post("/orders/{order_id}/cancel")
async def cancel(order_id: PathId, user: CurrentUser, s: Session) -> OrderOut:
    return order_out(await lifecycle.cancel_order(s, order_id, reason="buyer_cancelled", buyer=user))


@router.post("/orders/{order_id}/confirm-receipt")
async def confirm(order_id: PathId, user: CurrentUser, s: Session) -> OrderOut:
    return order_out(await lifecycle.confirm_receipt(s, user, order_id))


@router.get("/shops/mine/orders")
async def shop_orders(user: CurrentUser, s: Session, status: StatusFilter = None,
                      offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[OrderOut]:
    _, orders, lines, _ = await queries.shop_orders(s, user, status, 50, offset)
    return [order_out(o, lines[o.id]) for o in orders]


@router.post("/orders/{order_id}/ship")
async def ship(order_id: PathId, body: ShipIn, user: CurrentUser, s: Session) -> OrderOut:
    return order_out(await lifecycle.ship_order(s, user, order_id, carrier=body.carrier,
                                                tracking_no=body.tracking_no))


@router.get("/shops/mine/balances")
async def balances(user: CurrentUser, s: Session) -> BalancesOut:
    shop = await catalog.my_shop(s, user)
    b = await ledger.shop_balances(s, shop.id)
    return BalancesOut(shop_id=shop.id, pending=b.pending, available=b.available)


@router.post("/payments/sandbox/callback")
async def gateway_callback(request: Request,
                           signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None
                           ) -> NotificationOut:
    body = await request.body()
    settings = get_db(request).settings
    out = await retried_unit_of_work(
        request, lambda s: payment.handle_notification(s, settings, body, signature))
    return NotificationOut(payment_id=out.payment_id, result=out.result, paid_order_ids=out.paid_order_ids,
                           refunded_order_ids=out.refunded_order_ids)


@router.post("/logistics/sandbox/callback")
async def carrier_callback(request: Request,
                           signature: Annotated[str | None, Header(alias=logistics.SIGNATURE_HEADER)] = None
                           ) -> OrderOut:
    order_id, tracking_no = logistics.verify_delivery(get_db(request).settings, await request.body(), signature)

    async def deliver(s: AsyncSession) -> OrderOut:
        return order_out(await lifecycle.deliver_order(s, order_id, tracking_no))

    return await retried_unit_of_work(request, deliver)
