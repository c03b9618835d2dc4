"""`POST /api/v1/checkout` on the fast path (laotie.kit.fastpath): the busiest write of the API.

It does what the FastAPI route (orders/endpoints.py) does, in the same order — the caller's
token, then the body, then the checkout in one transaction — without the framework's
dependency solving, and without loading the buyer as an ORM object (the checkout needs only
the id, checked against the token in one Core statement). A checkout with a live coupon is
rare and needs the whole user: it goes to the FastAPI route.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from laotie.identity import service as identity
from laotie.identity.caller import bearer_token
from laotie.kit import fastpath
from laotie.orders.schemas import CheckoutIn, CheckoutOut
from laotie.orders.service.checkout import Address, LineRequest, checkout, device_fingerprint

# The FastAPI route's header rules (orders/endpoints.py IdempotencyKey, DeviceId).
_TOKEN_HEADER = re.compile(r"^[\x21-\x7e]+$")
_HEADERS = ((b"idempotency-key", "Idempotency-Key", 120), (b"x-device-id", "X-Device-Id", 200))


@fastpath.route("POST", "/api/v1/checkout")
async def checkout_fast(call: fastpath.Call) -> None:
    if not call.is_json():
        await call.fallback()  # FastAPI's own answer to a body that is not JSON
        return
    raw = await call.body()
    body: CheckoutIn | None = None
    problem: ValidationError | None = None
    try:
        body = CheckoutIn.model_validate_json(raw or b"null")
    except ValidationError as exc:
        if raw and any(e["type"] == "json_invalid" for e in exc.errors()):
            await call.invalid(exc)  # as FastAPI: a body that is not JSON is refused before anything else
            return
        problem = exc
    raw_token = bearer_token(call.header(b"authorization"))
    if body is not None and body.coupon_id is not None:
        await call.fallback()
        return
    db = call.state.db
    async with db.transaction() as s:
        # The token first, as the FastAPI route checks it: an unknown caller learns nothing of the body.
        buyer = await identity.caller_for_token(s, raw_token)
        headers: dict[bytes, str | None] = {}
        errors = []
        for name, field, longest in _HEADERS:
            headers[name] = value = call.header(name)
            if value is not None and not (0 < len(value) <= longest and _TOKEN_HEADER.match(value)):
                errors.append({"field": field, "message": f"at most {longest} printable ASCII characters"})
        if errors:
            await call.invalid_fields(errors)
            return
        if problem is not None:
            await call.invalid(problem)
            return
        assert body is not None  # it parsed, or `problem` would say why not
        result = await checkout(
            s, db.settings, buyer, [LineRequest(i.sku_id, i.quantity) for i in body.items],
            Address(body.address.recipient, body.address.phone, body.address.address),
            idempotency_key=headers[b"idempotency-key"], device_fp=device_fingerprint(headers[b"x-device-id"]))
    out = CheckoutOut(payment_id=result.payment_id, order_ids=result.order_ids, amount=result.amount,
                      pay_url=result.pay_url, replayed=result.replayed)
    await call.answer(201, out.model_dump_json().encode())
