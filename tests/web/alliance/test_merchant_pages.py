"""The merchant's alliance pages: list, change the rate (a cut shows its notice), withdraw and resume,
approve applications, decide and ship samples, see promoters and the commission paid."""

from __future__ import annotations

from sqlalchemy import select

from laotie.models import AllianceListing
from tests.alliance.payouts.test_payouts import earn
from tests.support import Api
from tests.web.test_pages import sign_in


async def _name(api: Api, token: str) -> str:
    return str((await api.call("GET", "/api/v1/me", token, expect=200)).json()["username"])


async def _listing(api: Api, product_id: int) -> AllianceListing | None:
    async with api.db.transaction() as s:
        return (await s.execute(select(AllianceListing).where(AllianceListing.product_id == product_id))
                ).scalar_one_or_none()


async def test_merchant_lists_changes_rate_and_decides(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    merchant, product, _ = await api.merchant_with_product(cat, price=10_000, stock=5)
    token = await sign_in(api, await _name(api, merchant))
    page = await api.client.get("/merchant/alliance")
    assert page.status_code == 200 and f'<option value="{product}">' in page.text
    assert 'href="/merchant/alliance"' in (await api.client.get("/merchant")).text

    # Refusals beside the form change nothing.
    for rate, code in (("abc", "invalid_request"), ("0.5", "rate_out_of_range"), ("101", "invalid_request")):
        r = await api.client.post("/merchant/alliance/list", data={"csrf_token": token, "product_id": str(product),
                                                                    "rate": rate})
        assert r.status_code == 422 and f'data-code="{code}"' in r.text, (rate, r.text[-500:])
    assert await _listing(api, product) is None

    r = await api.client.post("/merchant/alliance/list", data={"csrf_token": token, "product_id": str(product),
                                                                "rate": "20", "needs_approval": "on"})
    assert r.status_code == 303
    listing = await _listing(api, product)
    assert listing is not None and listing.rate_bps == 2_000 and listing.needs_approval

    # A cut shows its 30-day notice; withdraw and resume.
    r = await api.client.post(f"/merchant/alliance/listings/{listing.id}/rate", data={"csrf_token": token,
                                                                                     "rate": "15"})
    assert r.status_code == 303
    page = await api.client.get("/merchant/alliance")
    assert "data-rate-cut" in page.text and "keep 20.00%" in page.text
    await api.client.post(f"/merchant/alliance/listings/{listing.id}/withdraw", data={"csrf_token": token})
    assert 'data-status="withdrawn"' in (await api.client.get("/merchant/alliance")).text
    await api.client.post(f"/merchant/alliance/listings/{listing.id}/resume", data={"csrf_token": token})
    assert 'data-status="active"' in (await api.client.get("/merchant/alliance")).text

    # A creator applies; the merchant approves on the page.
    creator = await api.user("creator")
    promotion = (await api.call("POST", f"/api/v1/alliance/listings/{listing.id}/take", creator,
                                expect=201)).json()
    assert promotion["status"] == "applied"
    assert f'data-application="{promotion["id"]}"' in (await api.client.get("/merchant/alliance")).text
    r = await api.client.post(f"/merchant/alliance/applications/{promotion['id']}",
                              data={"csrf_token": token, "decision": "approve"})
    assert r.status_code == 303
    again = await api.client.post(f"/merchant/alliance/applications/{promotion['id']}",
                                  data={"csrf_token": token, "decision": "decline"})
    assert again.status_code == 409 and 'data-code="application_decided"' in again.text

    # A sample: approve, then ship with a carrier and tracking number (a bad one is refused beside it).
    sample = (await api.call("POST", f"/api/v1/alliance/listings/{listing.id}/samples", creator, expect=201,
                             json={"address": {"recipient": "Li", "phone": "13800000000", "address": "1 Road"}})).json()
    page = await api.client.get("/merchant/alliance/samples")
    assert f'data-sample="{sample["id"]}" data-status="requested"' in page.text
    await api.client.post(f"/merchant/alliance/samples/{sample['id']}/approve", data={"csrf_token": token})
    r = await api.client.post(f"/merchant/alliance/samples/{sample['id']}/ship",
                              data={"csrf_token": token, "carrier": "SF", "tracking_no": "??"})
    assert r.status_code == 422 and 'data-status="approved"' in r.text and "error" in r.text
    r = await api.client.post(f"/merchant/alliance/samples/{sample['id']}/ship",
                              data={"csrf_token": token, "carrier": "SF", "tracking_no": "SF12345678"})
    assert r.status_code == 303
    assert 'data-status="shipped"' in (await api.client.get("/merchant/alliance/samples")).text


async def test_promoters_page_shows_the_commission_paid(api: Api) -> None:
    w = await earn(api)
    await sign_in(api, await _name(api, str(w["merchant"])))
    page = await api.client.get("/merchant/alliance/promoters")
    assert page.status_code == 200
    assert f'data-promoter="{w["creator_id"]}"' in page.text
    assert "data-commission-paid>¥20.00" in page.text  # ¥100 at 20%: the creator's ¥18 and the platform's ¥2
    assert await api.ledger_ok()


async def test_merchant_pages_refuse_other_roles(api: Api) -> None:
    creator = await api.user("creator")
    await sign_in(api, await _name(api, creator))
    for url in ("/merchant/alliance", "/merchant/alliance/samples", "/merchant/alliance/promoters"):
        r = await api.client.get(url)
        assert r.status_code == 403 and "text/html" in r.headers["content-type"], url
