"""After-sales pages over HTTP: the buyer asks, the merchant answers from its queue, the operator decides."""

from __future__ import annotations

from sqlalchemy import select

from laotie.models import Aftersale, CounterfeitClaim
from tests.aftersales.test_aftersales import paid_order, ship, world
from tests.support import Api
from tests.web.test_pages import csrf_of, sign_in


async def test_request_answer_return_and_refund_through_the_pages(api: Api) -> None:
    w = await world(api, good_standing=False)
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    buyer_name = (await api.call("GET", "/api/v1/me", w.buyer, expect=200)).json()["username"]
    merchant_name = (await api.call("GET", "/api/v1/me", w.merchant, expect=200)).json()["username"]

    token = await sign_in(api, buyer_name)
    page = await api.client.get(f"/orders/{order_id}")
    assert 'id="aftersales"' in page.text and f'/aftersales/new/{order_id}' in page.text
    assert f"/claims/new/{order_id}" in page.text
    form = await api.client.get(f"/aftersales/new/{order_id}")
    assert form.status_code == 200 and "younger than" in form.text  # why the guarantees do not apply yet
    r = await api.client.post(f"/aftersales/new/{order_id}", data={
        "csrf_token": token, "kind": "return_refund", "reason": "quality", "amount": "abc"})
    assert r.status_code == 422 and "12.50" in r.text
    r = await api.client.post(f"/aftersales/new/{order_id}", data={
        "csrf_token": token, "kind": "return_refund", "reason": "quality", "amount": "", "description": "torn"})
    assert r.status_code == 303 and r.headers["location"] == f"/orders/{order_id}#aftersales"
    async with api.db.transaction() as s:
        [a] = (await s.execute(select(Aftersale))).scalars().all()
    assert (a.kind, a.amount, a.status) == ("return_refund", 9900, "requested")

    api.client.cookies.clear()
    mtoken = await sign_in(api, merchant_name)
    queue = await api.client.get("/merchant/aftersales")
    assert queue.status_code == 200 and f'data-aftersale="{a.id}"' in queue.text and "torn" in queue.text
    r = await api.client.post(f"/aftersales/{a.id}/reject", data={"csrf_token": mtoken, "reason": ""})
    assert r.status_code == 422
    r = await api.client.post(f"/aftersales/{a.id}/approve", data={"csrf_token": mtoken})
    assert r.status_code == 303 and r.headers["location"] == "/merchant/aftersales"

    api.client.cookies.clear()
    token = await sign_in(api, buyer_name)
    page = await api.client.get(f"/orders/{order_id}")
    assert "I sent it back" in page.text
    r = await api.client.post(f"/aftersales/{a.id}/ship-return",
                              data={"csrf_token": token, "carrier": "SF", "tracking_no": "SFBACK01"})
    assert r.status_code == 303
    r = await api.client.post(f"/aftersales/{a.id}/received", data={"csrf_token": token})
    assert r.status_code in (403, 404)  # the buyer cannot confirm the shop's receipt

    api.client.cookies.clear()
    mtoken = await sign_in(api, merchant_name)
    r = await api.client.post(f"/aftersales/{a.id}/received", data={"csrf_token": mtoken})
    assert r.status_code == 303
    page = await api.client.get(f"/orders/{order_id}")
    assert "Refunded ¥99.00" in page.text and "¥10.00 return shipping" in page.text
    deposit = await api.client.get("/merchant/deposit")
    assert deposit.status_code == 200 and "退款不退货" in deposit.text
    r = await api.client.post("/merchant/deposit/policy", data={
        "csrf_token": mtoken, "refund_without_return": "on", "no_return_threshold": "200", "funded_by": "merchant"})
    assert r.status_code == 303
    policy = (await api.call("GET", "/api/v1/shops/mine/policy", w.merchant, expect=200)).json()
    assert (policy["refund_without_return"], policy["no_return_threshold"], policy["return_shipping_funded_by"]) == (
        True, 20_000, "merchant")
    r = await api.client.post("/merchant/deposit/topup", data={"csrf_token": mtoken, "amount": "500"})
    assert r.status_code == 303 and r.headers["location"].startswith("/sandbox/pay/")
    assert await api.ledger_ok()


async def test_claim_and_dispute_queues(api: Api) -> None:
    w = await world(api, good_standing=False)
    await api.operator()
    order_id = await paid_order(api, w)
    await ship(api, w, order_id, deliver=True)
    buyer_name = (await api.call("GET", "/api/v1/me", w.buyer, expect=200)).json()["username"]
    token = await sign_in(api, buyer_name)
    r = await api.client.post(f"/claims/new/{order_id}", data={"csrf_token": token, "statement": "fake"})
    assert r.status_code == 422
    r = await api.client.post(f"/claims/new/{order_id}", data={
        "csrf_token": token, "statement": "the hologram is missing and the seal is printed"})
    assert r.status_code == 303
    r = await api.client.get("/operator/disputes")
    assert r.status_code == 403

    from laotie.identity import service as identity

    async with api.db.transaction() as s:
        await identity.register_user(s, api.db.settings, username="arbiter", password="password123",
                                     roles={"operator"}, self_serve=False)
        claim = (await s.execute(select(CounterfeitClaim))).scalar_one()
    api.client.cookies.clear()
    otoken = await sign_in(api, "arbiter")
    queue = await api.client.get("/operator/disputes")
    assert queue.status_code == 200 and f'data-claim="{claim.id}"' in queue.text
    r = await api.client.post(f"/operator/claims/{claim.id}", data={
        "csrf_token": otoken, "decision": "uphold", "reason": "brand confirmed counterfeit"})
    assert r.status_code == 303
    page = await api.client.get("/operator/disputes")
    assert f'data-claim="{claim.id}"' not in page.text
    async with api.db.transaction() as s:
        assert (await s.get(CounterfeitClaim, claim.id)).status == "upheld"
    assert csrf_of(page.text)
    assert await api.ledger_ok()
