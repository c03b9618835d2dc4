"""Group leaders' and MCNs' pages: offer, accept on the merchant's side, take from the sub-library,
contract, accept on the creator's side, see fees and performance; each refuses the wrong person."""

from __future__ import annotations

from datetime import timedelta

from laotie.models import utcnow
from tests.alliance.leaders.helpers import buy, complete, offer, settle_all, take_through_leader, world
from tests.support import Api
from tests.web.test_pages import sign_in


async def _name(api: Api, token: str) -> str:
    return str((await api.call("GET", "/api/v1/me", token, expect=200)).json()["username"])


async def test_group_leader_offers_and_the_merchant_accepts_on_the_page(api: Api) -> None:
    w = await world(api)
    token = await sign_in(api, await _name(api, w.leader))
    page = await api.client.get(f"/alliance/leader?listing={w.listing}")
    assert page.status_code == 200 and f'value="{w.listing}"' in page.text
    r = await api.client.post("/alliance/leader/offers", data={"csrf_token": token, "listing_id": str(w.listing),
                                                               "fee": "abc"})
    assert r.status_code == 422 and 'data-code="invalid_request"' in r.text
    r = await api.client.post("/alliance/leader/offers", data={"csrf_token": token, "listing_id": "999999",
                                                               "fee": "10"})
    assert r.status_code == 404 and 'data-code="listing_not_found"' in r.text
    r = await api.client.post("/alliance/leader/offers", data={"csrf_token": token, "listing_id": str(w.listing),
                                                               "fee": "10"})
    assert r.status_code == 303
    page = await api.client.get("/alliance/leader")
    assert 'data-status="proposed"' in page.text

    # The merchant accepts on their alliance page.
    api.client.cookies.clear()
    token = await sign_in(api, await _name(api, w.merchant))
    page = await api.client.get("/merchant/alliance")
    assert 'data-offer="' in page.text and "Accept" in page.text
    offer_id = int(page.text.split('data-offer="')[1].split('"')[0])
    r = await api.client.post(f"/merchant/alliance/offers/{offer_id}", data={"csrf_token": token,
                                                                             "decision": "accept"})
    assert r.status_code == 303
    r = await api.client.post(f"/merchant/alliance/offers/{offer_id}", data={"csrf_token": token,
                                                                             "decision": "decline"})
    assert r.status_code == 409 and 'data-code="' in r.text

    # A creator takes it from the leader's sub-library.
    api.client.cookies.clear()
    token = await sign_in(api, await _name(api, w.creator))
    page = await api.client.get(f"/alliance/leaders/{w.leader_id}")
    assert f'data-listing="{w.listing}"' in page.text
    r = await api.client.post(f"/alliance/leaders/{w.leader_id}/take/{w.listing}", data={"csrf_token": token})
    assert r.status_code == 303
    r = await api.client.post(f"/alliance/leaders/{w.leader_id}/take/{w.listing}", data={"csrf_token": token})
    assert r.status_code == 409 and 'data-code="already_promoting"' in r.text


async def test_leader_fees_and_mcn_contract_pages(api: Api) -> None:
    w = await world(api)
    await offer(api, w, 1_000)
    await take_through_leader(api, w)
    buyer = await api.user()
    await complete(api, w, await buy(api, w, buyer), buyer)
    assert await settle_all(api) == 1
    await sign_in(api, await _name(api, w.leader))
    page = await api.client.get("/alliance/leader")
    assert f'data-creator="{w.creator_id}"' in page.text

    # The MCN offers on its page; the creator accepts on theirs; the MCN sees its creators.
    api.client.cookies.clear()
    token = await sign_in(api, await _name(api, w.mcn))
    ends = (utcnow() + timedelta(days=90)).strftime("%Y-%m-%d")
    r = await api.client.post("/alliance/mcn/contracts", data={"csrf_token": token, "creator_id": str(w.creator_id),
                                                               "share": "20", "ends_at": "not a date"})
    assert r.status_code == 422 and 'data-code="invalid_request"' in r.text
    r = await api.client.post("/alliance/mcn/contracts", data={"csrf_token": token, "creator_id": str(w.creator_id),
                                                               "share": "20", "ends_at": ends})
    assert r.status_code == 303
    page = await api.client.get("/alliance/mcn")
    assert 'data-status="offered"' in page.text and 'id="performance"' in page.text
    contract_id = int(page.text.split('data-contract="')[1].split('"')[0])

    api.client.cookies.clear()
    token = await sign_in(api, await _name(api, w.creator))
    page = await api.client.get("/alliance/mcn")
    assert f'data-contract="{contract_id}" data-status="offered"' in page.text and "Accept" in page.text
    r = await api.client.post(f"/alliance/mcn/contracts/{contract_id}/withdraw", data={"csrf_token": token})
    assert r.status_code == 403 and "data-code=" in r.text  # only the MCN withdraws
    r = await api.client.post(f"/alliance/mcn/contracts/{contract_id}/accept", data={"csrf_token": token})
    assert r.status_code == 303
    r = await api.client.post(f"/alliance/mcn/contracts/{contract_id}/end", data={"csrf_token": token})
    assert r.status_code == 303
    page = await api.client.get("/alliance/mcn")
    assert f'data-contract="{contract_id}" data-status="active"' in page.text and "ending asked by" in page.text
    assert await api.ledger_ok()


async def test_partner_pages_refuse_others(api: Api) -> None:
    buyer = await api.user()
    await sign_in(api, await _name(api, buyer))
    for url in ("/alliance/leader", "/alliance/mcn"):
        r = await api.client.get(url)
        assert r.status_code == 403 and "text/html" in r.headers["content-type"], url
