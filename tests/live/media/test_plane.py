"""The media plane's config, and what cutting a stream does when nginx is down or hung (no nginx needed).

The real thing — nginx, ffmpeg, Chromium — is in test_media_e2e.py.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from laotie.app import create_app
from laotie.cli import app as cli
from laotie.live.media import plane as media
from laotie.live.media.endpoints import callback_token
from laotie.models import EventDelivery, OutboxEvent
from tests.conftest import make_settings
from tests.serving import free_port
from tests.support import ENGLISH, Api


def test_config_renames_into_a_loopback_hls_app(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite+aiosqlite:///x.db", media_prefix=tmp_path / "plane",
                             callback_base_url="http://10.0.0.5:8000/", rtmp_port=1936, hls_http_port=8090)
    conf = media.render_config(settings)
    token = callback_token(settings.secret("media-hooks"))
    prefix = (tmp_path / "plane").resolve()
    for line in [
        "load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;",
        f"pid {prefix}/nginx.pid;",
        f"error_log {prefix}/logs/error.log notice;",
        "listen 127.0.0.1:1936;",
        f"on_publish http://10.0.0.5:8000/media/hooks/publish?token={token};",
        f"on_publish_done http://10.0.0.5:8000/media/hooks/publish_done?token={token};",
        "notify_method post;",
        "push rtmp://127.0.0.1:1936/hls;",
        "allow publish 127.0.0.1;",
        "deny publish all;",
        f"hls_path {prefix}/hls;",
        f"client_body_temp_path {prefix}/temp/body;",
        "listen 127.0.0.1:8090;",
        "location /control { rtmp_control all; }",
    ]:
        assert line in conf, line
    assert conf.count("deny play all;") == 2  # neither application can be played over RTMP
    assert "access_log off;" in conf.split("http {")[0]  # the RTMP access log would name the key

    path = media.write_config(settings)
    assert path == prefix / "nginx.conf" and path.read_text() == conf
    assert path.stat().st_mode & 0o077 == 0  # it holds the callback token
    assert (prefix / "hls").is_dir() and (prefix / "logs").is_dir()


def test_config_public_bind_pushes_over_loopback(tmp_path: Path) -> None:
    conf = media.render_config(make_settings(tmp_path, "sqlite+aiosqlite:///x.db", rtmp_bind="0.0.0.0",
                                             media_prefix=tmp_path / "plane"))
    assert "listen 0.0.0.0:1935;" in conf and "push rtmp://127.0.0.1:1935/hls;" in conf


@pytest.mark.parametrize(("overrides", "message"), [
    ({"callback_base_url": "https://laotie.example"}, "must be an http:// URL"),
    ({"rtmp_bind": "localhost"}, "must be an IPv4 address"),
    ({"media_prefix": Path("media/plane")}, "must not be inside LAOTIE_MEDIA_DIR"),
])
def test_config_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overrides: dict[str, object],
                         message: str) -> None:
    monkeypatch.chdir(tmp_path)
    settings = make_settings(tmp_path, "sqlite+aiosqlite:///x.db", media_dir=tmp_path / "media",
                             media_prefix=tmp_path / "plane")
    with pytest.raises(media.MediaPlaneError, match=message):
        media.write_config(settings.model_copy(update=overrides))
    assert not (tmp_path / "plane").exists() and not (tmp_path / "media" / "plane").exists()


def test_cli_config_and_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAOTIE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("LAOTIE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LAOTIE_MEDIA_PREFIX", str(tmp_path / "plane"))
    runner = CliRunner()
    r = runner.invoke(cli, ["media", "config"])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == str((tmp_path / "plane" / "nginx.conf").resolve())
    r = runner.invoke(cli, ["media", "down"])
    assert (r.exit_code, r.output.strip()) == (0, "media plane was not running")
    monkeypatch.setenv("LAOTIE_CALLBACK_BASE_URL", "https://laotie.example")
    r = runner.invoke(cli, ["media", "up"])
    assert r.exit_code == 1 and "must be an http:// URL" in r.output


def test_missing_nginx_is_named(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite+aiosqlite:///x.db", nginx_binary="/nonexistent/nginx")
    with pytest.raises(media.MediaPlaneError, match="apt-get install nginx libnginx-mod-rtmp"):
        media.nginx_binary(settings)


@pytest.fixture
def hung_port() -> Iterator[int]:
    """A port that accepts connections and never answers: a media plane that is there but stuck."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


@asynccontextmanager
async def _api(tmp_path: Path, migrated_sqlite: Path, control_port: int) -> AsyncIterator[Api]:
    shutil.copy(migrated_sqlite, tmp_path / "m.db")
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", hls_http_port=control_port)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://laotie.test", headers=ENGLISH) as c:
        yield Api(c, app)


async def _end_live_session(api: Api, how: str) -> OutboxEvent:
    host = await api.user("creator")
    key = (await api.call("POST", "/api/v1/live/keys", host, expect=201)).json()["stream_key"]
    token = callback_token(api.db.settings.secret("media-hooks"))
    r = await api.client.post(f"/media/hooks/publish?token={token}", data={"call": "publish", "name": key})
    assert r.status_code == 302
    session_id = (await api.call("GET", "/api/v1/live/sessions?status=live", expect=200)).json()[0]["id"]
    if how == "cut":
        await api.call("POST", f"/api/v1/live/sessions/{session_id}/cut", await api.operator(), expect=200,
                       json={"reason": "abuse"})
    else:
        await api.call("POST", f"/api/v1/live/sessions/{session_id}/end", host, expect=200)
    await api.settle()
    async with api.db.transaction() as s:
        return (await s.execute(select(OutboxEvent).where(OutboxEvent.name == "live.ended"))).scalar_one()


async def _delivered(api: Api, event: OutboxEvent) -> set[str]:
    async with api.db.transaction() as s:
        rows = await s.execute(select(EventDelivery.handler).where(EventDelivery.event_id == event.id))
        return set(rows.scalars())


@pytest.mark.parametrize("how", ["cut", "end"])
async def test_ending_with_no_media_plane_is_done_at_once(tmp_path: Path, migrated_sqlite: Path, how: str) -> None:
    async with _api(tmp_path, migrated_sqlite, free_port()) as api:  # nothing listens there
        event = await _end_live_session(api, how)
        # Nothing to drop: the event is done, not retried for as long as nginx is down.
        assert (event.dispatched_at is not None, event.attempts, event.last_error) == (True, 0, None)
        assert "media.drop_publisher" in await _delivered(api, event)


async def test_cut_with_a_hung_media_plane_is_retried(tmp_path: Path, migrated_sqlite: Path, hung_port: int) -> None:
    async with _api(tmp_path, migrated_sqlite, hung_port) as api:
        event = await _end_live_session(api, "cut")
        # nginx is there but did not confirm: the cut is retried (a bounded number of times),
        # while the room's own announcement went out once.
        # (>= 1: the server's own dispatcher may have tried too, woken by the commit.)
        assert event.dispatched_at is None and event.attempts >= 1
        assert event.last_error is not None and event.last_error.startswith("media.drop_publisher")
        delivered = await _delivered(api, event)
        assert "live.announce:live.ended" in delivered and "media.drop_publisher" not in delivered


async def test_playlists_are_404_before_the_media_plane_has_run(api) -> None:
    assert not (api.db.settings.media_prefix / "hls").exists()
    r = await api.client.get("/hls/nothing-yet.m3u8")
    assert r.status_code == 404
