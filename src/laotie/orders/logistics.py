"""The sandbox carrier: signed delivery notifications, like a real tracking webhook."""

from __future__ import annotations

import json

from laotie.config import Settings
from laotie.kit import signing
from laotie.orders.errors import BadNotification, BadSignature

SIGNATURE_HEADER = "X-Laotie-Signature"


def _secret(settings: Settings) -> bytes:
    return settings.secret("sandbox-carrier")


def delivery_notification(settings: Settings, order_id: int, tracking_no: str) -> tuple[bytes, str]:
    body = json.dumps({"order_id": order_id, "tracking_no": tracking_no, "status": "delivered"},
                      sort_keys=True).encode()
    return body, signing.sign(_secret(settings), body)


def verify_delivery(settings: Settings, body: bytes, signature: str | None) -> tuple[int, str]:
    if not signing.verify(_secret(settings), body, signature):
        raise BadSignature("carrier notification signature does not verify")
    try:
        data = json.loads(body)
        if data["status"] != "delivered":
            raise ValueError(data["status"])
        return int(data["order_id"]), str(data["tracking_no"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadNotification("carrier notification is not valid") from exc
