"""The streamer console's live figures: the polled charts fragment while live, the summary afterwards."""

from __future__ import annotations

import json
import re

from laotie.kit.jobs import scheduler
from laotie.live.analytics.meter import meter_of
from tests.live.conftest import go_live
from tests.support import Api
from tests.web.test_pages import sign_in


async def test_console_shows_live_charts_then_the_summary(api: Api) -> None:
    room = await go_live(api)
    meter_of(api.db).count_entry(room.session_id)
    meter_of(api.db).sample_viewers(room.session_id, 7)
    await scheduler.run(api.db, "live.flush_meters")
    host_name = (await api.call("GET", "/api/v1/me", room.host, expect=200)).json()["username"]
    token = await sign_in(api, host_name)

    console = await api.client.get("/live/console")
    assert console.status_code == 200
    html = console.text
    assert f'hx-get="/live/console/{room.session_id}/analytics" hx-trigger="every 10s"' in html
    assert 'data-chart="audience"' in html and 'data-chart="sales"' in html
    assert html.index("/static/vendor/echarts.min.js") < html.index("/static/js/live_charts.js")

    fragment = await api.client.get(f"/live/console/{room.session_id}/analytics", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    data = json.loads(re.search(r"<script type=\"application/json\" data-chart-data>(.*?)</script>",  # type: ignore[union-attr]
                                fragment.text, re.S).group(1))
    assert set(data) == {"minutes", "viewers", "entries", "comments", "likes", "orders", "gmv"}
    assert sum(data["entries"]) == 1 and max(data["viewers"]) == 7
    assert (await api.client.get("/static/js/live_charts.js")).status_code == 200

    r = await api.client.post(f"/live/console/{room.session_id}/end", data={"csrf_token": token})
    assert r.status_code == 303
    await api.settle()
    after = (await api.client.get("/live/console")).text
    assert "every 10s" not in after  # nothing polls a session that ended
    assert f'data-session-summary="{room.session_id}"' in after and "peak viewers" in after
    page = await api.client.get(f"/live/console/{room.session_id}/analytics")
    assert page.status_code == 200 and "<html" in page.text and "every 10s" not in page.text

    # another host may not see these figures
    api.client.cookies.clear()
    await api.user("creator", name="otherhost")
    await sign_in(api, "otherhost")
    assert (await api.client.get(f"/live/console/{room.session_id}/analytics")).status_code == 403
