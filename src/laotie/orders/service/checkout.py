"""Checkout: one payment, one order per shop, stock taken atomically, never oversold.

The statement budget matters here (it is the hot path of a flash sale): one
SELECT for everything about the SKUs, conditional upserts for purchase limits,
bulk inserts, and the hot stock row updated last so its lock is held for the
shortest time before commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.identity.caller import Identified
from laotie.kit.db import dialect_insert
from laotie.kit.events import record_events
from laotie.kit.money import rate_of, split_exact
from laotie.models import (
    IdempotencyKey,
    Order,
    OrderLine,
    Payment,
    PurchaseCounter,
    Sku,
    utcnow,
)
from laotie.models.base import table_of
from laotie.orders import hooks, repository
from laotie.orders.errors import (
    CouponNotApplicable,
    IdempotencyKeyReused,
    NotForSale,
    OwnShop,
    PurchaseLimitExceeded,
    SoldOut,
)
from laotie.orders.gateway import SandboxGateway, gateway_for
from laotie.orders.repository import SkuForSale

PHONE_PATTERN = r"^\+?[0-9][0-9 -]{4,19}$"


_PAYMENTS, _ORDERS, _LINES, _SKUS = (table_of(m) for m in (Payment, Order, OrderLine, Sku))
# Built once: no per-call expression building or cache-key walks on the hot path.
_INSERT_PAYMENT = insert(_PAYMENTS).returning(_PAYMENTS.c.id)
_INSERT_ORDER = insert(_ORDERS).returning(_ORDERS.c.id)
_INSERT_ORDERS = insert(_ORDERS).returning(_ORDERS.c.id, sort_by_parameter_order=True)
_INSERT_LINES = insert(_LINES)
_TAKE_STOCK = (
    update(_SKUS)
    .where(_SKUS.c.id == bindparam("sku"), _SKUS.c.stock >= bindparam("qty"))
    .values(stock=_SKUS.c.stock - bindparam("qty"))
    .returning(_SKUS.c.id)
)


@dataclass(frozen=True)
class LineRequest:
    sku_id: int
    quantity: int
    # A live flash listing sells at its own price from stock it already holds:
    # the SKU's price, purchase limit and stock do not apply to that line.
    flash_id: int | None = None
    unit_price: int | None = None
    # The caller took these units out of the SKU already (a lucky bag's prize).
    stock_held: bool = False

    @property
    def takes_sku_stock(self) -> bool:
        return self.flash_id is None and not self.stock_held


@dataclass(frozen=True)
class Discount:
    """A merchant-funded amount off one shop's order (a live coupon), checked and spread here.

    The rule: the discount comes off the order total (what the buyer pays), spread over the
    eligible lines in proportion to their amounts; each line's commission (扣点) is taken on
    what the buyer pays for it. So the platform's commission shrinks with the price, and the
    merchant's receivable (total - commission) carries the rest of the discount.
    """

    shop_id: int
    amount: int
    min_spend: int
    product_ids: frozenset[int] | None = None  # None: any product of the shop counts


@dataclass(frozen=True)
class Address:
    recipient: str
    phone: str
    address: str


@dataclass(frozen=True)
class CheckoutResult:
    payment_id: int
    order_ids: list[int]
    amount: int
    pay_url: str
    replayed: bool = False


def device_fingerprint(raw: str | None) -> str | None:
    """What an order keeps of the buyer's device id (cookie or X-Device-Id): sha256, first 32 hex.

    Fake-order detection only compares fingerprints, so the raw id never needs storing.
    """
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32] if raw else None


def _merge(lines: list[LineRequest]) -> list[LineRequest]:
    qty: dict[tuple[int, int | None, int | None, bool], int] = {}
    for line in lines:
        key = (line.sku_id, line.flash_id, line.unit_price, line.stock_held)
        qty[key] = qty.get(key, 0) + line.quantity
    # Numeric SKU order: the stock rows are then locked in the same order by every checkout.
    ordered = sorted(qty.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2] or 0, kv[0][3]))
    return [LineRequest(sku, q, flash, price, held) for (sku, flash, price, held), q in ordered]


def _request_hash(lines: list[LineRequest], address: Address, source: str, discount: Discount | None) -> str:
    body = json.dumps([[[ln.sku_id, ln.quantity, ln.flash_id, ln.unit_price, ln.stock_held] for ln in lines],
                       address.__dict__, source,
                       None if discount is None else [discount.shop_id, discount.amount]], sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


async def checkout(
    s: AsyncSession,
    settings: Settings,
    buyer: Identified,
    lines: list[LineRequest],
    address: Address,
    *,
    idempotency_key: str | None = None,
    source: str = "direct",
    discount: Discount | None = None,
    device_fp: str | None = None,  # `device_fingerprint` of the ordering device, for fraud detection
) -> CheckoutResult:
    lines = _merge(lines)
    gateway = gateway_for(settings)
    key_id: int | None = None
    if idempotency_key:
        request_hash = _request_hash(lines, address, source, discount)
        # Insert first: a concurrent request with the same key waits on the unique
        # index until we commit, then finds our payment instead of making another.
        claimed = await s.execute(
            dialect_insert(s, IdempotencyKey)
            .values(user_id=buyer.id, key=idempotency_key, request_hash=request_hash, created_at=utcnow())
            .on_conflict_do_nothing()
            .returning(IdempotencyKey.id)
        )
        key_id = claimed.scalar()
        if key_id is None:
            return await _replay(s, buyer, idempotency_key, request_hash, gateway)

    skus = await repository.skus_for_sale(s, [ln.sku_id for ln in lines])
    by_shop: dict[int, list[tuple[int, LineRequest]]] = {}
    for index, line in enumerate(lines):
        sku = skus.get(line.sku_id)
        field = f"items.{index}.sku_id"
        if sku is None or sku.product_status != "published" or sku.shop_status != "open":
            raise NotForSale("that item is not for sale", field=field, sku_id=line.sku_id)
        if sku.external:
            raise NotForSale("that item is sold on another channel", field=field, sku_id=line.sku_id)
        if sku.shop_owner_id == buyer.id:
            raise OwnShop("you cannot buy from your own shop", field=field)
        if sku.purchase_limit is not None and line.takes_sku_stock:
            await _take_purchase_allowance(s, buyer.id, sku.sku_id, line.quantity, sku.purchase_limit, index)
        by_shop.setdefault(sku.shop_id, []).append((index, line))

    now = utcnow()
    def price(ln: LineRequest) -> int:
        return ln.unit_price if ln.unit_price is not None else skus[ln.sku_id].price

    # Discount per line index (only the discounted shop's eligible lines have one).
    line_discount: dict[int, int] = {}
    if discount is not None:
        line_discount = _apply_discount(discount, by_shop.get(discount.shop_id, []), skus, price)
    amount = sum(price(ln) * ln.quantity for ln in lines) - sum(line_discount.values())
    conn = await s.connection()  # Core on the session's connection: the ORM adds nothing here
    payment_id = (await conn.execute(_INSERT_PAYMENT, {
        "buyer_id": buyer.id, "amount": amount, "currency": settings.currency, "gateway": gateway.name,
        "status": "pending", "created_at": now})).scalar_one()

    deadline = now + timedelta(minutes=settings.payment_timeout_minutes)
    shop_ids = sorted(by_shop)
    order_rows = []
    for shop_id in shop_ids:
        off = sum(line_discount.get(i, 0) for i, _ in by_shop[shop_id])
        total = sum(price(ln) * ln.quantity for _, ln in by_shop[shop_id]) - off
        commission = sum(rate_of(price(ln) * ln.quantity - line_discount.get(i, 0), skus[ln.sku_id].commission_bps)
                         for i, ln in by_shop[shop_id])
        order_rows.append({
            "buyer_id": buyer.id, "shop_id": shop_id, "payment_id": payment_id, "status": "pending_payment",
            "total": total, "commission": commission, "discount": off, "source": source, "device_fp": device_fp,
            "recipient": address.recipient,
            "phone": address.phone, "address": address.address, "pay_deadline": deadline, "created_at": now,
        })
    if len(order_rows) == 1:
        order_ids = [int((await conn.execute(_INSERT_ORDER, order_rows[0])).scalar_one())]
    else:
        order_ids = [int(i) for i in (await conn.execute(_INSERT_ORDERS, order_rows)).scalars()]
    line_rows = []
    line_at: list[tuple[int, int]] = []  # (line index, order id) in insert order
    for order_id, shop_id in zip(order_ids, shop_ids, strict=True):
        for i, ln in by_shop[shop_id]:
            sku = skus[ln.sku_id]
            paid_for = price(ln) * ln.quantity - line_discount.get(i, 0)
            line_rows.append({
                "order_id": order_id, "sku_id": sku.sku_id, "product_id": sku.product_id, "title": sku.title,
                "sku_attributes": sku.attributes, "unit_price": price(ln), "quantity": ln.quantity,
                "commission_bps": sku.commission_bps, "commission": rate_of(paid_for, sku.commission_bps),
                "discount": line_discount.get(i, 0), "flash_id": ln.flash_id,
            })
            line_at.append((i, order_id))
    # Who promoted each line rides in the same insert: no statement of its own.
    attributed = await _attribute(s, buyer.id, source, line_rows, line_at, skus, lines)
    for row, (i, _) in zip(line_rows, line_at, strict=True):
        row["attribution"] = attributed.get(i)
    await conn.execute(_INSERT_LINES, line_rows)
    await record_events(s, [
        ("order.placed", {"order_id": oid, "payment_id": payment_id, "shop_id": shop_id, "buyer_id": buyer.id,
                          "source": source})
        for oid, shop_id in zip(order_ids, shop_ids, strict=True)
    ])
    if key_id is not None:
        await s.execute(update(IdempotencyKey).where(IdempotencyKey.id == key_id).values(payment_id=payment_id))

    # Last, in SKU order: the hot rows are locked only for the moment before commit,
    # and two multi-item checkouts never wait on each other in a cycle.
    for index, line in enumerate(lines):
        if not line.takes_sku_stock:
            continue
        taken = await conn.execute(_TAKE_STOCK, {"sku": line.sku_id, "qty": line.quantity})
        if taken.first() is None:
            raise SoldOut("not enough stock left", field=f"items.{index}.quantity", sku_id=line.sku_id)
    return CheckoutResult(payment_id, order_ids, amount, gateway.pay_url(payment_id))


async def _attribute(s: AsyncSession, buyer_id: int, source: str, rows: list[dict[str, Any]],
                     line_at: list[tuple[int, int]], skus: dict[int, SkuForSale], lines: list[LineRequest]
                     ) -> dict[int, dict[str, Any]]:
    """Ask the registered hooks (the alliance) which lines were promoted, and by whom."""
    registered = hooks.registered()
    if not registered:
        return {}
    seen = [hooks.CheckoutLine(index=i, product_id=row["product_id"], shop_id=skus[lines[i].sku_id].shop_id,
                               shop_owner_id=skus[lines[i].sku_id].shop_owner_id,
                               paid_for=row["unit_price"] * row["quantity"] - row["discount"])
            for (i, _), row in zip(line_at, rows, strict=True)]
    out: dict[int, dict[str, Any]] = {}
    for hook in registered:
        for index, found in (await hook.attribute(s, buyer_id, source, seen)).items():
            out[index] = {**out.get(index, {}), **found}
    return out


def _apply_discount(discount: Discount, shop_lines: list[tuple[int, LineRequest]], skus: dict[int, SkuForSale],
                    price: Callable[[LineRequest], int]) -> dict[int, int]:
    """The discount per line index; refused when the shop's eligible lines do not reach the minimum spend."""
    eligible = [(i, ln) for i, ln in shop_lines
                if discount.product_ids is None or skus[ln.sku_id].product_id in discount.product_ids]
    amounts = [price(ln) * ln.quantity for _, ln in eligible]
    if not eligible or sum(amounts) < discount.min_spend or sum(amounts) <= discount.amount:
        raise CouponNotApplicable("this order does not reach the coupon's minimum spend", field="coupon_id",
                                  min_spend=discount.min_spend, eligible=sum(amounts))
    shares = split_exact(discount.amount, amounts)
    return {i: share for (i, _), share in zip(eligible, shares, strict=True)}


async def _take_purchase_allowance(s: AsyncSession, buyer_id: int, sku_id: int, quantity: int, limit: int,
                                   index: int) -> None:
    """Count units against the buyer's per-SKU limit in one conditional upsert."""
    if quantity <= limit:
        stmt = dialect_insert(s, PurchaseCounter).values(buyer_id=buyer_id, sku_id=sku_id, quantity=quantity)
        stmt = stmt.on_conflict_do_update(
            index_elements=[PurchaseCounter.buyer_id, PurchaseCounter.sku_id],
            set_={"quantity": PurchaseCounter.quantity + quantity},
            where=PurchaseCounter.quantity + quantity <= limit,
        ).returning(PurchaseCounter.quantity)
        if (await s.execute(stmt)).first() is not None:
            return
    raise PurchaseLimitExceeded("at most %(limit)s per buyer", field=f"items.{index}.quantity",
                                sku_id=sku_id, limit=limit)


async def release_purchase_allowance(s: AsyncSession, buyer_id: int, quantities: dict[int, int]) -> None:
    for sku_id, qty in sorted(quantities.items()):
        await s.execute(
            update(PurchaseCounter)
            .where(PurchaseCounter.buyer_id == buyer_id, PurchaseCounter.sku_id == sku_id)
            .values(quantity=PurchaseCounter.quantity - qty)
        )


async def _replay(s: AsyncSession, buyer: Identified, key: str, request_hash: str, gateway: SandboxGateway
                  ) -> CheckoutResult:
    row = (await s.execute(
        select(IdempotencyKey.request_hash, IdempotencyKey.payment_id)
        .where(IdempotencyKey.user_id == buyer.id, IdempotencyKey.key == key)
    )).one()
    if row.request_hash != request_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different checkout",
                                   field="Idempotency-Key")
    payment = await repository.payment(s, row.payment_id)
    assert payment is not None
    orders = await repository.orders_of_payment(s, payment.id)
    return CheckoutResult(payment.id, [o.id for o in orders], payment.amount, gateway.pay_url(payment.id),
                          replayed=True)
