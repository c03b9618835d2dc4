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

