"""The creator's alliance pages: the library, the showcase, samples and earnings render for creators only."""

from __future__ import annotations

from laotie.models import AlliancePromotion
from tests.alliance.payouts.test_payouts import earn
from tests.support import Api
from tests.web.test_pages import csrf_of, sign_in


async def _name(api: Api, token: str) -> str:
    return str((await api.call("GET", "/api/v1/me", token, expect=200)).json()["username"])


async def test_library_adds_in_one_tap_and_refuses_in_place(api: Api) -> None:
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    merchant, product, _ = await api.merchant_with_product(cat, price=10_000, stock=5)
    listing = (await api.call("POST", "/api/v1/alliance/listings", merchant, expect=201,
                              json={"product_id": product, "rate_bps": 2_000})).json()["id"]
    creator = await api.user("creator")
    token = await sign_in(api, await _name(api, creator))
    page = await api.client.get("/alliance")
    assert page.status_code == 200 and f'data-listing="{listing}"' in page.text
    assert "¥18.00" in page.text  # ¥100 at 20%, less the platform's 10%: what the creator keeps
    # Filters that match nothing, and malformed ones that are simply not applied.
    assert f'data-listing="{listing}"' not in (await api.client.get("/alliance?min_rate=25")).text
    assert f'data-listing="{listing}"' in (await api.client.get("/alliance?min_rate=abc&max_price=x&sort=zz")).text
    assert (await api.client.get("/alliance?q=%00&band=zz&page=-1")).status_code == 200

    r = await api.client.post(f"/alliance/take/{listing}", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "data-in-showcase" in r.text and "<html" not in r.text
    again = await api.client.post(f"/alliance/take/{listing}", data={"csrf_token": token},
                                  headers={"HX-Request": "true"})
    assert 'data-code="already_promoting"' in again.text
    async with api.db.transaction() as s:
        from sqlalchemy import func, select
        assert (await s.execute(select(func.count()).select_from(AlliancePromotion))).scalar_one() == 1

    showcase = await api.client.get("/alliance/showcase")
    assert f'data-showcase="{listing}"' in showcase.text and "/s/" in showcase.text
    r = await api.client.post(f"/alliance/showcase/{listing}/remove", data={"csrf_token": token})
    assert r.status_code == 303
    assert f'data-showcase="{listing}"' not in (await api.client.get("/alliance/showcase")).text
    r = await api.client.post(f"/alliance/showcase/{listing}/remove", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 404 and 'data-code="promotion_not_found"' in r.text

    # A sample: eligible with no policy; the address is asked for; a second request is refused beside the form.
    form = await api.client.get(f"/alliance/samples/new/{listing}")
    assert form.status_code == 200 and "data-eligible>" in form.text
    address = {"csrf_token": token, "recipient": "Li Lei", "phone": "13800000000", "address": "1 Road"}
    r = await api.client.post(f"/alliance/samples/new/{listing}", data=address)
    assert r.status_code == 303
    r = await api.client.post(f"/alliance/samples/new/{listing}", data=address)
    assert r.status_code == 409 and 'data-code="sample_already_requested"' in r.text
    assert 'data-status="requested"' in (await api.client.get("/alliance/showcase")).text
    assert (await api.client.get("/alliance/samples/new/999999")).status_code == 404


async def test_earnings_page_shows_settled_commission_and_balances(api: Api) -> None:
    w = await earn(api)
    await sign_in(api, await _name(api, str(w["creator"])))
    page = await api.client.get("/alliance/earnings")
    assert page.status_code == 200
    assert 'data-settled>¥18.00' in page.text and 'data-available>¥18.00' in page.text
    assert 'id="earnings-chart"' in page.text and 'href="/me/payouts"' in page.text
    assert "application/json" not in page.headers["content-type"]
    assert await api.ledger_ok()


async def test_creator_pages_refuse_other_roles(api: Api) -> None:
    buyer = await api.user()
    await sign_in(api, await _name(api, buyer))
    for url in ("/alliance", "/alliance/showcase", "/alliance/samples/new/1"):
        r = await api.client.get(url)
        assert r.status_code == 403 and "text/html" in r.headers["content-type"], url
    api.client.cookies.clear()
    r = await api.client.get("/alliance")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_profile_sells_the_showcase_with_the_profile_as_source(api: Api) -> None:
    w = await earn(api)
    page = await api.client.get(f"/u/{w['creator_id']}")
    assert page.status_code == 200 and f'data-showcase-product="{w["product"]}"' in page.text
    assert f'href="/checkout?sku={w["sku"]}&src=profile:{w["creator_id"]}"' in page.text


async def test_video_upload_offers_the_showcase(api: Api) -> None:
    w = await earn(api)
    await sign_in(api, await _name(api, str(w["creator"])))
    page = await api.client.get("/videos/upload")
    assert page.status_code == 200 and f'data-showcase-pick="{w["product"]}"' in page.text
    other = await api.user("creator")
    api.client.cookies.clear()
    await sign_in(api, await _name(api, other))
    page = await api.client.get("/videos/upload")
    assert "data-showcase-pick" not in page.text and 'href="/alliance"' in page.text
