"""What a buyer does: cart, checkout, the sandbox pay page, orders, confirm receipt."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from laotie.aftersales.service import requests as aftersale_requests
from laotie.alliance.links import service as links
from laotie.catalog import service as catalog
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.types import MAX_ID, PathId
from laotie.models import ORDER_STATUSES, utcnow
from laotie.orders.errors import NotYourOrder
from laotie.orders.service import cart, lifecycle, payment, queries
from laotie.orders.service.checkout import PHONE_PATTERN, Address, LineRequest, checkout, device_fingerprint
from laotie.orders.service.queries import order_view
from laotie.web.i18n import N_
from laotie.web.render import Form, PageUser, attempt, number, redirect, refusal, render, text

router = APIRouter(include_in_schema=False)
PHONE = re.compile(PHONE_PATTERN)
SOURCE_PATTERN = r"^(direct|live:\d{1,18}|video:\d{1,18}|profile:\d{1,18})$"
DEVICE_COOKIE = "laotie_device"


@router.post("/cart/add")
async def add_to_cart(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    # The product page's form names its fields for "buy now" (sku, qty); accept both.
    sku_id = number(data, "sku_id", lo=1, hi=MAX_ID) or number(data, "sku", lo=1, hi=MAX_ID)
    qty = number(data, "quantity", lo=1, hi=999) or number(data, "qty", lo=1, hi=999) or 1
    hx = request.headers.get("hx-request") == "true"
    try:
        if sku_id is None:
            raise DomainError(N_("choose an option first"), code="invalid_request", status=422)
        async with attempt(s):
            await cart.add_to_cart(s, user, sku_id, qty)
    except DomainError as exc:
        if hx:
            return render(request, "_notice.html", status_code=200, error=exc.message)
        raise
    if hx:
        return render(request, "_notice.html", notice=N_("Added to cart."), link=("/cart", N_("Go to cart")))
    return redirect("/cart")


@router.get("/cart")
async def cart_page(request: Request, s: Session, user: PageUser) -> Response:
    lines = await cart.cart(s, user)
    return render(request, "cart.html", user=user, lines=lines, total=sum(ln.amount for ln in lines))


@router.post("/cart/update")
async def cart_update(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    sku_id, qty = number(data, "sku_id", lo=1, hi=MAX_ID), number(data, "quantity", lo=0, hi=999)
    if sku_id is not None and qty is not None:
        await cart.set_cart_quantity(s, user, sku_id, qty)
    return redirect("/cart")


async def _checkout_context(s: Session, user: PageUser, sku_id: int | None, qty: int) -> dict[str, Any]:
    """What the checkout page shows: the buy-now item, or the cart."""
    items: list[dict[str, Any]]
    if sku_id is not None:
        found = await catalog.sku_with_product(s, sku_id)
        items = [{"title": p.title, "label": k.label(), "price": k.price, "quantity": qty}
                 for k, p in ([found] if found else [])]
    else:
        items = [{"title": ln.product.title, "label": ln.sku.label(), "price": ln.sku.price,
                  "quantity": ln.item.quantity} for ln in await cart.cart(s, user)]
    last = await queries.last_address(s, user)
    return {"items": items, "total": sum(int(i["price"]) * int(i["quantity"]) for i in items),
            "sku": sku_id, "qty": qty, "key": secrets.token_urlsafe(16),
            "address": dict(zip(("recipient", "phone", "address"), last or ("", "", ""), strict=True))}


@router.get("/checkout")
async def checkout_page(request: Request, s: Session, user: PageUser,
                        sku: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                        qty: Annotated[int, Query(ge=1, le=999)] = 1,
                        src: Annotated[str, Query(pattern=SOURCE_PATTERN)] = "direct") -> Response:
    ctx = await _checkout_context(s, user, sku, qty)
    ctx["src"] = src
    if not ctx["items"]:
        return redirect("/cart")
    response = render(request, "checkout.html", user=user, **ctx)
    if not request.cookies.get(DEVICE_COOKIE):
        # A long-lived random id per browser: orders keep its hash, so fake-order detection can
        # see twenty accounts ordering from one phone (a device farm).
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(18), max_age=2 * 365 * 86_400, httponly=True,
                            samesite="lax", secure=get_db(request).settings.cookie_secure)
    return response


@router.post("/checkout")
async def place_order(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    settings = get_db(request).settings
    sku, qty = number(data, "sku", lo=1, hi=MAX_ID), number(data, "qty", lo=1, hi=999) or 1
    # Where the buyer came from (live room, video, profile shop); anything else is "direct". A share
    # link's source is not among these: it comes from the signed share cookie below.
    src = data.get("src", "direct")
    source = src if re.fullmatch(SOURCE_PATTERN, src) else "direct"
    address = Address(text(data, "recipient", 60), text(data, "phone", 30), text(data, "address", 300))
    key = text(data, "idempotency_key", 120) or None
    device_fp = device_fingerprint(request.cookies.get(DEVICE_COOKIE, "")[:64])  # set by the checkout page
    ctx = await _checkout_context(s, user, sku, qty)
    ctx["address"] = address.__dict__
    ctx["src"] = source
    if source == "direct" and sku is not None and request.cookies.get(links.SHARE_COOKIE):
        # A share link opened lately: only the signed cookie can name it, never the form.
        found = await catalog.sku_with_product(s, sku)
        if found is not None:
            source = links.share_source(settings, request.cookies.get(links.SHARE_COOKIE), found[1].id,
                                        utcnow()) or source
    if not address.recipient or not address.address or not PHONE.match(address.phone):
        return render(request, "checkout.html", status_code=422, user=user,
                      error=N_("Please give a recipient, a phone number and an address."), **ctx)
    try:
        async with attempt(s):
            if sku is not None:
                result = await checkout(s, settings, user, [LineRequest(sku, qty)], address, idempotency_key=key,
                                        source=source, device_fp=device_fp)
            else:
                result = await cart.checkout_cart(s, settings, user, address, idempotency_key=key, device_fp=device_fp)
    except DomainError as exc:
        return refusal(request, "checkout.html", exc, user=user, **ctx)
    return redirect(result.pay_url)


@router.get("/sandbox/pay/{payment_id}")
async def sandbox_pay_page(request: Request, payment_id: PathId, s: Session, user: PageUser) -> Response:
    pay = await payment.payment_for_buyer(s, user, payment_id)
    orders = await queries.payment_orders(s, pay.id)
    return render(request, "sandbox_pay.html", user=user, payment=pay, orders=orders)


@router.post("/sandbox/pay/{payment_id}")
async def sandbox_pay(request: Request, payment_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    approve = data.get("decision") == "approve"
    await payment.sandbox_decide(s, get_db(request).settings, user, payment_id, approve)
    if not approve:
        return redirect(f"/sandbox/pay/{payment_id}?declined=1")
    pay = await payment.payment_for_buyer(s, user, payment_id)
    if pay.purpose in payment.RETURN_PAGES:
        return redirect(payment.RETURN_PAGES[pay.purpose].format(payment_id=payment_id))
    orders = await queries.payment_orders(s, payment_id)
    # The gateway's callback lands just after this; the order page waits for it.
    return redirect(f"/orders/{orders[0].id}?paying=1" if len(orders) == 1 else "/orders")


@router.get("/orders")
async def orders_page(request: Request, s: Session, user: PageUser,
                      status: Annotated[str | None, Query(pattern="^(" + "|".join(ORDER_STATUSES) + ")$")] = None
                      ) -> Response:
    rows = await queries.my_orders(s, user, status)
    return render(request, "orders.html", user=user, rows=rows, status=status, statuses=ORDER_STATUSES)


@router.get("/orders/{order_id}")
async def order_page(request: Request, order_id: PathId, s: Session, user: PageUser) -> Response:
    try:
        view = await order_view(s, user, order_id)
    except NotYourOrder:
        if not user.has_role("operator"):
            raise
        # An operator reads an order they judge on the review page, which checks and audits it.
        return redirect(f"/operator/orders/{order_id}")
    # The status badge polls with htmx; a boosted form (confirm receipt) lands here for the whole page.
    if request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true":
        response = render(request, "_order_status.html", user=user, view=view, paying=True)
        if view.order.status != "pending_payment":
            response.headers["HX-Refresh"] = "true"  # the actions on the page change with the state
        return response
    return render(request, "order.html", user=user, view=view, paying=request.query_params.get("paying") == "1",
                  aftersales=await aftersale_requests.for_order(s, user, order_id),
                  notice=DONE_NOTICES.get(request.query_params.get("done", "")))


DONE = {"cancel": "cancelled", "confirm": "received", "ship": "shipped"}
DONE_NOTICES = {"cancelled": N_("Order cancelled."),
                "received": N_("Receipt confirmed: the shop is paid now; you can still review the order."),
                "shipped": N_("Shipped: the buyer has been told and can follow the parcel.")}


@router.post("/orders/{order_id}/{action}")
async def order_action(request: Request, order_id: PathId, action: str, s: Session, user: PageUser,
                       data: Form) -> Response:
    try:
        async with attempt(s):
            if action == "cancel":
                await lifecycle.cancel_order(s, order_id, reason="buyer_cancelled", buyer=user)
            elif action == "confirm":
                await lifecycle.confirm_receipt(s, user, order_id)
            elif action == "ship":
                await lifecycle.ship_order(s, user, order_id, carrier=text(data, "carrier", 40),
                                           tracking_no=text(data, "tracking_no", 60))
            else:
                raise DomainError(N_("unknown action"), code="not_found", status=404)
    except DomainError as exc:
        return refusal(request, "order.html", exc, user=user, view=await order_view(s, user, order_id),
                       aftersales=await aftersale_requests.for_order(s, user, order_id))
    # Back where the action was taken, saying what was done (post-redirect-get).
    back = data.get("back", "")
    target = back if back.startswith("/merchant") else f"/orders/{order_id}"
    return redirect(f"{target}{'&' if '?' in target else '?'}done={DONE[action]}&order={order_id}")
