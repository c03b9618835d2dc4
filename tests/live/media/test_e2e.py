"""The media plane for real: ffmpeg publishes RTMP to nginx, laotie authorises it, Chromium plays the HLS.

Nothing stands in for anything: laotie runs in a uvicorn subprocess, nginx with the
RTMP module is started by `laotie media up` (the CLI) under a temporary prefix, ffmpeg
pushes a test pattern, and headless Chromium watches the public watch page.

  (a) a forged key is refused by on_publish: ffmpeg fails at once, no session exists;
  (b) the real key goes live: HLS appears under the public playback name only (the key
      is in no file name or file), laotie serves the playlist, and the video plays;
  (c) the encoder stops: on_publish_done ends the session (publish_done);
  (d) an operator cuts a new stream: laotie drops the encoder through nginx's control API.

And glass to glass: a stream whose frames show the wall-clock time they were made at, read
back from the <video> in Chromium on the same machine, against the latency the player
reports and the median the host's console shows.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median, quantiles
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
from tests.serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    require_media_tools,
    server_env,
    stop_process,
    tail,
    wait_healthy,
)

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
    require_media_tools(settings, "media tests")
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


async def _push(p: Plane, key: str, name: str, *, seconds: int | None = None,
                video: str = "testsrc=size=320x180:rate=25") -> asyncio.subprocess.Process:
    """ffmpeg publishing a 320x180 test pattern with a 440 Hz tone, a keyframe every second.

    `-g 25` at 25 fps: nginx-rtmp cuts HLS fragments only at keyframes, so a keyframe
    interval longer than hls_fragment makes long fragments and a slow first playlist.
    """
    limit = ["-t", str(seconds)] if seconds else []
    with (p.tmp / f"ffmpeg-{name}.log").open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
            "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", "sine=frequency=440",
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
        # Asked for a minute of video, it must be turned away long before that minute is up.
        forged = await _push(p, "lk_forged0000000000000000000000", "forged", seconds=60)
        assert await asyncio.wait_for(forged.wait(), timeout=30) != 0
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
        assert text.count("#EXT-X-PROGRAM-DATE-TIME:") == text.count("#EXTINF:")  # every segment dated
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


# Glass to glass. The picture's top two rows of 16x16 blocks carry the milliseconds since CLOCK_ZERO at which
# the frame was made: row 1 bit by bit (white = 1, least significant bit first), row 2 the same bits inverted,
# so a frame is read only when every pair disagrees. 20 bits: 17 minutes from the zero.
CLOCK_BITS = 20
BLOCK = 16


def _clock_source(zero_ms: int) -> str:
    """lavfi graph: grey frames stamped with the wall clock as they are made.

    setpts puts the real time (RTCTIME, µs since the epoch) into each frame's timestamp as the
    frame is generated, which with `-re` is when ffmpeg reads it, as a camera would capture it;
    geq draws it; the timestamps then go back to 25 fps for the encoder.
    """
    bit = f"mod(floor((T*1000-{zero_ms})/pow(2,floor(X/{BLOCK}))),2)"
    lum = f"if(lt(Y,{2 * BLOCK}),if(lt(Y,{BLOCK}),16+219*{bit},235-219*{bit}),128)"
    return (f"color=c=gray:size=320x180:rate=25,settb=1/1000,setpts=RTCTIME/1000,"
            f"geq=lum='{lum}':cb=128:cr=128,setpts=N/(25*TB)")


# In the page: every frame the <video> presents is drawn to a canvas at its own size and its blocks read,
# with Date.now() as it is shown. Same machine, same clock as ffmpeg's.
READ_FRAMES = """async ([ms, bits, block]) => {
  const video = document.getElementById("live-video");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const frames = [];
  const until = Date.now() + ms;
  return await new Promise((resolve) => {
    const frame = () => {
      const shownAt = Date.now();
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const px = ctx.getImageData(0, 0, bits * block, 2 * block).data;
      const white = (row, i) => {
        const at = ((row * block + block / 2) * bits * block + i * block + block / 2) * 4;
        return px[at] + px[at + 1] + px[at + 2] > 382;
      };
      let value = 0, readable = true;
      for (let i = 0; i < bits; i++) {
        if (white(0, i) === white(1, i)) readable = false;
        if (white(0, i)) value += 2 ** i;
      }
      frames.push([shownAt, readable ? value : null]);
      if (Date.now() < until) video.requestVideoFrameCallback(frame); else resolve(frames);
    };
    video.requestVideoFrameCallback(frame);
  });
}"""
WATCH_SECONDS = 28  # the player reports 3 s after it starts, then every 12 s: three reports
# How far the player's figure may be from glass to glass at the same moment. The player dates a frame by when
# its fragment reached nginx (the file's close time less its duration), so it cannot see what happens before:
# ffmpeg's encoder and its muxer waiting to interleave video with audio, and the RTMP hop on loopback — 0.35 to
# 0.45 s in this test's runs. So its figure is lower, by up to a second with room for a loaded machine; it may
# be higher only by what the two measures do not share: the clock offset's half round trip on loopback and
# the report's moment against the frames around it, a few tens of ms. A fragment's worth (1 s) of error either
# way (a fragment dated at its close, or a whole fragment before its first frame) falls outside.
BELOW_MS, ABOVE_MS = 1_000, 300


async def test_glass_to_glass_latency(plane: Plane) -> None:
    p = plane
    zero = time.time_ns() // 1_000_000 - 1_000
    encoder = await _push(p, p.key, "clock", video=_clock_source(zero))
    async with httpx.AsyncClient(base_url=p.base, timeout=5) as client:
        session = (await _until("the session to go live", lambda: _live(client)))[0]
        frames, reports = await _watch_the_clock(p, session["id"])
        assert encoder.returncode is None, "the encoder should still be publishing"
        console_median = await _console_median(client, session["id"])

    # Frames were read, several and in order.
    read = [(shown, value) for shown, value in frames if value is not None]
    assert len(frames) >= 100 and len(read) >= 0.9 * len(frames), (len(read), len(frames))
    values = [value for _, value in read]
    assert values == sorted(values) and values[-1] - values[0] >= 10_000, values[:5]
    glass = sorted(shown - (zero + value) for shown, value in read)
    p10, p50, p90 = (quantiles(glass, n=10)[i] for i in (0, 4, 8))
    assert glass[0] > 0, "a frame cannot be shown before it was made"

    # The console's median is the player's reports'; each report agrees with glass to glass at that moment
    # (the frames shown within half a second of it: the delay moves while a player catches up).
    assert len(reports) >= 2, reports
    reported = [latency for _, latency in reports]
    assert console_median == round(median(reported)), (console_median, reports)
    shown = [(at, at - (zero + value)) for at, value in read]
    apart = [latency - median(g for at, g in shown if abs(at - sent) <= 500) for sent, latency in reports]
    print(f"\nglass to glass: p50 {p50:.0f} ms (p10 {p10:.0f}, p90 {p90:.0f}) over {len(read)} frames; "
          f"player reported {reported} ms, median {median(reported):.0f} ms, console median {console_median} ms; "
          f"each report minus glass to glass then: {[round(x) for x in apart]} ms")
    assert all(-BELOW_MS <= x <= ABOVE_MS for x in apart), apart


async def _watch_the_clock(p: Plane, session_id: int) -> tuple[list[list[Any]], list[tuple[int, int]]]:
    """Watch at phone width: every frame shown (when, what it says), every latency the player reported (when, ms)."""
    errors: list[str] = []
    reports: list[tuple[int, int]] = []

    def sent(request: Any) -> None:
        if request.method == "POST" and request.url.endswith(f"/live/sessions/{session_id}/latency"):
            latency = json.loads(request.post_data or "{}").get("latency_ms")
            if latency is not None:
                reports.append((time.time_ns() // 1_000_000, int(latency)))

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                          locale="en-US")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", sent)
            await page.goto(f"{p.base}/live/{session_id}/watch")
            await page.wait_for_function("document.getElementById('live-video').currentTime > 1.0", timeout=15_000)
            frames = await page.evaluate(READ_FRAMES, [WATCH_SECONDS * 1000, CLOCK_BITS, BLOCK])
            await page.screenshot(path=str(p.tmp / "clock.png"))
        finally:
            await browser.close()
    assert errors == [], errors
    return frames, reports


async def _console_median(client: httpx.AsyncClient, session_id: int) -> int | None:
    """The room's median latency on the host's console, signed in as the host."""
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    r = await client.post("/login", data={"username": "streamer", "password": "password123",
                                          "csrf_token": token.group(1), "next": "/live/console"})
    assert r.status_code == 303, r.text
    cue = await client.get(f"/live/console/{session_id}/cue")
    assert cue.status_code == 200, cue.text
    found = re.search(r'data-viewer-latency-ms="(\d+)"', cue.text)
    return int(found.group(1)) if found else None
