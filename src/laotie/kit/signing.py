"""HMAC signatures for notifications that cross a trust boundary (gateway, carrier), and secret comparison."""

from __future__ import annotations

import hashlib
import hmac


def same_secret(expected: str | bytes, given: str | bytes) -> bool:
    """Constant-time equality of two secrets, whatever characters a caller sent.

    `hmac.compare_digest` raises TypeError on a `str` holding non-ASCII characters, and a
    header, cookie, form field or query value can hold anything: compare UTF-8 bytes.
    """
    a = expected.encode("utf-8", "surrogateescape") if isinstance(expected, str) else expected
    b = given.encode("utf-8", "surrogateescape") if isinstance(given, str) else given
    return hmac.compare_digest(a, b)


def sign(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    return same_secret(sign(secret, body), signature.strip().lower())
