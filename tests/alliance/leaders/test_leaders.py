"""Group leaders (团长) on the database: offers, the sub-library, sales through a leader, with an MCN, to the fen."""

from __future__ import annotations

from sqlalchemy import func, select

from laotie.alliance.core.commission import CommissionLine as Core
from laotie.alliance.core.commission import SharePlan, Shares
from laotie.models import AllianceLeaderOffer, AlliancePromotion
from tests.alliance.leaders.helpers import (
    balances,
    buy,
    complete,
    contract,
    line_of,
    offer,
    platform_fee,
    refund,
    settle_all,
    take_through_leader,
    world,
)
from tests.support import Api

PLAN = SharePlan(rate_bps=2_000, leader_bps=2_000, mcn_bps=3_000, platform_fee_bps=1_000)


def _parts(line: object, prefix: str) -> Shares:
    return Shares(*(getattr(line, f"{prefix}_{p}") for p in ("creator", "leader", "mcn", "platform")))


async def test_the_worked_case_refunded_before_settlement(api: Api) -> None:
    """¥100 at 20%, through a leader (20% of the commission), under an MCN (30%), 30% refunded, then settled."""
    w = await world(api)
    await offer(api, w, 2_000)
    await take_through_leader(api, w)
    await contract(api, w, 3_000)
    buyer = await api.user()
    order_id = await buy(api, w, buyer)
    core = Core(10_000, PLAN)

    line = await line_of(api, order_id)
    assert (line.promoter_id, line.leader_id, line.leader_bps, line.mcn_id, line.mcn_bps, line.rate_bps) == (
        w.creator_id, w.leader_id, 2_000, w.mcn_id, 3_000, 2_000)
    assert _parts(line, "est") == core.estimated == Shares(creator=1_008, leader=360, mcn=432, platform=200)
    assert await balances(api, w.creator_id, w.leader_id, w.mcn_id) == [(1_008, 0), (360, 0), (432, 0)]

    await refund(api, order_id, 3_000, "r1")
    core.refund(3_000)
    line = await line_of(api, order_id)
    assert _parts(line, "cur") == core.standing == Shares(creator=706, leader=252, mcn=302, platform=140)
    assert await balances(api, w.creator_id, w.leader_id, w.mcn_id) == [(706, 0), (252, 0), (302, 0)]

    await complete(api, w, order_id, buyer)
    assert await settle_all(api) == 1
    settled = core.settle()
    line = await line_of(api, order_id)
    assert line.status == "settled"
    assert _parts(line, "set") == settled == Shares(creator=706, leader=252, mcn=302, platform=140)
    assert await balances(api, w.creator_id, w.leader_id, w.mcn_id) == [(0, 706), (0, 252), (0, 302)]
    assert await platform_fee(api) == 140
    assert await api.ledger_ok()

    # What the leader and the MCN see of it.
    sales = (await api.call("GET", "/api/v1/alliance/leaders/sales", w.leader, expect=200)).json()
    assert (sales["fee_estimated"], sales["fee_standing"], sales["fee_settled"], sales["available_balance"]) == (
        360, 252, 252, 252)
    assert sales["creators"] == [{"creator_id": w.creator_id, "lines": 1, "gmv": 10_000, "refunded": 3_000,
                                  "fee_estimated": 360, "fee_standing": 252, "fee_settled": 252}]
    mcn = (await api.call("GET", "/api/v1/alliance/mcn/creators", w.mcn, expect=200)).json()
    assert mcn["available_balance"] == 302
    assert mcn["creators"] == [{
        "creator_id": w.creator_id, "lines": 1, "gmv": 10_000, "refunded": 3_000, "commission_estimated": 1_008,
        "commission_standing": 706, "commission_settled": 706, "share_estimated": 432, "share_standing": 302,
        "share_settled": 302}]
    lines = (await api.call("GET", f"/api/v1/alliance/mcn/creators/{w.creator_id}/lines", w.mcn,
                            expect=200)).json()
    assert [(x["order_id"], x["mcn_bps"], x["share_settled"], x["commission_settled"]) for x in lines] == [
        (order_id, 3_000, 302, 706)]


async def test_the_same_refunded_after_settlement_is_a_clawback_from_all_three(api: Api) -> None:
    w = await world(api)
    await offer(api, w, 2_000)
    await take_through_leader(api, w)
    await contract(api, w, 3_000)
    buyer = await api.user()
    order_id = await buy(api, w, buyer)
    await complete(api, w, order_id, buyer)
    assert await settle_all(api) == 1
    assert await balances(api, w.creator_id, w.leader_id, w.mcn_id) == [(0, 1_008), (0, 360), (0, 432)]

    await refund(api, order_id, 3_000, "r1")
    core = Core(10_000, PLAN)
    core.settle()
    moved = core.refund(3_000)
    assert core.clawed_back == moved == Shares(creator=302, leader=108, mcn=130, platform=60)
    line = await line_of(api, order_id)
    assert _parts(line, "set") - _parts(line, "cur") == core.clawed_back
    assert _parts(line, "cur") == core.standing
    assert await balances(api, w.creator_id, w.leader_id, w.mcn_id) == [(0, 706), (0, 252), (0, 302)]
    assert await platform_fee(api) == 140
    assert await api.ledger_ok()


async def test_leaders_see_their_merchants_and_creators_browse_the_sub_library(api: Api) -> None:
    w = await world(api)
    offer_id = await offer(api, w, 1_500, accept=False)
    # Not in the sub-library before the merchant accepts.
    assert (await api.call("GET", f"/api/v1/alliance/leaders/{w.leader_id}/library", expect=200)).json() == []
    incoming = (await api.call("GET", "/api/v1/alliance/leaders/offers/incoming", w.merchant, expect=200)).json()
    assert [(x["id"], x["fee_bps"], x["status"]) for x in incoming] == [(offer_id, 1_500, "proposed")]
    await api.call("POST", f"/api/v1/alliance/leaders/offers/{offer_id}/decision", w.merchant, expect=200,
                   json={"accept": True})
    library = (await api.call("GET", f"/api/v1/alliance/leaders/{w.leader_id}/library", expect=200)).json()
    # ¥100 at 20%: C 2000; leader 15% of it; the creator keeps 1700 less the 10% fee = 1530.
    assert [(x["listing_id"], x["rate_bps"], x["leader_fee_bps"], x["earnings_per_order"]) for x in library] == [
        (w.listing, 2_000, 1_500, 1_530)]
    mine = (await api.call("GET", "/api/v1/alliance/leaders/offers", w.leader, expect=200)).json()
    assert [(x["product_id"], x["shop_name"] != "", x["fee_bps"], x["status"]) for x in mine] == [
        (w.product, True, 1_500, "accepted")]


async def test_an_ended_offer_stops_the_fee_on_later_sales_only(api: Api) -> None:
    w = await world(api)
    offer_id = await offer(api, w, 2_000)
    await take_through_leader(api, w)
    first = await buy(api, w)
    r = await api.call("POST", f"/api/v1/alliance/leaders/offers/{offer_id}/end", w.merchant, expect=200)
    assert r.json()["status"] == "ended"
    second = await buy(api, w)
    a, b = await line_of(api, first), await line_of(api, second)
    assert (a.leader_id, a.leader_bps, a.est_leader) == (w.leader_id, 2_000, 360)
    assert (b.leader_id, b.leader_bps, b.est_leader, b.est_creator) == (None, 0, 0, 1_800)
    assert (await api.call("GET", f"/api/v1/alliance/leaders/{w.leader_id}/library", expect=200)).json() == []
    assert await api.ledger_ok()


async def _offers(api: Api) -> list[tuple[int, str, int]]:
    async with api.db.transaction() as s:
        rows = await s.execute(select(AllianceLeaderOffer.id, AllianceLeaderOffer.status, AllianceLeaderOffer.fee_bps)
                               .order_by(AllianceLeaderOffer.id))
        return [(int(i), str(st), int(f)) for i, st, f in rows.all()]


async def _promotions(api: Api) -> int:
    async with api.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(AlliancePromotion))).scalar_one())


async def test_bad_offers_are_refused_and_change_nothing(api: Api) -> None:
    w = await world(api)
    url = "/api/v1/alliance/leaders/offers"
    for fee in (-1, 9_001, 10_000, 2**31):
        r = await api.call("POST", url, w.leader, expect=422, json={"listing_id": w.listing, "fee_bps": fee})
        assert (r.json()["code"], r.json()["field"]) == ("fee_out_of_range", "fee_bps")
    r = await api.call("POST", url, w.leader, expect=422, json={"listing_id": w.listing, "fee_bps": 2**40})
    assert r.json()["field"] == "fee_bps"
    r = await api.call("POST", url, w.leader, expect=404, json={"listing_id": 999_999, "fee_bps": 1_000})
    assert r.json()["code"] == "listing_not_found"
    r = await api.call("POST", url, await api.user(), expect=403, json={"listing_id": w.listing, "fee_bps": 1_000})
    r = await api.call("POST", url, w.merchant, expect=403, json={"listing_id": w.listing, "fee_bps": 1_000})
    assert await _offers(api) == []

    offer_id = await offer(api, w, 1_000, accept=False)
    r = await api.call("POST", url, w.leader, expect=409, json={"listing_id": w.listing, "fee_bps": 500})
    assert r.json()["code"] == "already_offered"
    # Someone else's offer: another merchant, or the leader themselves, cannot accept it.
    other_merchant, _, _ = await api.merchant_with_product(await api.category(w.op))
    for token in (other_merchant, w.leader, w.creator):
        r = await api.call("POST", f"{url}/{offer_id}/decision", token, expect=403, json={"accept": True})
        assert r.json()["code"] == "not_your_offer"
    r = await api.call("POST", f"{url}/{offer_id}/end", w.creator, expect=403)
    assert r.json()["code"] == "not_your_offer"
    r = await api.call("POST", f"{url}/999999/decision", w.merchant, expect=404, json={"accept": True})
    assert r.json()["code"] == "offer_not_found"
    assert await _offers(api) == [(offer_id, "proposed", 1_000)]
    # Not in the sub-library until accepted.
    take = f"/api/v1/alliance/leaders/{w.leader_id}/library/{w.listing}/take"
    r = await api.call("POST", take, w.creator, expect=404)
    assert r.json()["code"] == "not_in_sub_library"
    assert await _promotions(api) == 0

    await api.call("POST", f"{url}/{offer_id}/decision", w.merchant, expect=200, json={"accept": True})
    r = await api.call("POST", f"{url}/{offer_id}/decision", w.merchant, expect=409, json={"accept": False})
    assert r.json()["code"] == "offer_decided"
    assert await _offers(api) == [(offer_id, "accepted", 1_000)]
    # A leader does not take through themselves; a malformed decision is named.
    r = await api.call("POST", f"/api/v1/alliance/leaders/{w.leader_id}/library/{w.listing}/take", w.leader,
                       expect=403)
    assert r.json()["code"] == "own_sub_library"
    r = await api.call("POST", f"{url}/{offer_id}/decision", w.merchant, expect=422, json={"accept": "maybe"})
    assert r.json()["field"] == "accept"
    await api.call("POST", f"/api/v1/alliance/leaders/{999_999}/library/{w.listing}/take", w.creator, expect=404)
    assert await _promotions(api) == 0
    # Taking twice, through the leader or directly, is refused once it is taken.
    await take_through_leader(api, w)
    r = await api.call("POST", take, w.creator, expect=409)
    assert r.json()["code"] == "already_promoting"
    r = await api.call("POST", f"/api/v1/alliance/listings/{w.listing}/take", w.creator, expect=409)
    assert await _promotions(api) == 1
    assert await api.ledger_ok()
