"""Payment gateways: the interface, and the built-in sandbox with signed callbacks.

A gateway tells us about money with a notification: a JSON body and an HMAC
signature over it. The sandbox produces exactly the notifications a real gateway
would, so the code that verifies them is the one real payments go through.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from laotie.config import Settings
from laotie.kit import signing
from laotie.orders.errors import BadNotification, BadSignature

SIGNATURE_HEADER = "X-Laotie-Signature"


@dataclass(frozen=True)
class Notification:
    payment_id: int
    gateway_ref: str
    amount: int
    currency: str
    status: str  # "succeeded" | "declined"
    reason: str = ""


class PaymentGateway(Protocol):
    name: str

    def pay_url(self, payment_id: int) -> str: ...

    def verify(self, body: bytes, signature: str | None) -> Notification: ...

    def refund(self, payment_id: int, amount: int, reason: str) -> str:
        """Send money back; returns the gateway's refund reference."""
        ...

    def payout(self, user_id: int, amount: int, reason: str) -> str:
        """Pay a buyer money that is not a refund (compensation); returns the gateway's reference."""
        ...


class SandboxGateway:
    """Built-in test gateway: its own pay page, HMAC-signed notifications, instant refunds."""

    name = "sandbox"

    def __init__(self, settings: Settings) -> None:
        self.secret = (
            settings.sandbox_gateway_secret.encode()
            if settings.sandbox_gateway_secret
            else settings.secret("sandbox-gateway")
        )

    def pay_url(self, payment_id: int) -> str:
        return f"/sandbox/pay/{payment_id}"

    def notification(self, *, payment_id: int, amount: int, currency: str, status: str,
                     reason: str = "", gateway_ref: str | None = None) -> tuple[bytes, str]:
        """The body and signature the sandbox sends when the buyer approves or declines."""
        body = json.dumps({
            "payment_id": payment_id, "gateway_ref": gateway_ref or f"sbx_{secrets.token_hex(10)}",
            "amount": amount, "currency": currency, "status": status, "reason": reason,
        }, sort_keys=True).encode()
        return body, signing.sign(self.secret, body)

    def verify(self, body: bytes, signature: str | None) -> Notification:
        if not signing.verify(self.secret, body, signature):
            raise BadSignature("notification signature does not verify")
        try:
            data: Any = json.loads(body)
            note = Notification(
                payment_id=int(data["payment_id"]), gateway_ref=str(data["gateway_ref"])[:80],
                amount=int(data["amount"]), currency=str(data["currency"]), status=str(data["status"]),
                reason=str(data.get("reason", ""))[:200],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BadNotification("notification body is not valid") from exc
        if note.status not in ("succeeded", "declined"):
            raise BadNotification(f"unknown payment status {note.status!r}")
        return note

    def refund(self, payment_id: int, amount: int, reason: str) -> str:
        return f"sbx_rf_{secrets.token_hex(10)}"

    def payout(self, user_id: int, amount: int, reason: str) -> str:
        return f"sbx_po_{secrets.token_hex(10)}"


def gateway_for(settings: Settings) -> SandboxGateway:
    return SandboxGateway(settings)
