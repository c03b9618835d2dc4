"""The media plane: nginx with the RTMP module, configured and run by laotie under its own prefix.

Encoders (OBS, ffmpeg) publish RTMP to the `live` application with their secret
stream key as the stream name. nginx asks laotie (`on_publish`, see
media_endpoints.py); laotie answers with a redirect to the session's public
playback name, which renames the stream inside nginx before it is pushed on or
packaged. The renamed stream is pushed to the loopback-only `hls` application, which
writes `<prefix>/hls/<playback_name>.m3u8` and its fragments; laotie serves that
folder at `/hls/`. So the secret key never becomes a file name or a URL.

Verified with Debian 12's nginx 1.22.1 and libnginx-mod-rtmp 1.2.2 (tests/live/test_media_e2e.py):
the rename carries into `push`. nginx-rtmp chains its publish handlers, and the notify
module (on_publish) runs ahead of the relay (push) and HLS modules: it holds the publish
until laotie answers, then passes the renamed stream on, so /stat, the HLS files and
on_publish_done all see the playback name. The RTMP access-log module runs ahead of
notify and would record the key, so it is off.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote, urlsplit

import anyio.to_thread
import httpx
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

from laotie.config import Settings
from laotie.live.media.endpoints import callback_token
from laotie.live.media.playlist import with_program_date_time

INGEST_APP = "live"
HLS_APP = "hls"


class MediaPlaneError(Exception):
    """The media plane cannot be configured, started or stopped; the message says what to do."""


@dataclass(frozen=True)
class Layout:
    """Where the media plane keeps its files; every path nginx writes is inside the prefix."""

    prefix: Path

    @classmethod
    def of(cls, settings: Settings) -> Layout:
        # nginx resolves relative paths against its own prefix, not laotie's working directory.
        return cls(settings.media_prefix.resolve())

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def pid_file(self) -> Path:
        return self.prefix / "nginx.pid"

    @property
    def logs(self) -> Path:
        return self.prefix / "logs"

    @property
    def error_log(self) -> Path:
        return self.logs / "error.log"

    @property
    def temp(self) -> Path:
        return self.prefix / "temp"

    @property
    def hls(self) -> Path:
        return self.prefix / "hls"


def _loopback_peer(bind: str) -> str:
    """The address laotie and nginx itself use to reach the RTMP listener."""
    addr = ipaddress.IPv4Address(bind)
    return "127.0.0.1" if addr.is_unspecified or addr.is_loopback else bind


def _check_settings(settings: Settings) -> None:
    try:
        ipaddress.IPv4Address(settings.rtmp_bind)
    except ValueError:
        raise MediaPlaneError(f"LAOTIE_RTMP_BIND must be an IPv4 address, got {settings.rtmp_bind!r}") from None
    prefix, public = settings.media_prefix.resolve(), settings.media_dir.resolve()
    if prefix == public or prefix.is_relative_to(public):
        # laotie serves media_dir at /media: it would publish nginx.conf and its callback token.
        raise MediaPlaneError(f"LAOTIE_MEDIA_PREFIX ({prefix}) must not be inside LAOTIE_MEDIA_DIR ({public})")
    url = urlsplit(settings.callback_base_url)
    # nginx-rtmp's notify module speaks plain HTTP only.
    if url.scheme != "http" or not url.hostname:
        raise MediaPlaneError("LAOTIE_CALLBACK_BASE_URL must be an http:// URL nginx can reach "
                              f"(nginx-rtmp cannot call https), got {settings.callback_base_url!r}")


def render_config(settings: Settings) -> str:
    """nginx.conf for the media plane: RTMP ingest → rename → HLS, plus the control and stat API."""
    _check_settings(settings)
    lay = Layout.of(settings)
    token = callback_token(settings.secret("media-hooks"))
    hooks = settings.callback_base_url.rstrip("/") + "/media/hooks"
    peer = _loopback_peer(settings.rtmp_bind)
    user = f"user {settings.media_user};\n" if settings.media_user else _root_user()
    return f"""\
# Written by `laotie media config`; laotie rewrites it on every `laotie media up`.
load_module {settings.rtmp_module};
{user}# One worker: the control API (drop a publisher) and /stat only see their own worker's streams.
worker_processes 1;
pid {lay.pid_file};
error_log {lay.error_log} notice;
lock_file {lay.prefix / "nginx.lock"};

events {{
    worker_connections 1024;
}}

rtmp {{
    # No access log: it would record the stream name an encoder connects with, the secret key.
    access_log off;
    server {{
        listen {settings.rtmp_bind}:{settings.rtmp_port};
        chunk_size 4096;
        notify_method post;

        # Ingest: the stream name is the secret key until on_publish renames it.
        application {INGEST_APP} {{
            live on;
            record off;
            # Viewers watch HLS; nobody plays RTMP, so no second, unmanaged way to watch.
            deny play all;
            # An encoder that connects and sends nothing holds the name; let it go.
            drop_idle_publisher 10s;
            on_publish {hooks}/publish?token={token};
            on_publish_done {hooks}/publish_done?token={token};
            push rtmp://{peer}:{settings.rtmp_port}/{HLS_APP};
        }}

        # Packaging: only the push above may publish here; nobody plays.
        application {HLS_APP} {{
            live on;
            record off;
            allow publish {peer};
            deny publish all;
            deny play all;
            hls on;
            hls_path {lay.hls};
            # One-second fragments (encoders send a keyframe every second) and a short
            # playlist: a player starts within a couple of seconds of the live edge.
            hls_fragment 1s;
            hls_playlist_length 6s;
            hls_cleanup on;
        }}
    }}
}}

http {{
    access_log off;
    default_type application/octet-stream;
    client_body_temp_path {lay.temp / "body"};
    proxy_temp_path {lay.temp / "proxy"};
    fastcgi_temp_path {lay.temp / "fastcgi"};
    uwsgi_temp_path {lay.temp / "uwsgi"};
    scgi_temp_path {lay.temp / "scgi"};

    # Loopback only: the control API can drop any stream.
    server {{
        listen 127.0.0.1:{settings.hls_http_port};
        location /control {{ rtmp_control all; }}
        location /stat {{ rtmp_stat all; }}
        location / {{ return 404; }}
    }}
}}
"""


def _root_user() -> str:
    """As root, nginx's workers would become `nobody`, who cannot write into the prefix.

    Keep them the starting user instead (the prefix is theirs); set LAOTIE_MEDIA_USER to a
    less privileged account that owns the prefix to drop privileges in production.
    """
    if os.geteuid() != 0:
        return ""  # an unprivileged nginx cannot switch users; the directive would only warn
    import grp
    import pwd

    entry = pwd.getpwuid(os.geteuid())
    return f"user {entry.pw_name} {grp.getgrgid(entry.pw_gid).gr_name};\n"


def write_config(settings: Settings) -> Path:
    """Create the prefix and write nginx.conf (owner-only: it holds the callback token)."""
    lay = Layout.of(settings)
    text = render_config(settings)
    for folder in (lay.prefix, lay.logs, lay.temp, lay.hls):
        folder.mkdir(parents=True, exist_ok=True)
    tmp = lay.conf.with_suffix(".conf.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    tmp.replace(lay.conf)
    return lay.conf


def nginx_binary(settings: Settings) -> str:
    """The nginx executable, or a clear error naming the packages to install."""
    found = shutil.which(settings.nginx_binary)
    if found is None and settings.nginx_binary == "nginx":
        # Debian puts nginx in /usr/sbin, which is not on an ordinary user's PATH.
        found = shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise MediaPlaneError(f"nginx not found ({settings.nginx_binary!r}); install it: "
                              "apt-get install nginx libnginx-mod-rtmp (or set LAOTIE_NGINX_BINARY)")
    if not Path(settings.rtmp_module).is_file():
        raise MediaPlaneError(f"the nginx RTMP module is missing at {settings.rtmp_module}; install it: "
                              "apt-get install libnginx-mod-rtmp (or set LAOTIE_RTMP_MODULE)")
    return found


def nginx_command(settings: Settings, *extra: str) -> list[str]:
    lay = Layout.of(settings)
    # -e: without it nginx opens its compiled-in error log (Debian: stderr, elsewhere /var/log)
    # before it has read the config.
    return [nginx_binary(settings), "-p", f"{lay.prefix}/", "-c", str(lay.conf), "-e", str(lay.error_log), *extra]


def _run_nginx(settings: Settings, *extra: str, timeout: float = 15.0) -> str:
    """Run nginx once (test, start a daemon, signal); its output goes to a file, returned on failure.

    A file rather than a pipe: a daemonised master could hold a pipe open and hang the wait.
    """
    lay = Layout.of(settings)
    out_path = lay.logs / "nginx.out"
    with out_path.open("wb") as out:
        proc = subprocess.run(nginx_command(settings, *extra), stdin=subprocess.DEVNULL, stdout=out,  # noqa: S603
                              stderr=subprocess.STDOUT, timeout=timeout, check=False)
    output = out_path.read_text(errors="replace").strip()
    if proc.returncode != 0:
        raise MediaPlaneError(f"nginx {' '.join(extra) or 'start'} failed (exit {proc.returncode}):\n{output}\n"
                              f"see {lay.error_log}")
    return output


def running_pid(settings: Settings) -> int | None:
    """The master's pid when the media plane under this prefix is running."""
    lay = Layout.of(settings)
    try:
        pid = int(lay.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not _alive(pid):
        return None
    # A stale pid file may name a pid reused by another program: signal only our own nginx
    # (its process title names its config). Without /proc there is nothing to check.
    with contextlib.suppress(OSError):
        if str(lay.conf).encode() not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return None
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; its parent (init, or a container's pid 1) has not reaped it yet.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def rtmp_accepts(settings: Settings, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((_loopback_peer(settings.rtmp_bind), settings.rtmp_port), timeout=timeout):
            return True
    except OSError:
        return False


def start(settings: Settings, *, wait_seconds: float = 10.0) -> int:
    """Write the config and start nginx as a daemon (or reload it when running); wait for RTMP.

    Returns the master's pid.
    """
    write_config(settings)
    lay = Layout.of(settings)
    pid = running_pid(settings)
    if pid is not None:
        _run_nginx(settings, "-t")  # a bad config must not reach a running server
        os.kill(pid, signal.SIGHUP)
    else:
        lay.pid_file.unlink(missing_ok=True)  # stale: its process is gone
        _run_nginx(settings)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        pid = running_pid(settings)
        if pid is not None and rtmp_accepts(settings):
            return pid
        time.sleep(0.05)
    tail = lay.error_log.read_text(errors="replace")[-2000:] if lay.error_log.is_file() else ""
    raise MediaPlaneError(f"nginx did not accept RTMP on {settings.rtmp_bind}:{settings.rtmp_port} "
                          f"within {wait_seconds:.0f} s; {lay.error_log}:\n{tail}")


def stop(settings: Settings, *, wait_seconds: float = 10.0) -> bool:
    """Stop the media plane through its pid file; False when it was not running.

    SIGTERM, not a graceful SIGQUIT: a graceful nginx-rtmp waits for every encoder to
    hang up, which a live stream never does. Encoders reconnect when it comes back.
    """
    pid = running_pid(settings)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return True


def control_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.hls_http_port}/control"


async def drop_publisher(settings: Settings, name: str, *, app: str = INGEST_APP,
                         seconds: float = 2.0) -> int:
    """Disconnect the encoder publishing `name`; returns how many connections nginx dropped.

    Raises httpx.ConnectError when the media plane is not running (nothing listens).
    """
    url = f"{control_url(settings)}/drop/publisher?app={quote(app)}&name={quote(name)}"
    async with httpx.AsyncClient(timeout=seconds) as client:
        r = await client.get(url)
    r.raise_for_status()
    text = r.text.strip()
    return int(text) if text.isdigit() else 0



class HlsFiles(StaticFiles):
    """Serves the media plane's HLS folder: right types for every player, playlists never cached.

    The playlist changes every second, so a cache (a browser's heuristics, a CDN) must
    revalidate it each time; fragments never change once written. The system's MIME table
    does not know `.ts` as video (Debian maps it to Qt translations). Each playlist is served
    with the wall-clock time of its segments (live/media/playlist.py), rebuilt only when
    nginx rewrites it: every viewer asks for it about once a second, nginx writes it once
    per fragment.
    """

    TYPES: ClassVar[dict[str, str]] = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}
    # One entry per playlist being watched; more than this many live streams at once only costs rebuilds.
    MAX_CACHED = 512

    def __init__(self, *, directory: PathLike | None = None, check_dir: bool = True) -> None:
        super().__init__(directory=directory, check_dir=check_dir)
        self._dated: dict[str, tuple[int, int, bytes]] = {}  # path → (mtime ns, size, dated playlist)

    async def check_config(self) -> None:
        """Until the media plane has written its folder there is simply nothing to play: 404, not 500."""
        if self.directory is not None and await anyio.to_thread.run_sync(os.path.isdir, self.directory):
            await super().check_config()

    def file_response(self, full_path: PathLike, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        suffix = Path(full_path).suffix
        if suffix == ".m3u8" and status_code == 200:
            response = self._dated_playlist(Path(full_path), stat_result, scope)
        else:
            response = super().file_response(full_path, stat_result, scope, status_code)
        if suffix in self.TYPES:
            response.headers["content-type"] = self.TYPES[suffix]
        response.headers["cache-control"] = "no-cache" if suffix == ".m3u8" else "max-age=60"
        return response

    def _dated_playlist(self, path: Path, stat_result: os.stat_result, scope: Scope) -> Response:
        """The playlist with #EXT-X-PROGRAM-DATE-TIME added, from the cache while nginx has not rewritten it.

        Synchronous file access on the event loop, as StaticFiles' own stat: a playlist is a few
        hundred bytes and its segments' stats are a handful, done once per rewrite.
        """
        key = str(path)
        mtime, size = stat_result.st_mtime_ns, stat_result.st_size
        cached = self._dated.get(key)
        if cached is not None and cached[:2] == (mtime, size):
            body = cached[2]
        else:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:  # replaced or removed since the stat: serve it as the file server would
                return super().file_response(path, stat_result, scope)
            body = with_program_date_time(text, lambda uri: _closed_at(path.parent, uri)).encode()
            if key not in self._dated and len(self._dated) >= self.MAX_CACHED:
                del self._dated[next(iter(self._dated))]  # the oldest entry
            self._dated[key] = (mtime, size, body)
        headers = {"etag": f'"{mtime:x}-{size:x}-pdt"', "last-modified": formatdate(stat_result.st_mtime, usegmt=True)}
        if self.is_not_modified(Headers(headers=headers), Headers(scope=scope)):
            return Response(status_code=304, headers=headers)
        return Response(body, headers=headers)


def _closed_at(folder: Path, uri: str) -> float | None:
    """A segment's modification time, for a plain file name beside the playlist only."""
    if not uri or "/" in uri or "\\" in uri or uri.startswith(".") or "?" in uri:
        return None
    try:
        return os.stat(folder / uri).st_mtime
    except OSError:  # cleaned up already
        return None
