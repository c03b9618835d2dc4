"""Link-outs: external channels registered with their secrets, tracked clicks, signed postbacks, external earnings."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import func, select

from laotie.models import (
    AllianceExternalConversion,
    AllianceLinkClick,
    AlliancePostbackNonce,
    JournalEntry,
    utcnow,
)
from tests.support import Api

EXTERNAL_URL = "https://item.taobao.example/item.htm?id=42"


async def _counts(api: Api) -> tuple[int, int, int, int]:
    async with api.db.transaction() as s:
        found = [(await s.execute(select(func.count()).select_from(m))).scalar_one()
                 for m in (AllianceExternalConversion, AlliancePostbackNonce, AllianceLinkClick, JournalEntry)]
    return found[0], found[1], found[2], found[3]


async def _external_product(api: Api, op: str, merchant: str | None = None) -> tuple[str, int]:
    cat = await api.category(op, rate_bps=500)
    if merchant is None:
        merchant = await api.user("merchant")
        await api.call("POST", "/api/v1/shops", merchant, expect=201, json={"name": f"shop-{secrets.token_hex(3)}"})
    r = await api.call("POST", "/api/v1/products", merchant, expect=201, json={
        "title": "Linyi pears on Taobao", "category_id": cat, "external_channel": "Taobao",
        "external_url": EXTERNAL_URL})
    product = int(r.json()["id"])
    await api.call("POST", f"/api/v1/products/{product}/publish", merchant, expect=200)
    return merchant, product


async def _world(api: Api) -> dict[str, Any]:
    op = await api.operator()
    merchant, product = await _external_product(api, op)
    # Not listable until its channel is registered: nobody could report its sales.
    r = await api.call("POST", "/api/v1/alliance/listings", merchant, expect=409,
                       json={"product_id": product, "rate_bps": 1_500})
    assert r.json()["code"] == "product_not_listable"
    r = await api.call("POST", "/api/v1/alliance/channels", op, expect=201, json={"code": "taobao", "name": "Taobao"})
    channel = r.json()
    assert len(channel["secret"]) >= 32
    listed = (await api.call("GET", "/api/v1/alliance/channels", op, expect=200)).json()
    assert [c["code"] for c in listed] == ["taobao"] and listed[0]["secret"] is None  # shown once only
    listing = (await api.call("POST", "/api/v1/alliance/listings", merchant, expect=201,
                              json={"product_id": product, "rate_bps": 1_500})).json()["id"]
    creator = await api.user("creator")
    await api.call("POST", f"/api/v1/alliance/listings/{listing}/take", creator, expect=201)
    return {"op": op, "merchant": merchant, "product": product, "creator": creator, "secret": channel["secret"],
            "listing": listing}


async def _click(api: Api, w: dict[str, Any]) -> str:
    r = await api.call("POST", "/api/v1/alliance/tracking-links", w["creator"], expect=201,
                       json={"product_id": w["product"]})
    link = r.json()
    assert link["url"] == f"/go/{link['token']}" and link["channel"] == "taobao"
    r = await api.client.get(link["url"])
    assert r.status_code == 302
    to = urlsplit(r.headers["location"])
    assert f"{to.scheme}://{to.netloc}{to.path}" == "https://item.taobao.example/item.htm"
    query = parse_qs(to.query)
    assert query["id"] == ["42"]
    return query["lt_click"][0]


def _body(**fields: Any) -> bytes:
    base = {"nonce": secrets.token_hex(12), "timestamp": int(utcnow().timestamp())}
    return json.dumps({**base, **fields}).encode()


async def _post(api: Api, secret: str, body: bytes, channel: str = "taobao", signature: str | bytes | None = None,
                ) -> httpx.Response:
    sig = signature if signature is not None else hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return await api.client.post(f"/api/v1/alliance/postbacks/{channel}", content=body,
                                 headers={"X-Laotie-Signature": sig, "Content-Type": "application/json"})


async def test_a_reported_sale_shows_as_external_earnings_and_never_touches_the_ledger(api: Api) -> None:
    w = await _world(api)
    click = await _click(api, w)
    _, _, clicks, entries = await _counts(api)
    assert clicks == 1
    sale = {"click_id": click, "external_order_id": "TB-1001", "amount": 12_000, "commission": 1_800}
    r = await _post(api, w["secret"], _body(**sale))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "reported"

    earnings = (await api.call("GET", "/api/v1/alliance/earnings", w["creator"], expect=200)).json()
    assert earnings["external"]["reported"] == 1_800 and earnings["external"]["confirmed"] == 0
    conv = earnings["external"]["conversions"]
    assert [(c["channel"], c["external_order_id"], c["amount"], c["commission"], c["status"]) for c in conv] == [
        ("taobao", "TB-1001", 12_000, 1_800, "reported")]
    assert (earnings["pending_balance"], earnings["available_balance"], earnings["estimated"]) == (0, 0, 0)

    r = await _post(api, w["secret"], _body(status="confirmed", external_order_id="TB-1001"))
    assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text
    earnings = (await api.call("GET", "/api/v1/alliance/earnings", w["creator"], expect=200)).json()
    assert (earnings["external"]["reported"], earnings["external"]["confirmed"]) == (0, 1_800)
    assert (earnings["pending_balance"], earnings["available_balance"]) == (0, 0)
    # Deciding twice is refused; a cancelled one counts apart.
    r = await _post(api, w["secret"], _body(status="cancelled", external_order_id="TB-1001"))
    assert r.status_code == 409 and r.json()["code"] == "conversion_decided"
    r = await _post(api, w["secret"], _body(click_id=click, external_order_id="TB-1002", amount=5_000,
                                            commission=500))
    assert r.status_code == 200
    r = await _post(api, w["secret"], _body(status="cancelled", external_order_id="TB-1002"))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    earnings = (await api.call("GET", "/api/v1/alliance/earnings", w["creator"], expect=200)).json()
    assert (earnings["external"]["reported"], earnings["external"]["confirmed"],
            earnings["external"]["cancelled"]) == (0, 1_800, 500)
    assert (await _counts(api))[3] == entries  # not one ledger entry for any of it
    assert await api.ledger_ok()


async def test_forged_stale_and_replayed_postbacks_are_refused_and_store_nothing(api: Api) -> None:
    w = await _world(api)
    click = await _click(api, w)
    sale = {"click_id": click, "external_order_id": "TB-2001", "amount": 9_900, "commission": 990}
    before = await _counts(api)

    body = _body(**sale)
    for forged in (await _post(api, "not-the-secret-" * 3, body),
                   await _post(api, w["secret"], body, signature=""),
                   await _post(api, w["secret"], body, signature="zz" * 32),
                   await _post(api, w["secret"], body, signature="é".encode("latin-1"))):
        assert forged.status_code == 401 and forged.json()["code"] == "postback_signature_invalid", forged.text
    # A body changed after signing.
    sig = hmac.new(w["secret"].encode(), body, hashlib.sha256).hexdigest()
    r = await _post(api, w["secret"], body.replace(b"990", b"9900"), signature=sig)
    assert r.status_code == 401
    for skew in (-400, 400):
        r = await _post(api, w["secret"], _body(**sale, timestamp=int(utcnow().timestamp()) + skew))
        assert r.status_code == 400 and r.json()["code"] == "postback_stale"
    r = await _post(api, w["secret"], _body(**sale), channel="jd")
    assert r.status_code == 404 and r.json()["code"] == "channel_not_found"
    # A click id not signed by us, or changed: unknown.
    clicked, sig_part = click.split(".", 1)[0], click.rsplit(".", 1)[1]
    for bad in (f"{int(clicked) + 1}.{click.split('.')[1]}.{sig_part}", click[:-2], "123"):
        r = await _post(api, w["secret"], _body(**{**sale, "click_id": bad}))
        assert r.status_code == 404 and r.json()["code"] == "click_not_found", bad
    # Malformed: the field is named.
    for fields, name in (({**sale, "amount": -1}, "amount"), ({**sale, "commission": 10_000}, "commission"),
                         ({k: v for k, v in sale.items() if k != "click_id"}, "click_id"),
                         ({**sale, "external_order_id": "x" * 65}, "external_order_id"),
                         ({**sale, "status": "paid"}, "status"), ({**sale, "nonce": "short"}, "nonce"),
                         ({**sale, "timestamp": 2**40}, "timestamp"), ({**sale, "amount": "twelve"}, "amount")):
        r = await _post(api, w["secret"], _body(**fields))
        assert r.status_code == 422 and r.json()["field"] == name, (name, r.text)
    r = await _post(api, w["secret"], b"{not json")
    assert r.status_code == 422
    # Deciding a conversion never reported.
    r = await _post(api, w["secret"], _body(status="confirmed", external_order_id="TB-404"))
    assert r.status_code == 404 and r.json()["code"] == "conversion_not_found"
    assert await _counts(api) == before

    r = await _post(api, w["secret"], body)
    assert r.status_code == 200, r.text
    after = await _counts(api)
    assert after[:2] == (before[0] + 1, before[1] + 1)
    # The same body again: its nonce was seen.
    r = await _post(api, w["secret"], body)
    assert r.status_code == 409 and r.json()["code"] == "postback_replayed"
    # The same external order with a fresh nonce: credited once only.
    r = await _post(api, w["secret"], _body(**sale))
    assert r.status_code == 409 and r.json()["code"] == "conversion_already_reported"
    assert await _counts(api) == after
    earnings = (await api.call("GET", "/api/v1/alliance/earnings", w["creator"], expect=200)).json()
    assert earnings["external"]["reported"] == 990
    assert await api.ledger_ok()


async def test_each_channel_signs_with_its_own_secret(api: Api) -> None:
    w = await _world(api)
    click = await _click(api, w)
    r = await api.call("POST", "/api/v1/alliance/channels", w["op"], expect=201,
                       json={"code": "jd", "name": "JD", "secret": "jd-shared-secret-" + "x" * 20})
    jd_secret = r.json()["secret"]
    sale = {"click_id": click, "external_order_id": "JD-1", "amount": 1_000, "commission": 100}
    # JD's secret on Taobao's URL; JD's URL with JD's secret but a Taobao click.
    assert (await _post(api, jd_secret, _body(**sale))).status_code == 401
    r = await _post(api, jd_secret, _body(**sale), channel="jd")
    assert r.status_code == 404 and r.json()["code"] == "click_not_found"
    r = await api.call("POST", "/api/v1/alliance/channels", w["op"], expect=409, json={"code": "jd", "name": "JD"})
    assert r.json()["code"] == "channel_exists"
    r = await api.call("POST", "/api/v1/alliance/channels", w["op"], expect=422, json={"code": "J D", "name": "x"})
    assert r.json()["field"] == "code"
    await api.call("POST", "/api/v1/alliance/channels", w["creator"], expect=403, json={"code": "vip", "name": "x"})


async def test_tracking_links_are_for_promoting_creators_of_external_products(api: Api) -> None:
    w = await _world(api)
    stranger = await api.user("creator")
    r = await api.call("POST", "/api/v1/alliance/tracking-links", stranger, expect=403,
                       json={"product_id": w["product"]})
    assert r.json()["code"] == "not_promoting"
    r = await api.call("POST", "/api/v1/alliance/share-links", w["creator"], expect=409,
                       json={"product_id": w["product"]})
    assert r.json()["code"] == "wrong_link_kind"
    # A product sold here has no tracking link.
    cat = await api.category(w["op"])
    merchant, product, _ = await api.merchant_with_product(cat)
    listing = (await api.call("POST", "/api/v1/alliance/listings", merchant, expect=201,
                              json={"product_id": product, "rate_bps": 1_000})).json()["id"]
    await api.call("POST", f"/api/v1/alliance/listings/{listing}/take", w["creator"], expect=201)
    r = await api.call("POST", "/api/v1/alliance/tracking-links", w["creator"], expect=409,
                       json={"product_id": product})
    assert r.json()["code"] == "wrong_link_kind"
    before = await _counts(api)
    # A tampered tracking link; a link whose creator gave the product up: no click, no redirect.
    token = (await api.call("POST", "/api/v1/alliance/tracking-links", w["creator"], expect=201,
                            json={"product_id": w["product"]})).json()["token"]
    r = await api.client.get(f"/go/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}")
    assert r.status_code == 404 and "link_invalid" in r.text
    await api.call("DELETE", f"/api/v1/alliance/listings/{w['listing']}/take", w["creator"], expect=204)
    r = await api.client.get(f"/go/{token}")
    assert r.status_code == 404 and "link_inactive" in r.text
    assert await _counts(api) == before


def test_nonces_are_kept_longer_than_any_replay_could_use_them() -> None:
    from laotie.alliance.links import service

    assert service.NONCE_KEPT > 2 * service.POSTBACK_SKEW
    assert timedelta(minutes=5) == service.POSTBACK_SKEW
