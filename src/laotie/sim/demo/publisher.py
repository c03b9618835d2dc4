"""The demo rooms' encoders: the ffmpeg command that streams a generated clip, and its life as a child process."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ipaddress
import signal
import sys
from pathlib import Path

from laotie.config import Settings
from laotie.live.media import plane

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def command(settings: Settings, colours: tuple[str, str, str], tone: int, key: str, texts: Path | None) -> list[str]:
    """ffmpeg streaming the room's generated clip to its stream key, in real time.

    360x640 portrait at 15 fps, a keyframe every second (nginx-rtmp cuts HLS fragments only at
    keyframes, and the media plane's fragments are one second), ultrafast and ~400 kbit/s:
    a small fraction of one core per room. `texts` holds the drawtext files (None: no text,
    for an ffmpeg built without drawtext).
    """
    c0, c1, c2 = colours
    video = f"gradients=size=360x640:rate=15:c0={c0}:c1={c1}:c2={c2}:nb_colors=3:speed=0.015:type=radial"
    filters = ["drawbox=x=0:y=ih*0.13:w=iw:h=ih*0.25:color=black@0.3:t=fill"]
    if texts is not None:
        font = f"fontfile={CJK_FONT}" if CJK_FONT.is_file() else "font=Sans"
        filters += [
            f"drawtext={font}:textfile={texts / 'title.txt'}:expansion=none:fontsize=24:fontcolor=white"
            ":x=(w-tw)/2:y=h*0.15:line_spacing=8",
            f"drawtext={font}:textfile={texts / 'clock.txt'}:fontsize=60:fontcolor=white:x=(w-tw)/2:y=h*0.26",
        ]
    bind = ipaddress.IPv4Address(settings.rtmp_bind)
    peer = "127.0.0.1" if bind.is_unspecified or bind.is_loopback else str(bind)
    return [
        settings.ffmpeg_binary, "-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
        "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=44100",
        "-vf", ",".join(filters), "-af", "volume=0.08",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
        "-g", "15", "-keyint_min", "15", "-sc_threshold", "0", "-b:v", "400k", "-maxrate", "500k", "-bufsize", "800k",
        "-c:a", "aac", "-b:a", "48k", "-ac", "1",
        "-f", "flv", f"rtmp://{peer}:{settings.rtmp_port}/{plane.INGEST_APP}/{key}",
    ]


def write_texts(folder: Path, title: str, shop_name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "title.txt").write_text(f"{title}\n{shop_name}", encoding="utf-8")
    # drawtext expands this every frame: the time of day, so the picture shows it is live.
    (folder / "clock.txt").write_text("%{localtime:%H\\:%M\\:%S}", encoding="utf-8")
    return folder


# Loaded here, in the parent: between fork and exec the child should only make the call.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """A demo killed outright (SIGKILL) takes its encoders with it, instead of leaving them streaming."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


async def has_drawtext(binary: str) -> bool:
    proc = await asyncio.create_subprocess_exec(binary, "-hide_banner", "-filters", stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.DEVNULL)
    out, _err = await proc.communicate()
    return b" drawtext " in out


async def stop(proc: asyncio.subprocess.Process) -> None:
    """SIGINT lets ffmpeg close the RTMP stream cleanly; SIGKILL if it will not go."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), timeout=5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
