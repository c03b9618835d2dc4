"""Traffic pages over HTTP: discover, open (the click counted), why, my traffic, the operator's overview."""

from __future__ import annotations

import re

from sqlalchemy import select

from laotie.models import FeedAction
from tests.support import Api
from tests.traffic.test_feed_db import creators
from tests.web.test_pages import sign_in


async def test_discover_why_and_the_operators_targets(api: Api) -> None:
    people = await creators(api, 4)
    page = await api.client.get("/discover")  # signed out: a feed all the same, with a viewer cookie
    assert page.status_code == 200 and page.text.count("data-impression=") == 8
    assert "laotie_viewer" in page.headers.get("set-cookie", "")
    await api.user(name="scroller")
    token = await sign_in(api, "scroller")
    page = await api.client.get("/discover")
    impressions = [int(x) for x in re.findall(r'data-impression="(\d+)"', page.text)]
    assert impressions and f'/why/{impressions[0]}' in page.text
    r = await api.client.get(f"/feed/open/{impressions[0]}")
    assert r.status_code == 303 and re.match(r"^/videos/\d+\?imp=\d+$", r.headers["location"])
    async with api.db.transaction() as s:
        assert [(a.kind, a.impression_id) for a in (await s.execute(select(FeedAction))).scalars()] == [
            ("click", impressions[0])]
    r = await api.client.post(f"/feed/watch/{impressions[0]}", data={"csrf_token": token, "seconds": "12"})
    assert r.status_code == 204
    r = await api.client.post(f"/feed/watch/{impressions[0]}", data={"csrf_token": token, "seconds": "x"})
    assert r.status_code == 422
    why = await api.client.get(f"/why/{impressions[0]}")
    assert why.status_code == 200 and "Predicted value" in why.text and "Trust multiplier" in why.text
    assert (await api.client.get("/why/99999")).status_code == 404

    api.client.cookies.clear()
    creator_name = (await api.call("GET", "/api/v1/me", people[0][0], expect=200)).json()["username"]
    await sign_in(api, creator_name)
    mine = await api.client.get("/me/traffic")
    assert mine.status_code == 200 and "data-total" in mine.text and 'id="traffic-chart"' in mine.text
    assert (await api.client.get("/operator/traffic")).status_code == 403

    from laotie.identity import service as identity

    async with api.db.transaction() as s:
        await identity.register_user(s, api.db.settings, username="trafficop", password="password123",
                                     roles={"operator"}, self_serve=False)
    api.client.cookies.clear()
    otoken = await sign_in(api, "trafficop")
    view = await api.client.get("/operator/traffic")
    assert view.status_code == 200 and "data-gini" in view.text and 'id="bracket-chart"' in view.text
    base = {"csrf_token": otoken, "gini_target": "0.55", "cold_start_days": "7", "cold_start_share": "15",
            "official_boost": "1.2", "ad_positions": "3, 10", "fairness": "on", "cold_start": "on"}
    r = await api.client.post("/operator/traffic/settings", data={**base, "gini_target": "2"})
    assert r.status_code == 422
    r = await api.client.post("/operator/traffic/settings", data=base)
    assert r.status_code == 303
    got = (await api.call("GET", "/api/v1/traffic/settings", await api.operator(), expect=200)).json()
    assert (got["gini_target"], got["cold_start_days"], got["cold_start_share"]) == (0.55, 7.0, 0.15)
    r = await api.client.post("/operator/traffic/tag", data={"csrf_token": otoken, "item_kind": "host",
                                                             "item_id": str(people[1][1]), "label": "品牌"})
    assert r.status_code == 303
