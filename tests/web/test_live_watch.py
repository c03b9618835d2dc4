"""The watch-only page: the player for a coming or live session, a plain notice once it has ended."""

from __future__ import annotations

from tests.support import Api


async def test_watch_page_follows_the_session(api: Api) -> None:
    host = await api.user("creator")
    session = (await api.call("POST", "/api/v1/live/sessions", host, expect=201,
                              json={"title": "Apples at dawn"})).json()
    page = await api.client.get(f"/live/{session['id']}/watch")
    assert page.status_code == 200
    assert f'<video id="live-video" data-src="{session["playback_url"]}" muted autoplay playsinline' in page.text
    assert "Waiting for the stream to start…" in page.text
    assert '<script type="module" src="/static/js/player.js">' in page.text
    assert (await api.client.get("/static/js/player.js")).status_code == 200

    await api.call("POST", f"/api/v1/live/sessions/{session['id']}/end", host, expect=200)
    page = await api.client.get(f"/live/{session['id']}/watch")
    assert page.status_code == 200 and "This live stream has ended." in page.text
    assert "live-video" not in page.text and "player.js" not in page.text

    missing = await api.client.get("/live/999999/watch")
    assert missing.status_code == 404 and 'data-code="live_session_not_found"' in missing.text
