"""A page never answers raw JSON: blank fields mean "not set", and every refusal is the HTML error page."""

from __future__ import annotations

from laotie.web.middleware import drop_blank_fields
from tests.support import ENGLISH, Api
from tests.web.test_pages import sign_in


def test_blank_fields_are_dropped_byte_for_byte() -> None:
    assert drop_blank_fields(b"q=&category=&sort=newest&min_price=+&y=%E4%B8%AD") == b"sort=newest&y=%E4%B8%AD"
    assert drop_blank_fields(b"q=tea") == b"q=tea"
    assert drop_blank_fields(b"q=%20&page=") == b""


def _is_error_page(r: object, status: int) -> None:
    assert r.status_code == status, (r.status_code, r.text)  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("text/html"), r.headers  # type: ignore[attr-defined]
    assert 'role="alert"' in r.text and "<!doctype html>" in r.text  # type: ignore[attr-defined]


async def test_empty_filter_fields_mean_not_set(api: Api) -> None:
    op = await api.operator()
    await api.merchant_with_product(await api.category(op))
    for query in ("category=", "q=&category=&sort=&min_price=&max_price=", "category=&page=", "sort=+"):
        r = await api.client.get(f"/?{query}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (query, r.text)
        assert "Linyi apples" in r.text, query
    shopkeeper = await api.user("consumer", "merchant", name="blankie")
    await api.call("POST", "/api/v1/shops", shopkeeper, expect=201, json={"name": "blank shop"})
    await sign_in(api, "blankie")
    for url in ("/orders?status=", "/checkout?sku=&qty=", "/merchant/orders?status="):
        r = await api.client.get(url)
        assert r.status_code in {200, 303}, (url, r.status_code, r.text)
        assert r.status_code == 303 or r.headers["content-type"].startswith("text/html"), url


async def test_page_refusals_are_html_with_the_signed_in_header(api: Api) -> None:
    for url in ("/?category=abc", "/?page=0", "/products/abc", "/products/99999999999999999999", "/no-such-page"):
        r = await api.client.get(url)
        _is_error_page(r, 404 if url == "/no-such-page" else 422)
        assert "Sign in" in r.text
    r = await api.client.put("/login")
    _is_error_page(r, 405)
    # a body that cannot be read, posted to a page
    r = await api.client.post("/login", content=b"\xff\xfe",
                              headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.headers["content-type"].startswith("text/html") and r.status_code in {403, 422}, r.text
    await api.user(name="pagey")
    await sign_in(api, "pagey")
    r = await api.client.get("/products/999999")
    _is_error_page(r, 404)
    assert "Sign out" in r.text and "My orders" in r.text
    r = await api.client.get("/?category=abc")
    _is_error_page(r, 422)
    assert "category" in r.text and "Sign out" in r.text
    # the API keeps its JSON
    r = await api.client.get("/api/v1/products/abc")
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = await api.client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


async def test_a_crash_on_a_page_is_the_html_error_page(api: Api) -> None:
    import httpx

    async def boom() -> None:
        raise RuntimeError("a bug")

    api.app.add_api_route("/boom-page", boom, include_in_schema=False)
    api.app.add_api_route("/api/v1/boom", boom, include_in_schema=False)
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://laotie.test", headers=ENGLISH) as client:
        r = await client.get("/boom-page")
        _is_error_page(r, 500)
        assert 'data-code="internal_error"' in r.text and "a bug" not in r.text
        r = await client.get("/api/v1/boom")
        assert r.status_code == 500 and r.json() == {"code": "internal_error", "field": None,
                                                     "message": "something went wrong on our side"}
