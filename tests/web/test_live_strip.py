"""Live now (直播) on the home page: the rooms on air head the first page; with none, the rooms coming up;
with neither, no strip at all. /live lists both, soonest first."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from laotie.live.service import sessions
from laotie.models import User, utcnow
from tests.support import Api


async def _host(api: Api, name: str) -> User:
    await api.user("creator", name=name)
    async with api.db.transaction() as s:
        return (await s.execute(select(User).where(User.username == name))).scalar_one()


async def _schedule(api: Api, host: User, title: str, hours: float) -> int:
    async with api.db.transaction() as s:
        session = await sessions.schedule_session(s, host, title=title, scheduled_for=utcnow() + timedelta(hours=hours))
        return session.id


def _rooms(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-room="(\d+)"', html)]


async def test_no_rooms_no_strip(api: Api) -> None:
    home = await api.client.get("/")
    assert home.status_code == 200 and "data-live-strip" not in home.text
    listing = await api.client.get("/live")
    assert listing.status_code == 200 and "Nobody is live right now" in listing.text


async def test_upcoming_rooms_soonest_first_while_nobody_is_live(api: Api) -> None:
    later = await _schedule(api, await _host(api, "later_host"), "Tea at nine", hours=5)
    sooner = await _schedule(api, await _host(api, "sooner_host"), "Apples at noon", hours=1)
    await _schedule(api, await _host(api, "stale_host"), "Never started", hours=-3)
    home = await api.client.get("/")
    strip = home.text[home.text.index("data-live-strip"):]
    assert "Coming up" in strip and "Nobody is live right now" in strip
    assert _rooms(strip) == [sooner, later]  # the room whose time passed hours ago is not "coming up"
    assert "sooner_host" in strip and 'href="/live"' in strip
    assert _rooms((await api.client.get("/live")).text) == [sooner, later]


async def test_rooms_on_air_head_the_first_page_only(api: Api) -> None:
    host = await _host(api, "on_air_host")
    await _schedule(api, await _host(api, "next_host"), "Tomorrow's tea", hours=20)
    async with api.db.transaction() as s:
        live = await sessions.authorize_publish(s, await sessions.rotate_stream_key(s, host))
        live_id = live.id
    home = await api.client.get("/")
    strip = home.text[home.text.index("data-live-strip"):home.text.index("</section>")]
    assert "Live now" in strip and "Coming up" not in strip
    assert _rooms(strip) == [live_id] and f'href="/live/{live_id}"' in strip
    # A search or another page is about products: no strip there.
    assert "data-live-strip" not in (await api.client.get("/?q=tea")).text
    assert "data-live-strip" not in (await api.client.get("/?page=2")).text
    listing = (await api.client.get("/live")).text
    assert _rooms(listing)[0] == live_id and len(_rooms(listing)) == 2
