"""The creator console: a creator without a shop is shown what they can do and where to start; keys use PRG."""

from __future__ import annotations

from tests.support import Api
from tests.web.test_pages import csrf_of, sign_in


async def test_creator_without_a_shop_is_led_to_a_shop_or_the_catalogue(api: Api) -> None:
    await api.user("creator", name="newcomer")
    token = await sign_in(api, "newcomer")
    page = await api.client.get("/live/console")
    assert page.status_code == 200 and 'id="creator-start"' in page.text
    assert 'href="/merchant" data-open-shop' in page.text and 'href="/" data-catalogue' in page.text
    r = await api.client.post("/live/console/session", data={"csrf_token": token, "title": "First stream"})
    assert r.status_code == 303
    page = await api.client.get("/live/console")
    assert "First stream" in page.text and 'id="creator-start"' in page.text
    for shop_only in ("Live cart", "Paid for by your shop", "/coupon", "/flash", "/lucky-bag"):
        assert shop_only not in page.text, shop_only

    # Opening a shop from there makes the creator a merchant, and the console then has its selling tools.
    shop_form = await api.client.get("/merchant")
    assert shop_form.status_code == 200 and "data-becoming-merchant" in shop_form.text
    r = await api.client.post("/merchant/shop", data={"csrf_token": csrf_of(shop_form.text), "name": "Newcomer goods"})
    assert r.status_code == 303 and r.headers["location"] == "/merchant"
    assert (await api.client.get("/merchant")).status_code == 200
    page = await api.client.get("/live/console")
    assert 'id="creator-start"' not in page.text and "Live cart" in page.text and "Paid for by your shop" in page.text


async def test_consumer_cannot_open_a_shop_through_the_creator_path(api: Api) -> None:
    await api.user(name="shopper")
    await sign_in(api, "shopper")
    assert (await api.client.get("/merchant")).status_code == 403


async def test_new_stream_key_is_shown_once_after_a_redirect(api: Api) -> None:
    await api.user("creator", name="keyholder")
    token = await sign_in(api, "keyholder")
    r = await api.client.post("/live/console/key", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/live/console"
    assert "data-stream-key" not in r.text
    page = await api.client.get("/live/console")
    assert "data-stream-key" in page.text
    key = page.text.split("data-stream-key>", 1)[1].split("<", 1)[0]
    assert len(key) >= 16 and key not in str(page.url)
    again = await api.client.get("/live/console")  # reloading shows it no more
    assert "data-stream-key" not in again.text and key not in again.text
