"""The host's "3-2-1 上车" countdown in a real browser: it ends the viewers' median delay before their buttons open.

Viewers' latency reports go to the running server over HTTP as players send them; the host's
browser clock is an hour off, which the console must correct from the server's time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from laotie.config import Settings
from laotie.kit.db import Database
from tests.serving import serve
from tests.web.phone import assert_phone_width, phones
from tests.web.seed import PASSWORD, live_host

pytestmark = pytest.mark.browser

HOST = "cue_host"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}


@dataclass
class Room:
    url: str
    session_id: int
    tmp: Path


async def _seed(settings: Settings) -> int:
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            _host, session_id = await live_host(s, settings, HOST, title="Lychee 1kg")
            return session_id
    finally:
        await db.dispose()


@pytest.fixture
async def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Room]:
    from tests.web.seed import fresh_database

    url, settings = await fresh_database(tmp_path, monkeypatch)
    session_id = await _seed(settings)
    async with serve(tmp_path, url) as base:
        yield Room(base, session_id, tmp_path)


async def _axe_serious(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the viewer-delay card."""
    await page.add_script_tag(path=str(AXE))
    return list(await page.evaluate("""async () => {
        const r = await axe.run('#host-cue', {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ' ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }"""))


# One tick of host_cue.js writes both figures from the same instant, so they are read together.
READ_BOTH = """() => {
  const host = document.querySelector('#host-cue [data-host-zero]');
  const viewers = document.querySelector('#host-cue [data-opens-at]');
  return host && viewers ? [host.textContent.trim(), viewers.textContent.trim()] : null;
}"""
GO_BEFORE_OPEN = f"""() => {{
  const both = ({READ_BOTH})();
  return both !== null && both[0] === "Go! 上车!" && Number(both[1]) > 0;
}}"""


async def test_the_host_counts_down_ahead_of_the_viewers(room: Room) -> None:
    async with httpx.AsyncClient(base_url=room.url, timeout=5) as client:
        for viewer, ms in (("a", 4_000), ("b", 4_200), ("c", 4_400)):
            r = await client.post(f"/api/v1/live/sessions/{room.session_id}/latency", json={"latency_ms": ms},
                                  headers={"cookie": f"laotie_csrf=viewer-{viewer}"})
            assert r.status_code == 200 and r.json()["recorded"] is True, r.text

    async with phones(room.url) as ph:
        page = await ph.signed_in(HOST)
        console_errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        # The host's computer is an hour fast: only the server's clock can say when the buttons open.
        await page.clock.install(time=datetime.now() + timedelta(hours=1))
        await page.goto("/live/console")
        cue = page.locator("#host-cue")
        await expect(cue).to_contain_text("Viewers see you ≈ 4.2 s late.")
        await expect(cue).to_contain_text("median of 3 reports in the last minute")
        await expect(page.locator("#countdown")).to_have_value("8")  # 3 + the 4.2 s delay, rounded up

        await page.fill("#live_price", "9.90")
        await page.fill("#live_stock", "10")
        await page.fill("#countdown", "20")
        await page.get_by_role("button", name="Start countdown").click()
        await expect(cue.locator("[data-host-zero]")).to_be_visible()
        await assert_phone_width(page)
        await cue.screenshot(path=str(room.tmp / "host-cue-phone.png"))
        assert await _axe_serious(page) == []

        # While the host counts, the viewers' count is 4.2 s longer (4 or 5 whole seconds), and both are
        # seconds away, not an hour: the clock was corrected.
        host, viewers = await page.evaluate(READ_BOTH)
        assert host.isdigit() and 1 <= int(host) <= 16, host
        assert int(viewers) - int(host) in (4, 5), (host, viewers)

        # The host reaches "上车" while the viewers' buttons are still closed; then theirs open.
        await page.wait_for_function(GO_BEFORE_OPEN, timeout=30_000)
        # Theirs reach 0, or the 5-second refresh has already taken the opened flash off the card.
        await page.wait_for_function("""() => {
          const el = document.querySelector('#host-cue [data-opens-at]');
          return el === null || el.textContent.trim() === "0";
        }""", timeout=10_000)

        # At desktop width the card sits in the console as on the phone.
        ctx = await ph.browser.new_context(base_url=room.url, **DESKTOP)  # type: ignore[arg-type]
        desk = await ctx.new_page()
        await desk.goto("/login")
        await desk.fill("#username", HOST)
        await desk.fill("#password", PASSWORD)
        await desk.get_by_role("button", name="Sign in").click()
        await desk.goto("/live/console")
        await expect(desk.locator("#host-cue")).to_contain_text("≈ 4.2 s")
        await desk.screenshot(path=str(room.tmp / "console-desktop.png"), full_page=True)
        assert await _axe_serious(desk) == []
        await ctx.close()
    assert ph.errors == [] and console_errors == [], (ph.errors, console_errors)
