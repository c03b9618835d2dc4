"""The discovery page never runs dry while there is something to show: seen items come back, ranked down."""

from __future__ import annotations

import re

from tests.support import Api
from tests.traffic.test_feed_db import creators
from tests.web.test_pages import sign_in


async def test_every_visit_and_more_show_items_from_a_small_catalogue(api: Api) -> None:
    await creators(api, 5)  # ten videos: fewer than a page
    await api.user(name="regular")
    await sign_in(api, "regular")
    shown: list[list[str]] = []
    for _ in range(3):  # the first visit, a later one, then "More"
        page = await api.client.get("/discover")
        assert page.status_code == 200 and "Nothing to discover yet" not in page.text
        assert 'href="/discover">More</a>' in page.text
        shown.append(re.findall(r"video \d+ of \d+", page.text))
    assert [len(s) for s in shown] == [10, 10, 10]
    assert all(set(s) == set(shown[0]) for s in shown)
    impression = re.findall(r'data-impression="(\d+)"', page.text)[0]
    why = await api.client.get(f"/why/{impression}")
    assert "shown to you lately" in why.text
