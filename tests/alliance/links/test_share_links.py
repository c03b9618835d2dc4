"""Share links: signed tokens, the signed share cookie, attribution of page checkouts within the window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from laotie.alliance.links import service as links
from laotie.identity import service as identity
from laotie.models import CommissionLine, Order, utcnow
from tests.support import Api
from tests.web.test_pages import sign_in


async def _user_id(api: Api, token: str) -> int:
    async with api.db.transaction() as s:
        user = await identity.user_for_token(s, token)
        assert user is not None
        return user.id


async def _world(api: Api, creators: int = 1) -> dict[str, Any]:
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    merchant, product, sku = await api.merchant_with_product(cat, price=10_000, stock=50)
    listing = (await api.call("POST", "/api/v1/alliance/listings", merchant, expect=201,
                              json={"product_id": product, "rate_bps": 2_000})).json()["id"]
    tokens = []
    for _ in range(creators):
        token = await api.user("creator")
        await api.call("POST", f"/api/v1/alliance/listings/{listing}/take", token, expect=201)
        tokens.append(token)
    await api.user(name=f"buyer{product}")
    csrf = await sign_in(api, f"buyer{product}")
    return {"op": op, "merchant": merchant, "product": product, "sku": sku, "creators": tokens,
            "creator_ids": [await _user_id(api, t) for t in tokens], "csrf": csrf, "buyer": f"buyer{product}"}


async def _share_link(api: Api, creator: str, product: int) -> str:
    r = await api.call("POST", "/api/v1/alliance/share-links", creator, expect=201, json={"product_id": product})
    body = r.json()
    assert body["url"] == f"/s/{body['token']}" and body["attribution_hours"] == 24
    return str(body["token"])


async def _page_checkout(api: Api, w: dict[str, Any], src: str = "direct") -> Order:
    """Buy one through the checkout page (as the signed-in buyer, with the client's cookies) and pay."""
    form = {"csrf_token": w["csrf"], "sku": str(w["sku"]), "qty": "1", "recipient": "Bob", "phone": "13800000000",
            "address": "1 Road", "src": src}
    r = await api.client.post("/checkout", data=form)
    assert r.status_code == 303 and r.headers["location"].startswith("/sandbox/pay/"), r.text
    payment_id = r.headers["location"].rsplit("/", 1)[-1]
    r = await api.client.post(f"/sandbox/pay/{payment_id}", data={"csrf_token": w["csrf"], "decision": "approve"})
    assert r.status_code == 303
    await api.settle()
    async with api.db.transaction() as s:
        order = (await s.execute(select(Order).order_by(Order.id.desc()).limit(1))).scalar_one()
        assert order.status == "paid"
        return order


async def _line(api: Api, order_id: int) -> CommissionLine | None:
    async with api.db.transaction() as s:
        return (await s.execute(select(CommissionLine).where(CommissionLine.order_id == order_id))
                ).scalar_one_or_none()


def _cookie_opened(api: Api, token: str, hours_ago: float) -> str:
    settings = api.db.settings
    link = links.read_share_token(settings, token)
    assert link is not None
    return links.share_cookie(settings, link, utcnow() - timedelta(hours=hours_ago))


async def test_opening_a_share_link_attributes_a_purchase_to_the_creator(api: Api) -> None:
    w = await _world(api)
    token = await _share_link(api, w["creators"][0], w["product"])
    r = await api.client.get(f"/s/{token}")
    assert r.status_code == 303 and r.headers["location"] == f"/products/{w['product']}"
    assert links.SHARE_COOKIE in r.cookies
    order = await _page_checkout(api, w)
    assert order.source == f"share:{w['creator_ids'][0]}"
    line = await _line(api, order.id)
    assert line is not None
    # ¥100 at 20% = ¥20, the platform keeps 10%: the creator is owed ¥18.
    assert (line.promoter_id, line.source, line.source_id, line.status, line.est_creator) == (
        w["creator_ids"][0], "share", w["creator_ids"][0], "estimated", 1_800)
    assert await api.ledger_ok()


async def test_attributed_23_hours_after_opening_but_not_25(api: Api) -> None:
    w = await _world(api)
    token = await _share_link(api, w["creators"][0], w["product"])
    api.client.cookies.set(links.SHARE_COOKIE, _cookie_opened(api, token, 23))
    order = await _page_checkout(api, w)
    assert order.source == f"share:{w['creator_ids'][0]}"
    assert await _line(api, order.id) is not None

    api.client.cookies.set(links.SHARE_COOKIE, _cookie_opened(api, token, 25))
    order = await _page_checkout(api, w)
    assert order.source == "direct"
    assert await _line(api, order.id) is None
    assert await api.ledger_ok()


def test_the_window_is_counted_from_opening_on_a_given_clock(api: Api) -> None:
    settings = api.db.settings
    opened = utcnow().replace(microsecond=0)
    link = links.LinkToken(creator_id=7, product_id=9, issued_at=opened - timedelta(days=30))
    cookie = links.share_cookie(settings, link, opened)
    assert links.share_source(settings, cookie, 9, opened + timedelta(hours=23)) == "share:7"
    assert links.share_source(settings, cookie, 9, opened + timedelta(hours=24)) == "share:7"
    assert links.share_source(settings, cookie, 9, opened + timedelta(hours=25)) is None
    assert links.share_source(settings, cookie, 10, opened + timedelta(hours=1)) is None  # another product
    # A share token is no cookie: each is signed with its own key.
    assert links.share_source(settings, links.share_token(settings, 7, 9, opened), 9, opened) is None


async def test_a_tampered_token_or_cookie_is_ignored(api: Api) -> None:
    w = await _world(api)
    token = await _share_link(api, w["creators"][0], w["product"])
    creator, product, issued, signature = token.split(".")
    forged_sig = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    # The last character carries spare bits: a second spelling of the same signature is refused too.
    respelt = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for bad in (f"{creator}.{product}.{issued}.{forged_sig}", f"{creator}.{product}.{issued}.{respelt}",
                f"{int(creator) + 1}.{product}.{issued}.{signature}",
                "not-a-token", f"{creator}.{product}.{issued}", f"{creator}.{product}.{issued}.{signature}.x",
                f"{creator}.{product}.{issued}.%C3%A9"):
        r = await api.client.get(f"/s/{bad}")
        assert r.status_code == 404 and "link_invalid" in r.text, bad
        assert links.SHARE_COOKIE not in r.cookies
    assert links.SHARE_COOKIE not in api.client.cookies
    order = await _page_checkout(api, w)
    assert order.source == "direct"

    # A genuine cookie opened 30 hours ago, its open time moved forward by the client: ignored.
    old = _cookie_opened(api, token, 30)
    c, p, i, opened, sig = old.split(".")
    renewed = f"{c}.{p}.{i}.{int(opened) + 10 * 3600}.{sig}"
    for bad in (renewed, f"{c}.{p}.{i}.{opened}.{sig[:-2]}", f"{int(c) + 1}.{p}.{i}.{opened}.{sig}", "garbage"):
        api.client.cookies.set(links.SHARE_COOKIE, bad)
        order = await _page_checkout(api, w)
        assert order.source == "direct", bad
        assert await _line(api, order.id) is None
    assert await api.ledger_ok()


async def test_a_form_cannot_claim_a_share(api: Api) -> None:
    w = await _world(api)
    order = await _page_checkout(api, w, src=f"share:{w['creator_ids'][0]}")
    assert order.source == "direct"
    assert await _line(api, order.id) is None


async def test_the_last_link_opened_wins(api: Api) -> None:
    w = await _world(api, creators=2)
    first = await _share_link(api, w["creators"][0], w["product"])
    second = await _share_link(api, w["creators"][1], w["product"])
    assert (await api.client.get(f"/s/{first}")).status_code == 303
    assert (await api.client.get(f"/s/{second}")).status_code == 303
    order = await _page_checkout(api, w)
    assert order.source == f"share:{w['creator_ids'][1]}"
    line = await _line(api, order.id)
    assert line is not None and line.promoter_id == w["creator_ids"][1]
    # And back: opening the first again hands the next purchase to its creator.
    assert (await api.client.get(f"/s/{first}")).status_code == 303
    order = await _page_checkout(api, w)
    assert order.source == f"share:{w['creator_ids'][0]}"
    assert await api.ledger_ok()


async def test_only_a_promoting_creator_gets_a_share_link(api: Api) -> None:
    w = await _world(api)
    stranger = await api.user("creator")
    r = await api.call("POST", "/api/v1/alliance/share-links", stranger, expect=403, json={"product_id": w["product"]})
    assert r.json()["code"] == "not_promoting"
    r = await api.call("POST", "/api/v1/alliance/share-links", w["creators"][0], expect=404,
                       json={"product_id": 999_999})
    assert r.json()["code"] == "product_not_found"
    r = await api.call("POST", "/api/v1/alliance/share-links", w["creators"][0], expect=422,
                       json={"product_id": "x"})
    assert r.json()["field"] == "product_id"
    r = await api.call("POST", "/api/v1/alliance/share-links", w["merchant"], expect=403,
                       json={"product_id": w["product"]})
    # A link to a creator who stopped promoting still opens, but the purchase is not theirs.
    token = await _share_link(api, w["creators"][0], w["product"])
    listing = (await api.call("GET", f"/api/v1/alliance/showcase/{w['creator_ids'][0]}", expect=200)).json()[0]["id"]
    await api.call("DELETE", f"/api/v1/alliance/listings/{listing}/take", w["creators"][0], expect=204)
    assert (await api.client.get(f"/s/{token}")).status_code == 303
    order = await _page_checkout(api, w)
    assert order.source == f"share:{w['creator_ids'][0]}"
    assert await _line(api, order.id) is None
    assert await api.ledger_ok()
