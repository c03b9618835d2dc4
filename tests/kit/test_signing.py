"""Secrets compared as bytes: a non-ASCII token, cookie, header or signature is refused, never a 500."""

from __future__ import annotations

import pytest

from laotie.kit.signing import same_secret
from laotie.live.media.endpoints import callback_token
from tests.support import Api
from tests.web.test_pages import csrf_of

ODD = "tök€n✓"


def test_same_secret_takes_any_characters() -> None:
    assert same_secret("abc", "abc") and same_secret(b"abc", "abc")
    assert not same_secret("abc", ODD) and not same_secret(ODD, "abc") and not same_secret("abc", "")
    assert same_secret(ODD, ODD)
    assert not same_secret("abc", "\udcff")  # a lone surrogate, as a mis-decoded header gives


async def test_csrf_with_non_ascii_values_is_refused(api: Api) -> None:
    await api.user(name="nonascii")
    token = csrf_of((await api.client.get("/login")).text)
    form = {"username": "nonascii", "password": "password123"}
    # the form field
    r = await api.client.post("/login", data={**form, "csrf_token": ODD})
    assert r.status_code == 403 and "expired" in r.text
    # the header, as htmx sends it
    r = await api.client.post("/login", data=form, headers={"X-CSRF-Token": ODD.encode()})
    assert r.status_code == 403 and "expired" in r.text
    # the cookie
    api.client.cookies.clear()
    r = await api.client.post("/login", data={**form, "csrf_token": token},
                              headers={"Cookie": f"laotie_csrf={ODD}".encode()})
    assert r.status_code == 403 and "expired" in r.text


async def test_media_hook_with_non_ascii_token_is_refused(api: Api) -> None:
    good = callback_token(api.db.settings.secret("media-hooks"))
    for path in ("/media/hooks/publish", "/media/hooks/publish_done"):
        r = await api.client.post(path, params={"token": ODD}, data={"call": "publish", "name": "k"})
        assert r.status_code == 403, (path, r.text)
    r = await api.client.post("/media/hooks/publish_done", params={"token": good}, data={"name": "k"})
    assert r.status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/payments/sandbox/callback", "/api/v1/logistics/sandbox/callback"])
async def test_callback_with_non_ascii_signature_is_refused(api: Api, url: str) -> None:
    body = b'{"payment_id": 1, "order_id": 1, "status": "delivered"}'
    wrong = await api.client.post(url, content=body, headers={"X-Laotie-Signature": "0" * 64})
    assert 400 <= wrong.status_code < 500, wrong.text
    for signature in (ODD.encode(), "é".encode("latin-1"), b"\xff" * 64):
        r = await api.client.post(url, content=body, headers={"X-Laotie-Signature": signature})
        assert r.status_code == wrong.status_code and r.json()["code"] == wrong.json()["code"], r.text
