"""The discovery feed on the database: pages logged with their reasons, explanations that add up,
cold start met, a penalty's traffic limit honoured, official tags, operator settings, learning from orders."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select, update

from laotie.models import FeedAction, Impression, Shop, User, Video, ViolationCase, utcnow
from laotie.traffic.service.feed import feed_of
from laotie.trust.governance.tasks import enforce_due
from tests.live.sale.test_promotions import user_of
from tests.support import Api


async def creators(api: Api, n: int, videos_each: int = 2, *, age_days: int = 60) -> list[tuple[str, int]]:
    """n creators, each with published videos; accounts `age_days` old."""
    out = []
    for _ in range(n):
        token = await api.user("creator")
        uid = (await user_of(api, token)).id
        async with api.db.transaction() as s:
            await s.execute(update(User).where(User.id == uid).values(created_at=utcnow() - timedelta(days=age_days)))
            for i in range(videos_each):
                s.add(Video(owner_id=uid, caption=f"video {i} of {uid}", file_name=f"{uid}-{i}.mp4", size_bytes=1))
        out.append((token, uid))
    return out


async def discover(api: Api, token: str, k: int = 10) -> list[dict]:
    return list((await api.call("GET", f"/api/v1/feed/discover?k={k}", token, expect=200)).json())


async def test_a_page_is_logged_with_its_reasons_and_explained_to_its_viewer_only(api: Api) -> None:
    await creators(api, 6)
    viewer, other = await api.user(), await api.user()
    page = await discover(api, viewer, k=5)
    assert len(page) == 5 and [x["position"] for x in page] == [1, 2, 3, 4, 5]
    assert len({(x["kind"], x["id"]) for x in page}) == 5
    async with api.db.transaction() as s:
        rows = (await s.execute(select(Impression).order_by(Impression.id))).scalars().all()
    assert [r.id for r in rows] == [x["impression_id"] for x in page]
    assert all(r.components and "final_score" in r.components and r.feed == "discovery" for r in rows)
    why = (await api.call("GET", f"/api/v1/feed/impressions/{page[0]['impression_id']}/why", viewer,
                          expect=200)).json()
    assert why["explanation"].startswith("Position 1:") and why["components"]["trust_multiplier"] == 1.0
    r = await api.call("GET", f"/api/v1/feed/impressions/{page[0]['impression_id']}/why", other, expect=404)
    assert r.json()["code"] == "impression_not_found"
    # The next page does not repeat what this viewer was just shown.
    again = await discover(api, viewer, k=5)
    assert not {(x["kind"], x["id"]) for x in again} & {(x["kind"], x["id"]) for x in page}
    await api.call("POST", f"/api/v1/feed/impressions/{page[0]['impression_id']}/click", viewer, expect=204)
    await api.call("POST", f"/api/v1/feed/impressions/{page[0]['impression_id']}/click", other, expect=404)
    r = await api.call("POST", f"/api/v1/feed/impressions/{page[0]['impression_id']}/watch", viewer, expect=422,
                       json={"seconds": 0})
    assert r.json()["field"] == "seconds"
    await api.call("POST", f"/api/v1/feed/impressions/{page[0]['impression_id']}/watch", viewer, expect=204,
                   json={"seconds": 42})
    async with api.db.transaction() as s:
        acts = {(a.kind, a.value) for a in (await s.execute(select(FeedAction))).scalars()}
    assert acts == {("click", 1), ("watch", 42)}


async def test_my_traffic_adds_up_to_what_was_served(api: Api) -> None:
    people = await creators(api, 4)
    for _ in range(6):
        await discover(api, await api.user(), k=4)
    token, uid = people[0]
    mine = (await api.call("GET", "/api/v1/me/traffic", token, expect=200)).json()
    async with api.db.transaction() as s:
        served = (await s.execute(select(func.count()).select_from(Impression)
                                  .where(Impression.owner_id == uid))).scalar_one()
    assert mine["total"] == served == sum(mine["by_source"].values()) == sum(n for _, n in mine["by_day"])
    assert sum(mine["trust_multipliers"].values()) == served


async def test_new_creators_get_their_share(api: Api) -> None:
    await creators(api, 12, age_days=90)
    await creators(api, 1, videos_each=1, age_days=1)  # one new creator among many established ones
    shown: Counter[str] = Counter()
    for _ in range(30):
        for item in await discover(api, await api.user(), k=5):
            shown[item["source"]] += 1
    total = sum(shown.values())
    async with api.db.transaction() as s:
        young = (await s.execute(select(func.count()).select_from(Impression).join(User, User.id == Impression.owner_id)
                                 .where(User.created_at >= utcnow() - timedelta(days=14)))).scalar_one()
    assert young / total >= 0.10, (young, total, shown)


async def test_a_penalised_creator_gets_the_limited_share(api: Api) -> None:
    people = await creators(api, 10, videos_each=3)
    op = await api.operator()
    (_, limited), (_, twin) = people[0], people[1]
    opened = (await api.call("POST", "/api/v1/governance/cases", op, expect=201, json={
        "violation_code": "hype_selling", "subject_id": limited, "reason": "exaggerated claims",
        "measures": [{"kind": "traffic_limit", "percent": 30, "days": 7}]})).json()
    async with api.db.transaction() as s:  # the appeal window has passed
        await s.execute(update(ViolationCase).where(ViolationCase.id == opened["id"])
                        .values(appeal_deadline=utcnow() - timedelta(seconds=1)))
    assert await enforce_due(api.db) >= 1
    async with api.db.transaction() as s:
        await feed_of(api.db).refresh(s, utcnow())
    rng = random.Random(7)
    reached: dict[int, set[int]] = {limited: set(), twin: set()}
    got: Counter[int] = Counter()
    for i in range(150):
        viewer = await api.user()
        page = await discover(api, viewer, k=6)
        for item in page:
            got[item["owner_id"]] += 1
            if item["owner_id"] in reached:
                reached[item["owner_id"]].add(i)
        # Every item is as good as the next: each viewer opens one at random, wherever it sits.
        picked = page[rng.randrange(len(page))]
        await api.call("POST", f"/api/v1/feed/impressions/{picked['impression_id']}/click", viewer, expect=204)
    # The limit shows the owner to 30% of viewers (a seeded draw per viewer, owner and day), so it
    # reaches about 0.3 of the viewers its unlimited twin reaches; see the ranking module docstring.
    ratio = len(reached[limited]) / len(reached[twin])
    assert 0.15 <= ratio <= 0.5, (len(reached[limited]), len(reached[twin]), got)
    assert 0.15 <= got[limited] / got[twin] <= 0.5, got  # and about that share of its impressions
    async with api.db.transaction() as s:
        limits = {r.components.get("limit") for r in (await s.execute(
            select(Impression).where(Impression.owner_id == limited))).scalars()}
    assert limits == {0.3}  # every impression it got was logged with the limit that applied
    token = people[0][0]
    mine = (await api.call("GET", "/api/v1/me/traffic", token, expect=200)).json()
    assert mine["limits"] == {"0.3": got[limited]} and any("limited" in n for n in mine["notes"])


async def test_official_tags_and_operator_settings(api: Api) -> None:
    people = await creators(api, 3)
    op, viewer = await api.operator(), await api.user()
    await api.call("PUT", "/api/v1/official-tags", viewer, expect=403,
                   json={"item_kind": "host", "item_id": people[0][1], "label": "品牌"})
    await api.call("PUT", "/api/v1/official-tags", op, expect=204,
                   json={"item_kind": "host", "item_id": people[0][1], "label": "品牌"})
    await api.settle()
    page = await discover(api, viewer, k=6)
    assert {x["official"] for x in page if x["owner_id"] == people[0][1]} == {True}
    assert not any(x["official"] for x in page if x["owner_id"] != people[0][1])

    await api.call("GET", "/api/v1/traffic/settings", viewer, expect=403)
    r = await api.call("PUT", "/api/v1/traffic/settings", op, expect=422, json={"gini_target": 0})
    assert r.json()["field"] == "gini_target"
    r = await api.call("PUT", "/api/v1/traffic/settings", op, expect=422, json={"ad_positions": [0]})
    got = (await api.call("PUT", "/api/v1/traffic/settings", op, expect=200,
                          json={"gini_target": 0.5, "cold_start_share": 0.2, "official_boost": 1.5})).json()
    assert (got["gini_target"], got["cold_start_share"], got["official_boost"]) == (0.5, 0.2, 1.5)
    assert (await api.call("GET", "/api/v1/traffic/settings", op, expect=200)).json() == got
    assert feed_of(api.db).settings.gini_target == 0.5


async def test_orders_from_a_video_teach_the_feed(api: Api) -> None:
    from tests.web.test_pages import csrf_of, sign_in

    op = await api.operator()
    merchant, _, sku = await api.merchant_with_product(await api.category(op), price=5000, stock=5)
    owner = (await user_of(api, merchant)).id
    async with api.db.transaction() as s:
        video = Video(owner_id=owner, caption="apples", file_name="a.mp4", size_bytes=1)
        s.add(video)
        await s.flush()
        video_id = video.id
    await api.user(name="feedbuyer")
    await sign_in(api, "feedbuyer")
    page = await api.client.get(f"/checkout?sku={sku}&src=video:{video_id}")
    r = await api.client.post("/checkout", data={
        "csrf_token": csrf_of(page.text), "idempotency_key": "k-feed-1", "sku": str(sku), "qty": "1",
        "src": f"video:{video_id}", "recipient": "Li", "phone": "13800000000", "address": "1 Road"})
    assert r.status_code == 303
    payment_id = int(r.headers["location"].rsplit("/", 1)[1])
    buyer_token = await api.user()  # the API pay helper needs a token: pay as the page's buyer instead
    from laotie.identity import service as identity
    from laotie.orders.service import payment

    async with api.db.transaction() as s:
        from laotie.identity import repository as identity_repo

        buyer = await identity_repo.user_by_username(s, "feedbuyer")
        assert buyer is not None and buyer_token
        await payment.sandbox_decide(s, api.db.settings, buyer, payment_id, approve=True)
    await api.settle()
    async with api.db.transaction() as s:
        acts = [(a.item_kind, a.item_id, a.kind, a.value) for a in (await s.execute(select(FeedAction))).scalars()]
    assert acts == [("video", video_id, "order", 5000)]
    assert identity is not None


async def test_the_shop_score_band_and_reliable_goods_reach_the_ranking(api: Api) -> None:
    from datetime import date

    from laotie.models import ShopScore, VideoProduct
    from laotie.traffic.service import policy

    op = await api.operator()
    merchant, product, _ = await api.merchant_with_product(await api.category(op))
    owner = (await user_of(api, merchant)).id
    await creators(api, 3)
    async with api.db.transaction() as s:
        shop_id = (await s.execute(select(Shop.id).where(Shop.owner_id == owner))).scalar_one()
        # The daily job's row for a shop in band 差 (how a band is computed is tests/trust/test_score_db.py).
        s.add(ShopScore(shop_id=shop_id, day=date.today(), orders_in_window=40, total=4.1, band="差",
                        dimensions={}, indicators=[]))
        video = Video(owner_id=owner, caption="orchard tour", file_name="o.mp4", size_bytes=1)
        s.add(video)
        await s.flush()
        s.add(VideoProduct(video_id=video.id, product_id=product, position=0))
    # Reliable goods come from the score's rule (≥ 10 reviews at ≥ 4.6 in a 优 shop); here one
    # source says this product qualifies, to see the boost travel from the interface to the page.

    async def reliable(_s: object, ids: list[int]) -> dict[int, float]:
        return {product: 1.1} if product in ids else {}

    policy.register_goods(reliable)
    try:
        async with api.db.transaction() as s:
            await feed_of(api.db).refresh(s, utcnow())
        page = await discover(api, await api.user(), k=7)
    finally:
        policy.GOODS_SOURCES.remove(reliable)
    mine = [x for x in page if x["owner_id"] == owner]
    assert mine, page
    why = (await api.call("GET", f"/api/v1/feed/impressions/{mine[0]['impression_id']}/why", None)).status_code
    assert why == 401
    async with api.db.transaction() as s:
        row = await s.get(Impression, mine[0]["impression_id"])
    assert row.components["trust_multiplier"] == 0.7 and row.components["goods_boost"] == 1.1


async def test_the_feed_leans_to_what_the_viewer_buys(api: Api) -> None:
    from laotie.models import VideoProduct

    op = await api.operator()
    tea_shop, tea, tea_sku = await api.merchant_with_product(await api.category(op, name="Tea"))
    toy_shop, toy, _ = await api.merchant_with_product(await api.category(op, name="Toys"))
    owners = {tea: (await user_of(api, tea_shop)).id, toy: (await user_of(api, toy_shop)).id}
    async with api.db.transaction() as s:
        for product, owner in owners.items():
            for i in range(3):
                video = Video(owner_id=owner, caption=f"{product} {i}", file_name=f"{product}-{i}.mp4", size_bytes=1)
                s.add(video)
                await s.flush()
                s.add(VideoProduct(video_id=video.id, product_id=product, position=0))
    tea_lover = await api.user()
    c = (await api.buy(tea_lover, tea_sku)).json()
    await api.pay(tea_lover, c["payment_id"])
    async with api.db.transaction() as s:
        await feed_of(api.db).refresh(s, utcnow())
    page = await discover(api, tea_lover, k=3)
    assert {x["title"].split()[0] for x in page} == {str(tea)}  # all three tea videos first
    stranger_page = await discover(api, await api.user(), k=6)
    async with api.db.transaction() as s:
        affinities = {r.components["affinity"] for r in (await s.execute(
            select(Impression).where(Impression.id.in_([x["impression_id"] for x in stranger_page])))).scalars()}
        mine = {r.components["affinity"] for r in (await s.execute(
            select(Impression).where(Impression.id.in_([x["impression_id"] for x in page])))).scalars()}
    assert affinities == {1.0}  # no history, no personalisation
    assert min(mine) > 1.0
