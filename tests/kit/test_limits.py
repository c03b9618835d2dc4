"""Body limits per route class, refused before reading; uploads authenticated and CSRF-checked first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from laotie.config import Settings
from tests.support import Api
from tests.web.test_pages import sign_in

CHUNK = 64 * 1024


class Body:
    """A request body streamed in chunks, counting how many the server pulled."""

    def __init__(self, total: int, head: bytes = b"") -> None:
        self.total, self.head, self.pulled = total, head, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        while sent < self.total:
            chunk = (self.head if sent == 0 and self.head else b"") or b"x" * min(CHUNK, self.total - sent)
            self.pulled += 1
            sent += len(chunk)
            yield chunk


def test_limits_per_route_class() -> None:
    s = Settings(max_image_bytes=5 * 1024 * 1024, video_max_bytes=100 * 1024 * 1024)
    assert s.body_limit("json") == 10 * 1024 * 1024 and s.body_limit("form") == 1024 * 1024
    assert 30 * 1024 * 1024 < s.body_limit("image") < 31 * 1024 * 1024
    assert 100 * 1024 * 1024 < s.body_limit("video") < 101 * 1024 * 1024
    assert Settings(body_max_video_bytes=4096).body_limit("video") == 4096


def _is_413_json(r: Any) -> None:
    assert r.status_code == 413, (r.status_code, r.text[:300])
    body = r.json()
    assert body["code"] == "body_too_large" and body["field"] is None and body["message"], body


async def test_json_body_refused_by_content_length_before_reading(api: Api) -> None:
    # 50 MB registration: refused from the header, and the server pulls not one chunk of it.
    body = Body(50 * 1024 * 1024)
    r = await api.client.post("/api/v1/auth/register", content=body,
                              headers={"content-type": "application/json", "content-length": str(body.total)})
    _is_413_json(r)
    assert body.pulled == 0
    # whatever the method: a GET with a body is read by a route as well
    body = Body(20 * 1024 * 1024)
    r = await api.client.request("GET", "/api/v1/products", content=body,
                                 headers={"content-type": "application/json", "content-length": str(body.total)})
    _is_413_json(r)
    assert body.pulled == 0


async def test_chunked_json_body_is_counted_and_stopped(api: Api) -> None:
    api.app.state.settings.body_max_json_bytes = 256 * 1024
    body = Body(5 * 1024 * 1024, head=b'{"username": "')
    r = await api.client.post("/api/v1/auth/register", content=body, headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    _is_413_json(r)
    assert body.pulled <= 256 * 1024 // CHUNK + 2  # stopped at the limit, not at the end
    # under the limit, the same route answers as before
    r = await api.client.post("/api/v1/auth/register", json={"username": "limitok", "password": "password123"})
    assert r.status_code == 201


async def test_page_form_over_its_limit_is_the_html_error_page(api: Api) -> None:
    await api.user(name="formy")
    await sign_in(api, "formy")
    r = await api.client.post("/login", content=b"a=" + b"x" * (1024 * 1024 + 10),
                              headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html"), r.text[:200]
    assert 'data-code="body_too_large"' in r.text and "Sign out" in r.text
    body = Body(2 * 1024 * 1024, head=b"a=")
    r = await api.client.post("/login", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and 'data-code="body_too_large"' in r.text


async def test_uploads_take_their_own_class_limit(api: Api) -> None:
    """A 2 MB image is past the form and near no JSON limit, but within the image class: not a 413."""
    op = await api.operator()
    merchant, product, _ = await api.merchant_with_product(await api.category(op))
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024)
    r = await api.call("POST", f"/api/v1/products/{product}/images", merchant,
                       files={"file": ("big.png", big, "image/png")})
    assert r.status_code != 413 and "body_too_large" not in r.text, r.text
    api.app.state.settings.body_max_image_bytes = 1024 * 1024
    r = await api.call("POST", f"/api/v1/products/{product}/images", merchant,
                       files={"file": ("big.png", big, "image/png")})
    _is_413_json(r)


@pytest.mark.parametrize("url", ["/api/v1/videos", "/api/v1/products/1/images", "/api/v1/reviews/1/images"])
async def test_api_uploads_authenticate_before_reading(api: Api, url: str) -> None:
    body = Body(3 * 1024 * 1024, head=b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n")
    r = await api.client.post(url, content=body, headers={"content-type": "multipart/form-data; boundary=b"})
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated", r.text
    assert body.pulled == 0


@pytest.mark.parametrize("url", ["/videos/upload", "/merchant/products/1/images/upload", "/aftersales/new/1",
                                 "/feedback/orders/1/reviews"])
async def test_page_uploads_check_sign_in_and_csrf_before_reading(api: Api, url: str) -> None:
    head = b"--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
    multipart = {"content-type": "multipart/form-data; boundary=b"}
    body = Body(512 * 1024, head=head)
    r = await api.client.post(url, content=body, headers=multipart)
    assert r.status_code == 303 and r.headers["location"].startswith("/login"), (r.status_code, r.text[:200])
    assert body.pulled == 0
    await api.user("merchant", "creator", name="uploader")
    token = await sign_in(api, "uploader")
    for params in ({}, {"csrf_token": "wrong"}, {"csrf_token": "wröng"}):
        body = Body(512 * 1024, head=head + token.encode())  # the right token, but only inside the body
        r = await api.client.post(url, params=params, content=body, headers=multipart)
        assert r.status_code == 403 and 'data-code="csrf_failed"' in r.text, (url, params, r.status_code)
        assert body.pulled == 0
