"""The operator's main page shows how far event dispatch is behind."""

from __future__ import annotations

import re

from laotie.identity import service as identity
from laotie.kit.events import record_event
from tests.support import Api
from tests.web.test_pages import sign_in


async def test_operator_page_shows_the_outbox_lag(api: Api) -> None:
    async with api.db.transaction() as s:
        await identity.register_user(s, api.db.settings, username="boss", password="password123",
                                     roles={"operator"}, self_serve=False)
    await api.settle()
    await sign_in(api, "boss")
    page = await api.client.get("/operator")
    assert page.status_code == 200
    assert "Event outbox: 0 waiting</p>" in page.text
    dispatcher = api.app.state.dispatcher
    ran: list[dict[str, object]] = []
    dispatcher.bus.on("test.waited", "test.note")(lambda _s, payload: _note(ran, payload))
    try:
        async with dispatcher._lock:  # hold this process's dispatcher back while the event waits
            async with api.db.transaction() as s:
                await record_event(s, "test.waited", {"n": 1})
            page = await api.client.get("/operator")
        assert re.search(r"Event outbox: 1 waiting, oldest \d+\.\d s</p>", page.text), page.text
        await api.settle()
        assert ran == [{"n": 1}]
        assert "Event outbox: 0 waiting</p>" in (await api.client.get("/operator")).text
    finally:
        dispatcher.bus.handlers.pop("test.waited")


async def _note(ran: list[dict[str, object]], payload: dict[str, object]) -> None:
    ran.append(payload)
