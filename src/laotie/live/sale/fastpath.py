"""The lean accept path of "上车": `POST /api/v1/live/flash/{flash_id}/buy` and the room socket's taps.

HTTP: served from laotie.kit.fastpath, without FastAPI's routing, dependency solving and
response building; the FastAPI route (endpoints.py) stays as the OpenAPI entry and answers
exactly alike, in the same order of checks: the path, the Idempotency-Key header and the
body (422, every error listed), then the caller's token (401, from the token cache), then
the tap (taps.py).

Socket: `{"type": "flash.buy", "flash_id", "request_id", "quantity", "address"}` on the
room's open WebSocket, the buyer being the socket's signed-in user. The answer goes back on
the same socket, carrying the request id:

    {"type": "flash.answer", "request_id", "flash_id", "status", "left", "reservation_id", "status_url", ...}
    {"type": "error", "request_id", "flash_id", "code", "message", ...}   refused
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from laotie.identity import token_cache
from laotie.identity.errors import NotAuthenticated
from laotie.kit import fastpath
from laotie.kit.db import Database
from laotie.kit.errors import DomainError
from laotie.kit.http import error_entry
from laotie.kit.types import RefId
from laotie.live import room
from laotie.live.sale import taps
from laotie.live.sale.schemas import FlashBuyIn, FlashBuyOut, FlashTapIn
from laotie.models import User
from laotie.orders.service.checkout import Address

log = logging.getLogger("laotie.live.flash")

_FLASH_ID: TypeAdapter[int] = TypeAdapter(RefId)
_KEY = re.compile(r"^[\x21-\x7e]+$")  # the route's Idempotency-Key rule (orders/endpoints.py)
_KEY_LONGEST = 120


def _entries(exc: ValidationError, *where: str) -> list[dict[str, str]]:
    """Pydantic's errors as the API lists them (kit.http), placed as FastAPI places them."""
    found = []
    for e in exc.errors(include_url=False):
        if e["type"] == "json_invalid":
            found.append({"field": "body", "message": f"not valid JSON ({e['msg']})"})
        else:
            found.append(error_entry({**e, "loc": (*where, *e["loc"])}))
    return found


@fastpath.route("POST", "/api/v1/live/flash/{flash_id}/buy")
async def buy_flash_fast(call: fastpath.Call) -> None:
    if not call.is_json():
        await call.fallback()  # FastAPI's own answer to a body that is not JSON
        return
    errors: list[dict[str, str]] = []
    # FastAPI lists the path's errors, then the headers', then the body's.
    flash_id = 0
    try:
        flash_id = _FLASH_ID.validate_python(call.params["flash_id"])
    except ValidationError as exc:
        errors += _entries(exc, "path", "flash_id")
    key = call.header(b"idempotency-key")
    if key is not None and not (0 < len(key) <= _KEY_LONGEST and _KEY.match(key)):
        errors.append({"field": "Idempotency-Key", "message": f"at most {_KEY_LONGEST} printable ASCII characters"})
    body: FlashBuyIn | None = None
    try:
        body = FlashBuyIn.model_validate_json(await call.body())
    except ValidationError as exc:
        errors += _entries(exc, "body")
    if errors or body is None:
        await call.invalid_fields(errors)
        return
    db: Database = call.state.db
    buyer_id = await token_cache.user_id_for(db, call.header(b"authorization") or "")
    a = body.address
    answer = await taps.tap(db, buyer_id, flash_id, body.quantity, Address(a.recipient, a.phone, a.address),
                            key or "")
    out = FlashBuyOut(**taps.describe(answer))
    await call.answer(202 if answer.status == "accepted" else 201, out.model_dump_json().encode())


# ---- the room's socket ------------------------------------------------------------------------------


_REFUSALS: dict[tuple[str, str, str | None, int], str] = {}  # the same few refusals, thousands of times a burst


def _refused(exc: DomainError, request_id: Any, flash_id: Any) -> str:
    plain = isinstance(flash_id, int) and isinstance(request_id, str)
    if not plain or exc.details not in ({}, {"flash_id": flash_id}):
        return room.encode([{"type": "error", **exc.to_dict(), "request_id": request_id, "flash_id": flash_id}])
    key = (exc.code, exc.message, exc.field, flash_id)
    head = _REFUSALS.get(key)
    if head is None:
        if len(_REFUSALS) > 10_000:
            _REFUSALS.clear()
        head = _REFUSALS[key] = room.encode({"type": "error", **exc.to_dict(), "flash_id": flash_id})[:-1]
    return f'[{head},"request_id":{room.encode(request_id)}}}]'


async def answer_socket_tap(db: Database, user: User | None, data: dict[str, Any]) -> str:
    """A tap from the room's socket, answered as one frame for that socket alone."""
    request_id, flash_id = data.get("request_id"), data.get("flash_id")
    try:
        try:
            tap = FlashTapIn.model_validate(data)
        except ValidationError as exc:
            first = _entries(exc)[0]
            raise DomainError(f"{first['field']}: {first['message']}", code="invalid_request",
                              status=422, field=first["field"]) from None
        if user is None:
            raise NotAuthenticated("sign in to buy")
        a = tap.address
        answer = await taps.tap(db, user.id, tap.flash_id, tap.quantity, Address(a.recipient, a.phone, a.address),
                                tap.request_id)
    except DomainError as exc:
        return _refused(exc, request_id, flash_id)
    except Exception:  # Redis or the database failed: the tap is not taken, the socket carries on
        log.exception("flash tap failed")
        return _refused(DomainError("could not take the tap; try again", code="busy", status=503),
                        request_id, flash_id)
    return room.encode([{"type": "flash.answer", "request_id": tap.request_id, "flash_id": tap.flash_id,
                         **taps.describe(answer)}])
