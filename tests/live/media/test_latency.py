"""Viewer latency: the per-room sample and its median, the report endpoint, and the host's countdown it moves."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from laotie.live.media.latency import MAX_SAMPLES, WINDOW_SECONDS, LatencySamples, ReportLimiter, RoomLatency
from laotie.models import FlashListing
from tests.live.conftest import go_live
from tests.support import Api
from tests.web.test_pages import sign_in


def test_median_of_the_last_minute() -> None:
    store = LatencySamples()
    assert store.room(1, now=0.0) == RoomLatency(None, 0)
    for at, ms in ((0.0, 9_000), (10.0, 3_000), (20.0, 4_000), (30.0, 5_000), (40.0, 4_200)):
        store.add(1, ms, now=at)
    store.add(2, 100, now=40.0)  # another room is its own
    assert store.room(1, now=40.0) == RoomLatency(4_200, 5)
    assert store.room(1, now=40.0).seconds == 4.2
    # At 60 s the first report (taken at 0 s) is a minute old and leaves: median of 3000, 4000, 5000, 4200.
    assert store.room(1, now=WINDOW_SECONDS) == RoomLatency(4_100, 4)
    assert store.room(1, now=40.0 + WINDOW_SECONDS) == RoomLatency(None, 0)
    assert len(store) == 1  # the empty room was let go
    assert store.room(2, now=99.0) == RoomLatency(100, 1)


def test_bounds_of_a_sample() -> None:
    store = LatencySamples()
    store.add(1, 0, now=0.0)
    store.add(1, 60_000, now=0.0)
    for wrong in (-1, 60_001):
        with pytest.raises(ValueError, match="outside"):
            store.add(1, wrong, now=0.0)
    assert store.room(1, now=0.0).samples == 2
    # A busy room keeps its newest MAX_SAMPLES reports: the old 50 s ones are pushed out by 1 s ones.
    for i in range(MAX_SAMPLES):
        store.add(7, 50_000, now=i / 1000)
    for i in range(MAX_SAMPLES - 1):
        store.add(7, 1_000, now=2 + i / 1000)
    assert store.room(7, now=5.0) == RoomLatency(1_000, MAX_SAMPLES)


def test_the_limiter_holds_a_viewer_and_an_address() -> None:
    limiter = ReportLimiter()
    assert [limiter.allow("v1", "10.0.0.1", now=0.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.allow("v1", "10.0.0.1", now=0.0) == 5_001  # one token comes back every 5 s
    assert limiter.allow("v1", "10.0.0.1", now=5.0) == 0
    # Many "viewers" from one address: the address's bucket (5/s, 50 at once) stops them.
    allowed = sum(limiter.allow(f"x{i}", "10.0.0.2", now=100.0) == 0 for i in range(200))
    assert allowed == ReportLimiter.ADDRESS_BURST
    assert limiter.allow("someone-else", "10.0.0.3", now=100.0) == 0


def _viewer(name: str) -> dict[str, str]:
    """A page visitor, known by the CSRF cookie every page gives."""
    return {"cookie": f"laotie_csrf={name}"}


def _rounded_ms(value: str) -> int:
    return round(datetime.fromisoformat(value).timestamp() * 1000)


async def test_reports_are_validated_limited_and_make_the_median(api: Api) -> None:
    room = await go_live(api)
    url = f"/api/v1/live/sessions/{room.session_id}/latency"
    before = time.time_ns() // 1_000_000
    r = await api.client.post(url, json={"latency_ms": 4_000}, headers=_viewer("viewer-a"))
    after = time.time_ns() // 1_000_000
    assert r.status_code == 200, r.text
    assert r.json()["recorded"] is True and before <= r.json()["server_time_ms"] <= after
    # Only the clock: answered, nothing recorded.
    r = await api.client.post(url, json={"latency_ms": None}, headers=_viewer("viewer-b"))
    assert (r.status_code, r.json()["recorded"]) == (200, False)
    r = await api.client.post(url, json={}, headers=_viewer("viewer-b"))
    assert (r.status_code, r.json()["recorded"]) == (200, False)
    # A signed-in app counts like anyone.
    viewer = await api.user(name="latency_fan")
    r = await api.call("POST", url, viewer, expect=200, json={"latency_ms": 4_400})
    assert r.json()["recorded"] is True

    for body in ({"latency_ms": -1}, {"latency_ms": 60_001}, {"latency_ms": 4.5}, {"latency_ms": "soon"}, [4000]):
        r = await api.client.post(url, json=body, headers=_viewer("viewer-c"))
        assert (r.status_code, r.json()["code"]) == (422, "invalid_request"), body
    r = await api.client.post(url, content=b'{"latency_ms": 1' + b" " * 2_000 + b"}",
                              headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (413, "body_too_large")
    r = await api.client.post("/api/v1/live/sessions/999/latency", json={"latency_ms": 1},
                              headers=_viewer("viewer-d"))
    assert (r.status_code, r.json()["code"]) == (404, "live_session_not_found")

    # Three reports at once, then the viewer waits its turn.
    for ms in (4_200, 4_200):
        assert (await api.client.post(url, json={"latency_ms": ms}, headers=_viewer("viewer-e"))).json()[
            "recorded"]
    r = await api.client.post(url, json={"latency_ms": 4_200}, headers=_viewer("viewer-e"))
    assert r.status_code == 200
    r = await api.client.post(url, json={"latency_ms": 50_000}, headers=_viewer("viewer-e"))
    assert (r.status_code, r.json()["code"]) == (429, "rate_limited")
    assert r.json()["details"]["retry_after_ms"] > 0

    # The host's console: 4000, 4400, 4200, 4200, 4200 → 4.2 s; the refused 50 s report is not in it.
    host_name = (await api.call("GET", "/api/v1/me", room.host, expect=200)).json()["username"]
    await sign_in(api, host_name)
    cue = await api.client.get(f"/live/console/{room.session_id}/cue")
    assert cue.status_code == 200
    assert 'data-viewer-latency-ms="4200"' in cue.text and "≈ 4.2 s" in cue.text
    assert "median of 5 reports in the last minute" in cue.text

    # The room ends: reports are refused, the sample stays as it was.
    await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/end", room.host, expect=200)
    r = await api.client.post(url, json={"latency_ms": 1}, headers=_viewer("viewer-f"))
    assert (r.status_code, r.json()["code"]) == (409, "session_not_live")


async def test_the_host_countdown_ends_the_median_latency_before_the_opening(api: Api) -> None:
    room = await go_live(api)
    url = f"/api/v1/live/sessions/{room.session_id}/latency"
    for i, ms in enumerate((3_500, 4_200, 6_000)):
        r = await api.client.post(url, json={"latency_ms": ms}, headers=_viewer(f"viewer-{i}"))
        assert r.json()["recorded"] is True
    host_name = (await api.call("GET", "/api/v1/me", room.host, expect=200)).json()["username"]
    token = await sign_in(api, host_name)

    console = await api.client.get("/live/console")
    assert "≈ 4.2 s" in console.text and "Viewers see you" in console.text
    # With viewers 4.2 s behind, a countdown of 3 + 5 s lets all of "3-2-1" reach them before the opening.
    assert re.search(r'id="countdown"[^>]*value="8"', console.text)
    assert "at least 8 s" in console.text

    r = await api.client.post(f"/live/console/{room.session_id}/flash", data={
        "csrf_token": token, "sku_id": str(room.sku_id), "live_price": "9.90", "live_stock": "3",
        "per_buyer_cap": "1", "countdown": "60"})
    assert r.status_code == 303
    async with api.db.transaction() as s:
        flash = (await s.execute(select(FlashListing))).scalar_one()
    for page in ((await api.client.get("/live/console")).text,
                 (await api.client.get(f"/live/console/{room.session_id}/cue")).text):
        opens = re.search(rf'data-flash-cue="{flash.id}".*?data-opens-at="([^"]+)"', page, re.S)
        host_zero = re.search(rf'data-flash-cue="{flash.id}".*?data-host-zero="([^"]+)"', page, re.S)
        assert opens and host_zero, page
        assert _rounded_ms(opens.group(1)) == round(flash.opens_at.timestamp() * 1000)
        assert _rounded_ms(opens.group(1)) - _rounded_ms(host_zero.group(1)) == 4_200
        assert f"Your countdown · flash #{flash.id}" in page
    # The fragment polls itself and is the host's only.
    cue = (await api.client.get(f"/live/console/{room.session_id}/cue")).text
    assert f'hx-get="/live/console/{room.session_id}/cue"' in cue and "<script" not in cue
    api.client.cookies.clear()
    await api.user(name="not_the_host")
    await sign_in(api, "not_the_host")
    r = await api.client.get(f"/live/console/{room.session_id}/cue")
    assert r.status_code == 403


async def test_no_reports_no_lead(api: Api) -> None:
    room = await go_live(api)
    host_name = (await api.call("GET", "/api/v1/me", room.host, expect=200)).json()["username"]
    token = await sign_in(api, host_name)
    r = await api.client.post(f"/live/console/{room.session_id}/flash", data={
        "csrf_token": token, "sku_id": str(room.sku_id), "live_price": "9.90", "live_stock": "3",
        "per_buyer_cap": "1", "countdown": "60"})
    assert r.status_code == 303
    page = (await api.client.get("/live/console")).text
    assert "No viewer has reported a delay yet" in page
    opens = re.search(r'data-opens-at="([^"]+)"', page)
    host_zero = re.search(r'data-host-zero="([^"]+)"', page)
    assert opens and host_zero and opens.group(1) == host_zero.group(1)
    assert re.search(r'id="countdown"[^>]*value="3"', page)
    assert timedelta(0) == datetime.fromisoformat(opens.group(1)) - datetime.fromisoformat(host_zero.group(1))
