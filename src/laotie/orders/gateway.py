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


@dataclass(frozen=True)
class PayoutNotification:
    payout_id: int
    gateway_ref: str
    amount: int
    currency: str
    status: str  # "paid" | "failed"
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

    def send_payout(self, payout_id: int, user_id: int, amount: int, reason: str) -> str:
        """Ask for a withdrawal to be paid; returns the gateway's reference. The outcome comes later,
        as a signed payout notification (`verify_payout`)."""
        ...

    def verify_payout(self, body: bytes, signature: str | None) -> PayoutNotification: ...


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

    def _verified(self, body: bytes, signature: str | None) -> Any:
        """The body of a notification whose signature verifies (payments and payouts alike)."""
        if not signing.verify(self.secret, body, signature):
            raise BadSignature("notification signature does not verify")
        try:
            return json.loads(body)
        except ValueError as exc:
            raise BadNotification("notification body is not valid") from exc

    def verify(self, body: bytes, signature: str | None) -> Notification:
        data = self._verified(body, signature)
        try:
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

    def send_payout(self, payout_id: int, user_id: int, amount: int, reason: str) -> str:
        """The sandbox accepts every request; a person decides its outcome (`payout_notification`)."""
        return f"sbx_wd_{payout_id}_{secrets.token_hex(6)}"

    def payout_notification(self, *, payout_id: int, amount: int, currency: str, status: str,
                            reason: str = "", gateway_ref: str | None = None) -> tuple[bytes, str]:
        """The body and signature the sandbox sends when a withdrawal is paid or fails."""
        body = json.dumps({
            "kind": "payout", "payout_id": payout_id, "gateway_ref": gateway_ref or f"sbx_wd_{payout_id}",
            "amount": amount, "currency": currency, "status": status, "reason": reason,
        }, sort_keys=True).encode()
        return body, signing.sign(self.secret, body)

    def verify_payout(self, body: bytes, signature: str | None) -> PayoutNotification:
        data = self._verified(body, signature)
        try:
            if data["kind"] != "payout":
                raise ValueError("not a payout notification")
            note = PayoutNotification(
                payout_id=int(data["payout_id"]), gateway_ref=str(data["gateway_ref"])[:80],
                amount=int(data["amount"]), currency=str(data["currency"]), status=str(data["status"]),
                reason=str(data.get("reason", ""))[:200],
            )
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            raise BadNotification("payout notification body is not valid") from exc
        if note.status not in ("paid", "failed"):
            raise BadNotification(f"unknown payout status {note.status!r}")
        return note


def gateway_for(settings: Settings) -> SandboxGateway:
    return SandboxGateway(settings)
