"""Samples (寄样) end to end: eligibility, the merchant's decision and parcel, promoted in time or lapsed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from laotie.alliance.samples import service
from laotie.identity import service as identity
from laotie.live.media.plane import callback_token
from laotie.models import AllianceSample, User, utcnow
from laotie.orders.service.checkout import Address, LineRequest, checkout
from tests.support import ADDRESS, Api, both_databases

A = "/api/v1/alliance"
TO = {"address": {"recipient": "Wang Fang", "phone": "13900000000", "address": "8 Studio Lane, Linyi"}}


async def _user(api: Api, token: str) -> User:
    async with api.db.transaction() as s:
        user = await identity.user_for_token(s, token)
    assert user is not None
    return user


async def world(api: Api, **policy: int) -> dict[str, int | str]:
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    merchant, product, sku = await api.merchant_with_product(cat, price=10_000, stock=50)
    listing = (await api.call("POST", f"{A}/listings", merchant, expect=201,
                              json={"product_id": product, "rate_bps": 2_000, **policy})).json()
    creator = await api.user("creator")
    return {"merchant": merchant, "product": product, "sku": sku, "listing": listing["id"],
            "shop": listing["shop_id"], "creator": creator, "creator_id": (await _user(api, creator)).id}


async def shipped(api: Api, w: dict[str, int | str]) -> dict[str, object]:
    """The creator asks, the merchant approves and ships."""
    sample = (await api.call("POST", f"{A}/listings/{w['listing']}/samples", str(w["creator"]), expect=201,
                             json=TO)).json()
    assert sample["status"] == "requested"
    r = await api.call("POST", f"{A}/samples/{sample['id']}/decision", str(w["merchant"]), expect=200,
                       json={"approve": True})
    assert r.json()["status"] == "approved"
    sample = (await api.call("POST", f"{A}/samples/{sample['id']}/ship", str(w["merchant"]), expect=200,
                             json={"carrier": "SF", "tracking_no": "SF1234567"})).json()
    assert (sample["status"], sample["carrier"], sample["tracking_no"]) == ("shipped", "SF", "SF1234567")
    return dict(sample)


async def sample_count(api: Api) -> int:
    async with api.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(AllianceSample))).scalar_one())


async def lapse(api: Api, days: int) -> int:
    async with api.db.transaction() as s:
        return await service.lapse_overdue(s, utcnow() + timedelta(days=days))


@both_databases
async def test_a_sample_promoted_by_a_sale_in_time_is_fulfilled(api: Api) -> None:
    w = await world(api)
    creator = str(w["creator"])
    await api.call("POST", f"{A}/listings/{w['listing']}/take", creator, expect=201)
    sample = await shipped(api, w)
    promote_by = sample["promote_by"]
    assert isinstance(promote_by, str) and promote_by > str(sample["shipped_at"])
    # The merchant sees it; a stranger does not.
    listed = (await api.call("GET", f"{A}/shops/{w['shop']}/samples?status=shipped", str(w["merchant"]),
                             expect=200)).json()
    assert [x["id"] for x in listed] == [sample["id"]]
    stranger = await api.user("creator")
    r = await api.call("GET", f"{A}/samples/{sample['id']}", stranger, expect=404)
    assert r.json()["code"] == "sample_not_found"

    buyer_token = await api.user()
    buyer = await _user(api, buyer_token)
    async with api.db.transaction() as s:
        result = await checkout(s, api.db.settings, buyer, [LineRequest(int(w["sku"]), 1)], Address(**ADDRESS),
                                source=f"profile:{w['creator_id']}")
    await api.pay(buyer_token, result.payment_id)
    sample = (await api.call("GET", f"{A}/samples/{sample['id']}", creator, expect=200)).json()
    assert (sample["status"], sample["fulfilled_by"]) == ("fulfilled", "sale")
    assert await lapse(api, 30) == 0  # fulfilled samples never lapse
    # Closed: the creator may ask for this product again.
    await api.call("POST", f"{A}/listings/{w['listing']}/samples", creator, expect=201, json=TO)
    assert await api.ledger_ok()


@both_databases
async def test_a_sample_put_in_the_live_cart_is_fulfilled(api: Api) -> None:
    w = await world(api)
    creator = str(w["creator"])
    await api.call("POST", f"{A}/listings/{w['listing']}/take", creator, expect=201)
    sample = await shipped(api, w)
    key = (await api.call("POST", "/api/v1/live/keys", creator, expect=201)).json()["stream_key"]
    token = callback_token(api.db.settings.secret("media-hooks"))
    r = await api.client.post(f"/media/hooks/publish?token={token}", data={"call": "publish", "name": key})
    assert r.status_code == 302
    sessions = (await api.call("GET", "/api/v1/live/sessions?status=live", expect=200)).json()
    session = next(x for x in sessions if x["host_id"] == w["creator_id"])
    await api.call("POST", f"/api/v1/live/sessions/{session['id']}/cart", creator, expect=204,
                   json={"product_id": w["product"]})
    await api.settle()
    sample = (await api.call("GET", f"{A}/samples/{sample['id']}", creator, expect=200)).json()
    assert (sample["status"], sample["fulfilled_by"]) == ("fulfilled", "live")


@both_databases
async def test_unpromoted_samples_lapse_and_two_lapses_refuse_the_next_request(api: Api) -> None:
    w = await world(api)
    creator = str(w["creator"])
    for _ in range(2):
        sample = await shipped(api, w)
        assert await lapse(api, 14) == 0  # within the 15 days
        assert await lapse(api, 16) == 1
        assert await lapse(api, 16) == 0  # once
        sample = (await api.call("GET", f"{A}/samples/{sample['id']}", creator, expect=200)).json()
        assert sample["status"] == "lapsed" and sample["lapsed_at"]
    # Promoting a lapsed sample's product later changes nothing.
    async with api.db.transaction() as s:
        assert await service.promote(s, int(w["creator_id"]), [int(w["product"])], "video") == []
    eligibility = (await api.call("GET", f"{A}/listings/{w['listing']}/sample-eligibility", creator,
                                  expect=200)).json()
    assert (eligibility["eligible"], eligibility["lapsed_90d"], eligibility["lapse_limit"]) == (False, 2, 2)
    before = await sample_count(api)
    r = await api.call("POST", f"{A}/listings/{w['listing']}/samples", creator, expect=403, json=TO)
    assert r.json()["code"] == "sample_record_lapsed"
    assert await sample_count(api) == before
    # Another merchant's product too: the record follows the creator.
    other = await world(api)
    r = await api.call("POST", f"{A}/listings/{other['listing']}/samples", creator, expect=403, json=TO)
    assert r.json()["code"] == "sample_record_lapsed"
    assert await sample_count(api) == before


@both_databases
async def test_sample_policy_and_refusals_change_nothing(api: Api) -> None:
    w = await world(api, sample_min_sales=5_000, sample_min_fans=1)
    creator, merchant = str(w["creator"]), str(w["merchant"])
    url = f"{A}/listings/{w['listing']}/samples"
    r = await api.call("POST", url, creator, expect=403, json=TO)
    assert (r.json()["code"], r.json()["details"]) == ("sample_sales_too_low", {"required": 5_000, "actual": 0})
    # A sale of ¥100 through the alliance lifts the creator's 30-day GMV.
    await api.call("POST", f"{A}/listings/{w['listing']}/take", creator, expect=201)
    buyer_token = await api.user()
    buyer = await _user(api, buyer_token)
    async with api.db.transaction() as s:
        result = await checkout(s, api.db.settings, buyer, [LineRequest(int(w["sku"]), 1)], Address(**ADDRESS),
                                source=f"profile:{w['creator_id']}")
    await api.pay(buyer_token, result.payment_id)
    r = await api.call("POST", url, creator, expect=403, json=TO)
    assert r.json()["code"] == "sample_fans_too_few"
    await api.call("POST", f"/api/v1/users/{w['creator_id']}/follow", buyer_token, expect=200)
    assert await sample_count(api) == 0

    sample = (await api.call("POST", url, creator, expect=201, json=TO)).json()
    r = await api.call("POST", url, creator, expect=409, json=TO)  # one open sample per product
    assert r.json()["code"] == "sample_already_requested"
    # Out of turn, or not the merchant's: refused, nothing changes.
    r = await api.call("POST", f"{A}/samples/{sample['id']}/ship", merchant, expect=409,
                       json={"carrier": "SF", "tracking_no": "SF1234567"})
    assert r.json()["code"] == "wrong_sample_state"
    other_merchant = str((await world(api))["merchant"])
    r = await api.call("POST", f"{A}/samples/{sample['id']}/decision", other_merchant, expect=403,
                       json={"approve": True})
    r = await api.call("POST", f"{A}/samples/{sample['id']}/decision", creator, expect=403,
                       json={"approve": True})
    await api.call("POST", f"{A}/samples/999999/decision", merchant, expect=404, json={"approve": True})
    await api.call("POST", f"{A}/listings/999999/samples", creator, expect=404, json=TO)
    await api.call("POST", url, creator, expect=422, json={"address": {"recipient": "", "phone": "x",
                                                                      "address": "a"}})
    await api.call("POST", f"{A}/samples/{sample['id']}/decision", merchant, expect=200, json={"approve": True})
    for bad in ({"carrier": "SF", "tracking_no": "x"}, {"carrier": "", "tracking_no": "SF1234567"}, {}):
        await api.call("POST", f"{A}/samples/{sample['id']}/ship", merchant, expect=422, json=bad)
    r = await api.call("POST", f"{A}/samples/{sample['id']}/ship", merchant, expect=422,
                       json={"carrier": "   ", "tracking_no": "SF1234567"})
    assert r.json()["code"] == "invalid_shipment"
    sample = (await api.call("GET", f"{A}/samples/{sample['id']}", merchant, expect=200)).json()
    assert (sample["status"], sample["carrier"], sample["shipped_at"]) == ("approved", None, None)
    # Declining closes it; the merchant's own product is never sampled to themselves.
    w2 = await world(api)
    s2 = (await api.call("POST", f"{A}/listings/{w2['listing']}/samples", creator, expect=201, json=TO)).json()
    r = await api.call("POST", f"{A}/samples/{s2['id']}/decision", str(w2["merchant"]), expect=200,
                       json={"approve": False, "reason": "out of stock"})
    assert (r.json()["status"], r.json()["decline_reason"]) == ("declined", "out of stock")
    await api.call("POST", f"{A}/samples/{s2['id']}/decision", str(w2["merchant"]), expect=409,
                   json={"approve": True})
    mine = (await api.call("GET", f"{A}/samples", creator, expect=200)).json()
    assert [x["id"] for x in mine] == [s2["id"], sample["id"]]
    assert await api.ledger_ok()


@both_databases
async def test_a_video_cart_with_the_product_fulfils_the_sample(api: Api) -> None:
    from laotie.alliance.samples import handlers

    w = await world(api)
    sample = await shipped(api, w)
    async with api.db.transaction() as s:  # what a published video or a changed video cart announces
        await handlers.video_cart(s, {"video_id": 1, "owner_id": w["creator_id"], "product_ids": [w["product"]]})
    sample = (await api.call("GET", f"{A}/samples/{sample['id']}", str(w["creator"]), expect=200)).json()
    assert (sample["status"], sample["fulfilled_by"]) == ("fulfilled", "video")
    assert await lapse(api, 30) == 0


@both_databases
async def test_two_concurrent_requests_for_one_product_make_one_sample(api: Api) -> None:
    import asyncio

    w = await world(api)
    url = f"{A}/listings/{w['listing']}/samples"
    first, second = await asyncio.gather(api.call("POST", url, str(w["creator"]), json=TO),
                                         api.call("POST", url, str(w["creator"]), json=TO))
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    assert (first if first.status_code == 409 else second).json()["code"] == "sample_already_requested"
    assert await sample_count(api) == 1
