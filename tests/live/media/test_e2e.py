"""The media plane for real: ffmpeg publishes RTMP to nginx, laotie authorises it, Chromium plays the HLS.

Nothing stands in for anything: laotie runs in a uvicorn subprocess, nginx with the
RTMP module is started by `laotie media up` (the CLI) under a temporary prefix, ffmpeg
pushes a test pattern, and headless Chromium watches the public watch page.

  (a) a forged key is refused by on_publish: ffmpeg fails at once, no session exists;
  (b) the real key goes live: HLS appears under the public playback name only (the key
      is in no file name or file), laotie serves the playlist, and the video plays;
  (c) the encoder stops: on_publish_done ends the session (publish_done);
  (d) an operator cuts a new stream: laotie drops the encoder through nginx's control API.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.async_api import async_playwright

from laotie.config import Settings
from laotie.identity import service as identity
from laotie.kit.db import Database
from laotie.kit.migrate import upgrade_async
from laotie.live.media import plane as media
from laotie.live.service import sessions
from tests.serving import CHROMIUM, CHROMIUM_ARGS, free_port, require, server_env, stop_process, tail, wait_healthy

pytestmark = pytest.mark.media

T = TypeVar("T")


@dataclass
class Plane:
    base: str  # laotie's URL
    rtmp: str  # rtmp://127.0.0.1:<port>/live
    prefix: Path
    key: str  # the creator's secret stream key
    operator_token: str
    env: dict[str, str]
    tmp: Path
    encoders: list[asyncio.subprocess.Process] = field(default_factory=list)


def _require_tools(settings: Settings) -> None:
    try:
        media.nginx_binary(settings)
        ok, reason = True, ""
    except media.MediaPlaneError as exc:
        ok, reason = False, str(exc)
    require(ok, f"media tests need nginx with the RTMP module: {reason}")
    require(shutil.which("ffmpeg") is not None, "media tests need ffmpeg (apt-get install ffmpeg)")
    require(CHROMIUM.is_file(), f"media tests need Chromium at {CHROMIUM} (apt-get install chromium)")


async def _seed(settings: Settings) -> tuple[str, str]:
    """A creator with a stream key and an operator with an API token → (key, operator token)."""
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            creator = await identity.register_user(s, settings, username="streamer", password="password123",
                                                   roles={"creator"}, self_serve=False)
            key = await sessions.rotate_stream_key(s, creator)
            operator = await identity.register_user(s, settings, username="operator", password="password123",
                                                    roles={"operator"}, self_serve=False)
            return key, await identity.issue_api_token(s, operator)
    finally:
        await db.dispose()


async def _laotie(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Run the `laotie` command line as a user would."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "laotie.cli", *args, env=env, cwd=cwd,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"laotie {' '.join(args)} exited {proc.returncode}:\n{text}"
    return text


@pytest.fixture
async def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Plane]:
    monkeypatch.setenv("LAOTIE_CONFIG", str(tmp_path / "absent.toml"))
    url = f"sqlite+aiosqlite:///{tmp_path / 'laotie.db'}"
    app_port, rtmp_port, control_port = free_port(), free_port(), free_port()
    prefix = tmp_path / "media-plane"
    settings = Settings(database_url=url, data_dir=tmp_path, media_dir=tmp_path / "media", secret_key="test",
                        argon2_time_cost=1, argon2_memory_kib=64, jobs_enabled=False, media_prefix=prefix,
                        rtmp_port=rtmp_port, hls_http_port=control_port)
    _require_tools(settings)
    await upgrade_async(url)
    key, operator_token = await _seed(settings)

    base = f"http://127.0.0.1:{app_port}"
    env = server_env(tmp_path, url, LAOTIE_MEDIA_PREFIX=str(prefix), LAOTIE_RTMP_PORT=str(rtmp_port),
                     LAOTIE_HLS_HTTP_PORT=str(control_port), LAOTIE_CALLBACK_BASE_URL=base)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(app_port), env=env, cwd=tmp_path, stdout=out, stderr=out)
    p = Plane(base, f"rtmp://127.0.0.1:{rtmp_port}/live", prefix, key, operator_token, env, tmp_path)
    try:
        await wait_healthy(base, server, log)
        assert "media plane up" in await _laotie(env, tmp_path, "media", "up")
        yield p
    finally:
        for encoder in p.encoders:
            await stop_process(encoder, grace=5)
        try:
            await _laotie(env, tmp_path, "media", "down")
        finally:
            media.stop(settings, wait_seconds=5)  # whatever failed above, no nginx outlives the test
            await stop_process(server)
            print(f"--- server log ---\n{tail(log)}\n--- nginx error log ---\n{tail(prefix / 'logs' / 'error.log')}")


async def _push(p: Plane, key: str, name: str, *, seconds: int | None = None) -> asyncio.subprocess.Process:
    """ffmpeg publishing a 320x180 test pattern with a 440 Hz tone, a keyframe every second.

    `-g 25` at 25 fps: nginx-rtmp cuts HLS fragments only at keyframes, so a keyframe
    interval longer than hls_fragment makes long fragments and a slow first playlist.
    """
    limit = ["-t", str(seconds)] if seconds else []
    with (p.tmp / f"ffmpeg-{name}.log").open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
            "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
            *limit, "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25",
            "-keyint_min", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv", f"{p.rtmp}/{key}",
            stdout=out, stderr=out)
    p.encoders.append(proc)
    return proc


async def _until(what: str, probe: Callable[[], Awaitable[T | None]], seconds: float = 15) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(0.2)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")


async def _live(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/live/sessions", params={"status": "live"})
    assert r.status_code == 200, r.text
    return list(r.json())


async def _session(client: httpx.AsyncClient, session_id: int) -> dict[str, Any]:
    r = await client.get(f"/api/v1/live/sessions/{session_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_publish_watch_end_and_cut(plane: Plane) -> None:
    p = plane
    hls = p.prefix / "hls"
    async with httpx.AsyncClient(base_url=p.base, timeout=5) as client:
        # (a) A forged key: on_publish says 403, nginx hangs up, ffmpeg fails fast.
        started = time.monotonic()
        forged = await _push(p, "lk_forged0000000000000000000000", "forged", seconds=10)
        assert await asyncio.wait_for(forged.wait(), timeout=10) != 0
        assert time.monotonic() - started < 5
        assert await _live(client) == []
        assert list(hls.glob("*.m3u8")) == []

        # (b) The real key: live, renamed, packaged, served, played.
        encoder = await _push(p, p.key, "live")
        live = await _until("the session to go live", lambda: _live(client))
        assert len(live) == 1
        session = live[0]
        playback_url = session["playback_url"]
        playback = playback_url.removeprefix("/hls/").removesuffix(".m3u8")
        assert p.key not in playback_url

        async def playlist() -> str | None:
            r = await client.get(playback_url)
            return r.text if r.status_code == 200 and "#EXTINF" in r.text else None

        text = await _until("laotie to serve the playlist", playlist)
        assert text.startswith("#EXTM3U")
        r = await client.get(playback_url)
        assert r.headers["content-type"] == "application/vnd.apple.mpegurl"
        assert r.headers["cache-control"] == "no-cache"
        fragment = next(line for line in text.splitlines() if line.endswith(".ts"))
        r = await client.get(f"/hls/{fragment}")
        assert (r.status_code, r.headers["content-type"]) == (200, "video/mp2t")
        assert r.content[:1] == b"\x47"  # an MPEG-TS sync byte

        names = sorted(f.name for f in hls.iterdir())
        assert f"{playback}.m3u8" in names
        assert all(name.startswith(f"{playback}") for name in names), names
        # The key is in no file name and no file the media plane wrote (logs, playlists).
        for path in p.prefix.rglob("*"):
            assert p.key not in path.name
            if path.is_file() and path.suffix != ".ts":
                assert p.key not in path.read_text(errors="replace"), path

        await _watch(p, session["id"])
        assert encoder.returncode is None, "the encoder should still be publishing"

        # (c) The encoder stops: nginx calls on_publish_done, the session ends.
        encoder.send_signal(signal.SIGINT)
        await asyncio.wait_for(encoder.wait(), timeout=10)

        async def ended(session_id: int) -> dict[str, Any] | None:
            s = await _session(client, session_id)
            return s if s["status"] == "ended" else None

        done = await _until("publish_done to end the session", lambda: ended(session["id"]))
        assert done["end_reason"] == "publish_done"
        assert await _live(client) == []

        # (d) A new stream, cut by an operator: nginx drops the encoder at once.
        encoder = await _push(p, p.key, "cut")

        async def new_session() -> dict[str, Any] | None:
            return next((x for x in await _live(client) if x["id"] != session["id"]), None)

        second = await _until("the second session to go live", new_session)
        assert encoder.returncode is None
        r = await client.post(f"/api/v1/live/sessions/{second['id']}/cut", json={"reason": "test pattern"},
                              headers={"Authorization": f"Bearer {p.operator_token}"})
        assert r.status_code == 200, r.text
        # Dropped by the media plane: the encoder sees the connection close and gives up.
        assert await asyncio.wait_for(encoder.wait(), timeout=10) != 0
        cut = await _session(client, second["id"])
        # The publish_done that follows the drop does not overwrite the operator's reason.
        assert (cut["status"], cut["end_reason"]) == ("ended", "operator_cut: test pattern")


async def _watch(p: Plane, session_id: int) -> None:
    """Open the room page and the bare watch page in Chromium at phone width: the video plays, time advances."""
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for path, shot in ((f"/live/{session_id}", "room.png"), (f"/live/{session_id}/watch", "watch.png")):
                page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                                              has_touch=True)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                await page.goto(f"{p.base}{path}")
                current = "document.getElementById('live-video').currentTime"
                await page.wait_for_function(f"{current} > 1.0", timeout=15_000)
                first = await page.evaluate(current)
                await page.wait_for_function(f"{current} > {first} + 0.5", timeout=5_000)
                state = await page.evaluate(
                    "(() => { const v = document.getElementById('live-video');"
                    " return {engine: v.dataset.engine, muted: v.muted, width: v.videoWidth,"
                    " status: document.getElementById('live-video-status').dataset.state}; })()")
                # hls.js over Media Source Extensions; Debian's Chromium decodes H.264 and AAC.
                assert state == {"engine": "hls.js", "muted": True, "width": 320, "status": "playing"}, path
                await page.screenshot(path=str(p.tmp / shot))
                await page.close()
        finally:
            await browser.close()
    assert errors == [], errors
