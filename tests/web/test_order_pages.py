"""The order page after each step: what was done is said, receipt asks first, one after-sale at a time."""

from __future__ import annotations

from tests.aftersales.test_aftersales import ask, paid_order, ship, world
from tests.support import Api
from tests.web.test_pages import csrf_of, sign_in


async def _names(api: Api, *tokens: str) -> list[str]:
    return [(await api.call("GET", "/api/v1/me", t, expect=200)).json()["username"] for t in tokens]


async def test_shipping_and_receipt_say_what_was_done_and_receipt_asks_first(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    buyer, merchant = await _names(api, w.buyer, w.merchant)

    token = await sign_in(api, merchant)
    r = await api.client.post(f"/orders/{order_id}/ship", data={
        "csrf_token": token, "carrier": "SF", "tracking_no": "SF0001", "back": "/merchant/orders"})
    assert r.status_code == 303 and r.headers["location"] == f"/merchant/orders?done=shipped&order={order_id}"
    page = await api.client.get(r.headers["location"])
    assert f"Order #{order_id} shipped" in page.text and 'class="notice"' in page.text

    api.client.cookies.clear()
    token = await sign_in(api, buyer)
    page = await api.client.get(f"/orders/{order_id}")
    assert 'hx-confirm="' in page.text.split("Confirm receipt")[0].rsplit("<form", 1)[1]
    r = await api.client.post(f"/orders/{order_id}/confirm", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == f"/orders/{order_id}?done=received&order={order_id}"
    page = await api.client.get(r.headers["location"])
    assert "Receipt confirmed" in page.text and 'data-status="completed"' in page.text


async def test_refund_or_return_is_offered_only_while_no_request_is_open(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    [buyer] = await _names(api, w.buyer)
    await sign_in(api, buyer)
    new_request = f'href="/aftersales/new/{order_id}"'
    assert new_request in (await api.client.get(f"/orders/{order_id}")).text
    a = (await ask(api, w, order_id, "refund_only")).json()
    page = await api.client.get(f"/orders/{order_id}")
    assert new_request not in page.text and f'data-aftersale="{a["id"]}"' in page.text
    assert f"/claims/new/{order_id}" in page.text  # a counterfeit claim is another matter
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/cancel", w.buyer, expect=200)
    assert new_request in (await api.client.get(f"/orders/{order_id}")).text


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_refund_request_takes_photos_like_a_review(api: Api) -> None:
    from sqlalchemy import select

    from laotie.models import Aftersale

    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    buyer, merchant = await _names(api, w.buyer, w.merchant)
    await sign_in(api, buyer)
    form = await api.client.get(f"/aftersales/new/{order_id}")
    assert 'enctype="multipart/form-data"' in form.text and 'type="file"' in form.text and 'name="images"' in form.text
    fields = {"csrf_token": csrf_of(form.text), "kind": "refund_only", "reason": "quality", "description": "cracked"}

    # A file that is no picture is refused beside the form, and no request is left behind.
    r = await api.client.post(f"/aftersales/new/{order_id}", data=fields, params={"csrf_token": fields["csrf_token"]},
                              files=[("images", ("notes.txt", b"not a picture", "text/plain"))])
    assert r.status_code == 400 and "JPEG, PNG or WebP" in r.text
    async with api.db.transaction() as s:
        assert (await s.execute(select(Aftersale))).scalars().all() == []

    r = await api.client.post(f"/aftersales/new/{order_id}", data=fields, params={"csrf_token": fields["csrf_token"]},
                              files=[("images", ("a.png", PNG, "image/png")), ("images", ("b.png", PNG, "image/png"))])
    assert r.status_code == 303, r.text
    async with api.db.transaction() as s:
        [a] = (await s.execute(select(Aftersale))).scalars().all()
    assert len(a.evidence) == 2 and all(p.startswith(f"aftersales/{a.id}/") for p in a.evidence)
    assert all((api.db.settings.media_dir / p).read_bytes() == PNG for p in a.evidence)
    page = await api.client.get(f"/orders/{order_id}")
    assert all(f'src="/media/{p}"' in page.text for p in a.evidence)
    assert (await api.client.get(f"/media/{a.evidence[0]}")).status_code == 200

    api.client.cookies.clear()
    await sign_in(api, merchant)
    queue = await api.client.get("/merchant/aftersales")
    assert all(f'src="/media/{p}"' in queue.text for p in a.evidence)
