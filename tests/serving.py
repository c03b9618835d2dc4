"""Run laotie for real: a uvicorn subprocess, free ports, Chromium; shared by the browser and media tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(ok: bool, reason: str) -> None:
    """Skip when a system tool is missing; under CI=true, fail: CI must install it."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{reason}; CI must install it", pytrace=False)
    pytest.skip(reason)


def require_media_tools(settings: object, who: str) -> None:
    """nginx with the RTMP module, ffmpeg and Chromium, or a skip (a failure under CI) naming `who` needs them."""
    import shutil

    from laotie.live.media import plane as media

    try:
        media.nginx_binary(settings)  # type: ignore[arg-type]
        ok, reason = True, ""
    except media.MediaPlaneError as exc:
        ok, reason = False, str(exc)
    require(ok, f"{who} need nginx with the RTMP module: {reason}")
    require(shutil.which("ffmpeg") is not None, f"{who} need ffmpeg (apt-get install ffmpeg)")
    require(CHROMIUM.is_file(), f"{who} need Chromium at {CHROMIUM} (apt-get install chromium)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(tmp: Path, url: str, **extra: str) -> dict[str, str]:
    """The environment of a laotie process: this test's database and folders, nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOTIE_")}
    env.update(
        LAOTIE_DATABASE_URL=url, LAOTIE_DATA_DIR=str(tmp), LAOTIE_MEDIA_DIR=str(tmp / "media"),
        LAOTIE_SECRET_KEY="test", LAOTIE_ARGON2_TIME_COST="1", LAOTIE_ARGON2_MEMORY_KIB="64",
        LAOTIE_JOBS_ENABLED="false",
        # No stray laotie.toml from wherever pytest was started.
        LAOTIE_CONFIG=str(tmp / "absent.toml"),
        **extra,
    )
    return env


def tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.is_file() else ""


async def wait_healthy(url: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    async with httpx.AsyncClient(timeout=1.0) as client:
        for _ in range(200):  # ~20 s
            if proc.returncode is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/healthz")).text == "ok":
                    return
            await asyncio.sleep(0.1)
    pytest.fail(f"server did not become healthy:\n{tail(log)}")


async def stop_process(proc: asyncio.subprocess.Process, grace: float = 10) -> None:
    """Terminate, then kill if it will not go; always reaped."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


@contextlib.asynccontextmanager
async def serve(tmp: Path, url: str, **env: str) -> AsyncIterator[str]:
    """laotie under uvicorn in a subprocess on a free port; yields its base URL, prints its log after."""
    port = free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port),
            env=server_env(tmp, url, **env), cwd=tmp, stdout=out, stderr=out,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(base, proc, log)
        yield base
    finally:
        await stop_process(proc)
        print(f"--- server log ({log}) ---\n{tail(log)}")
