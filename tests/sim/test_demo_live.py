"""The demo's live rooms for real: `laotie demo` starts nginx-rtmp and ffmpeg, Chromium watches a room.

The command runs as a user runs it (what scripts/demo.sh runs, in this test's own folder
and ports, never the developer's var/): it seeds the world, starts the media plane and the
server, and puts a fruit and a clothes room on air. Then, within 60 s of the server
answering, a room is live and its video plays in Chromium, its cart shows products, a
flash-sale countdown appears and the demo viewers' comments arrive. A Ctrl-C stops it all:
no ffmpeg or nginx outlives the demo, and the rooms' sessions are ended.

With LAOTIE_SCREENSHOTS=<dir>, the test also photographs the demo's home page at phone and
desktop widths (<dir>/demo-phone.png, <dir>/demo-desktop.png), for the README.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.async_api import Page, async_playwright
from sqlalchemy import select

from laotie.config import Settings
from laotie.kit.db import Database
from laotie.live.media import plane as media
from laotie.models import LiveSession
from tests.serving import CHROMIUM, CHROMIUM_ARGS, free_port, require_media_tools, server_env, tail

pytestmark = [pytest.mark.browser, pytest.mark.media]

T = TypeVar("T")
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                         "locale": "en-US"}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}
ROOMS = {"鲜果直播 Fresh fruit live", "服饰上新 New clothes live"}
# Seeding the full demo world comes before the server answers; on a busy machine it takes a while.
SEEDING_SECONDS = 600


async def _until(what: str, probe: Callable[[], Awaitable[T | None]], seconds: float) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(0.25)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")


def _encoders(rtmp_port: int) -> list[int]:
    """Pids of ffmpeg processes publishing to this test's RTMP port."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if argv and Path(argv[0].decode(errors="replace")).name == "ffmpeg" and any(
                    f":{rtmp_port}/live/".encode() in a for a in argv):
                found.append(int(proc.name))
    return found


async def _ended(settings: Settings) -> list[tuple[str, str]]:
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            rows = (await s.execute(select(LiveSession.title, LiveSession.status))).all()
            return [(str(t), str(st)) for t, st in rows]
    finally:
        await db.dispose()


async def test_demo_puts_rooms_on_air_and_stops_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAOTIE_CONFIG", str(tmp_path / "absent.toml"))
    app_port, rtmp_port, control_port = free_port(), free_port(), free_port()
    prefix = tmp_path / "media-plane"
    url = f"sqlite+aiosqlite:///{tmp_path / 'laotie.db'}"
    settings = Settings(database_url=url, data_dir=tmp_path, media_dir=tmp_path / "media", secret_key="test",
                        media_prefix=prefix, rtmp_port=rtmp_port, hls_http_port=control_port)
    require_media_tools(settings, "the demo's live rooms")
    env = server_env(tmp_path, url, LAOTIE_MEDIA_PREFIX=str(prefix), LAOTIE_RTMP_PORT=str(rtmp_port),
                     LAOTIE_HLS_HTTP_PORT=str(control_port), COLUMNS="200", LANG="C.UTF-8")
    env["LAOTIE_JOBS_ENABLED"] = "true"  # flash sales open and close, lucky bags are drawn, as in the demo
    env.pop("LC_ALL", None)
    base = f"http://127.0.0.1:{app_port}"
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        # Its own process group, so a Ctrl-C can be sent to it as a terminal would.
        demo = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "laotie.cli", "demo", "--fresh", "--port", str(app_port), env=env, cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            async def healthy() -> bool:
                if demo.returncode is not None:
                    pytest.fail(f"the demo exited with {demo.returncode}:\n{tail(log)}")
                with contextlib.suppress(httpx.HTTPError):
                    return (await client.get("/healthz")).text == "ok"
                return False

            await _until("the demo to seed its world and serve", healthy, SEEDING_SECONDS)
            up = time.monotonic()

            async def on_air() -> list[dict[str, Any]] | None:
                r = await client.get("/api/v1/live/sessions", params={"status": "live"})
                assert r.status_code == 200, r.text
                rooms = [x for x in r.json() if x["title"] in ROOMS]
                return rooms if len(rooms) == len(ROOMS) else None

            live = await _until("both demo rooms to go live", on_air, 60)
            printed = {int(n) for n in re.findall(rf"{re.escape(base)}/live/(\d+)", log.read_text(errors="replace"))}
            assert {x["id"] for x in live} <= printed, "the demo's table lists the rooms' addresses"
            fruit = next(x for x in live if x["title"].startswith("鲜果"))
            assert len(fruit["cart_product_ids"]) >= 3
            await _watch(base, fruit["id"], up)
            if os.environ.get("LAOTIE_SCREENSHOTS"):
                await _screenshots(base, Path(os.environ["LAOTIE_SCREENSHOTS"]))

        # Ctrl-C in the terminal: SIGINT to the demo's process group.
        os.killpg(demo.pid, signal.SIGINT)
        await asyncio.wait_for(demo.wait(), timeout=60)
        assert "Application shutdown complete" in log.read_text(errors="replace")
        assert _encoders(rtmp_port) == [], "ffmpeg outlived the demo"
        assert media.running_pid(settings) is None, "nginx outlived the demo"
        sessions = await _ended(settings)
        assert {t for t, _ in sessions} == ROOMS
        assert {st for _, st in sessions} == {"ended"}
    finally:
        if demo.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(demo.pid, signal.SIGKILL)
            await demo.wait()
        media.stop(settings, wait_seconds=5)  # whatever failed above, no nginx outlives the test
        for pid in _encoders(rtmp_port):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        print(f"--- demo log ---\n{tail(log, 6000)}\n--- nginx error log ---\n{tail(prefix / 'logs' / 'error.log')}")


async def _watch(base: str, session_id: int, up: float) -> None:
    """The room at phone width: the countdown shows, the video plays, the cart lists products, comments arrive."""
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(base_url=base, **PHONE)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"/live/{session_id}")
            # The first flash sale is announced as the room goes live, with a minute's countdown.
            left = 60 - (time.monotonic() - up)
            await page.wait_for_function(
                "(() => { const o = document.getElementById('flash-overlay');"
                " return o && !o.hidden && /^[0-9]+$/.test(document.getElementById('flash-count').textContent); })()",
                timeout=max(left, 1) * 1000)
            assert await page.locator("#room-panel .flash-card").count() >= 1
            current = "document.getElementById('live-video').currentTime"
            await page.wait_for_function(f"{current} > 1.0", timeout=30_000)
            first = await page.evaluate(current)
            await page.wait_for_function(f"{current} > {first} + 0.5", timeout=10_000)
            assert await page.evaluate("document.getElementById('live-video').videoHeight") == 640
            assert await page.locator("#room-panel [id^='live-product-']").count() >= 3
            # Pushed as the room went live; shown at once or on the announcement.
            await page.locator("#room-panel .coupon-card").first.wait_for(timeout=10_000)
            await page.locator("#room-panel .lucky-bag-card").first.wait_for(timeout=10_000)
            await _comments_arrive(page)
        finally:
            await browser.close()
    assert errors == [], errors


async def _comments_arrive(page: Page) -> None:
    """The demo viewers chat through the room's real services: a new comment reaches the open page,
    and the first viewer's purchase question was answered with the product card."""
    await page.locator("#chat-list .chat-reply .chat-card").first.wait_for(timeout=30_000)
    newest = "Math.max(0, ...[...document.querySelectorAll('#chat-list .chat-comment')].map(e => +e.dataset.id))"
    seen = await page.evaluate(newest)
    await page.wait_for_function(f"{newest} > {seen}", timeout=30_000)


async def _screenshots(base: str, folder: Path) -> None:
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for name, device in (("demo-phone.png", PHONE), ("demo-desktop.png", DESKTOP)):
                page = await browser.new_page(base_url=base, **device)
                await page.goto("/")
                # The pictures in view are in (those further down load lazily, when scrolled to).
                await page.wait_for_function("[...document.images].filter((i) => i.getBoundingClientRect().top"
                                             " < innerHeight).every((i) => i.complete)")
                await page.screenshot(path=str(folder / name))
                await page.close()
        finally:
            await browser.close()
