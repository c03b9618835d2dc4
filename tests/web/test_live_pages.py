"""Live pages over HTTP: the room shows the cart, flash buys from the room, the console drives the room."""

from __future__ import annotations

import re

from sqlalchemy import select

from laotie.models import FlashListing, Order
from tests.live.conftest import go_live
from tests.support import Api
from tests.web.test_pages import csrf_of, sign_in


async def test_room_and_console(api: Api) -> None:
    room = await go_live(api, stock=30)
    host_name = (await api.call("GET", "/api/v1/me", room.host, expect=200)).json()["username"]
    # the host drives the room from the console
    token = await sign_in(api, host_name)
    console = await api.client.get("/live/console")
    assert console.status_code == 200 and "Live cart" in console.text
    r = await api.client.post(f"/live/console/{room.session_id}/pin",
                              data={"csrf_token": token, "product_id": str(room.product_id)})
    assert r.status_code == 303
    r = await api.client.post(f"/live/console/{room.session_id}/flash", data={
        "csrf_token": token, "sku_id": str(room.sku_id), "live_price": "9.90", "live_stock": "3",
        "per_buyer_cap": "1", "countdown": "0"})
    assert r.status_code == 303
    r = await api.client.post(f"/live/console/{room.session_id}/flash", data={
        "csrf_token": token, "sku_id": str(room.sku_id), "live_price": "oops", "live_stock": "3"})
    assert r.status_code == 422 and "9.90" in r.text
    page = await api.client.get(f"/live/{room.session_id}")
    assert page.status_code == 200 and "📌" in page.text and "3-2-1" in page.text and "¥9.90" in page.text
    assert f"/checkout?sku={room.sku_id}&src=live:{room.session_id}" in page.text

    # a viewer buys the flash from the room, first with no address on file
    api.client.cookies.clear()
    await api.user(name="viewer1")
    token = await sign_in(api, "viewer1")
    page = await api.client.get(f"/live/{room.session_id}")
    flash_id = int(re.search(r'/live/flash/(\d+)/buy', page.text).group(1))  # type: ignore[union-attr]
    r = await api.client.post(f"/live/flash/{flash_id}/buy", data={
        "csrf_token": csrf_of(page.text), "quantity": "1", "recipient": "Wang", "phone": "13900000000",
        "address": "2 Live Road"})
    assert r.status_code == 303, re.findall(r'role="alert"[^>]*>([^<]*)', r.text)
    assert r.headers["location"].startswith("/sandbox/pay/")
    again = await api.client.post(f"/live/flash/{flash_id}/buy", data={
        "csrf_token": token, "quantity": "1", "recipient": "Wang", "phone": "13900000000", "address": "2 Live Road"})
    assert again.status_code == 409 and "per buyer" in again.text
    async with api.db.transaction() as s:
        orders = (await s.execute(select(Order))).scalars().all()
        assert [o.source for o in orders] == [f"live:{room.session_id}"]
        assert (await s.get(FlashListing, flash_id)).sold == 1



async def test_coins_page_and_gift_sheet(api: Api) -> None:
    room = await go_live(api)
    await api.user(name="giftfan")
    token = await sign_in(api, "giftfan")
    page = await api.client.get("/coins")
    assert page.status_code == 200 and "0 coins" in page.text and 'data-pack="60"' in page.text
    r = await api.client.post("/coins/buy", data={"csrf_token": token, "coins": "0"})
    assert r.status_code == 422 and "between 1 and" in r.text
    r = await api.client.post("/coins/buy", data={"csrf_token": token, "coins": "60"})
    assert r.status_code == 303 and r.headers["location"].startswith("/sandbox/pay/")
    payment_id = int(r.headers["location"].rsplit("/", 1)[1])
    pay_page = await api.client.get(r.headers["location"])
    assert "¥6.00" in pay_page.text and "Coins top-up" in pay_page.text
    r = await api.client.post(f"/sandbox/pay/{payment_id}", data={"csrf_token": token, "decision": "approve"})
    assert r.status_code == 303 and r.headers["location"] == f"/coins?payment={payment_id}"
    await api.settle()
    page = await api.client.get(r.headers["location"])
    assert 'data-status="credited"' in page.text and "60 coins" in page.text

    room_page = await api.client.get(f"/live/{room.session_id}")
    assert 'id="gift-sheet"' in room_page.text and 'data-gift="rocket"' in room_page.text
    assert "No gifts yet" in room_page.text
    hx = {"HX-Request": "true"}
    r = await api.client.post(f"/live/{room.session_id}/gifts", headers=hx,
                              data={"csrf_token": token, "gift": "kiss"})
    assert r.status_code == 200 and "Sent 💋 么么哒 ×1" in r.text and "<span data-balance>8</span>" in r.text
    r = await api.client.post(f"/live/{room.session_id}/gifts", headers=hx,
                              data={"csrf_token": token, "gift": "kiss"})
    assert 'data-code="insufficient_coins"' in r.text and 'href="/coins"' in r.text
    r = await api.client.post(f"/live/{room.session_id}/gifts", data={"csrf_token": token, "gift": "kiss"})
    assert r.status_code == 409  # without htmx: the refusal as a page, with its status
    await api.settle()
    room_page = await api.client.get(f"/live/{room.session_id}")
    assert "giftfan" in room_page.text and "52" in room_page.text and "No gifts yet" not in room_page.text

    # The host sees the session's gifts and their share in the console.
    api.client.cookies.clear()
    host_name = (await api.call("GET", "/api/v1/me", room.host, expect=200)).json()["username"]
    await sign_in(api, host_name)
    console = await api.client.get("/live/console")
    assert 'id="console-gifts"' in console.text and "¥2.60" in console.text  # half of 52 coins at ¥0.10
    room_page = await api.client.get(f"/live/{room.session_id}")
    assert 'id="gift-sheet"' not in room_page.text  # no gifting yourself
