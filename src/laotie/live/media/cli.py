"""`laotie media`: write the media plane's nginx config, start it, stop it."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

from laotie.config import Settings, get_settings

media_app = typer.Typer(help="The media plane: nginx with the RTMP module (RTMP in, HLS out)",
                        no_args_is_help=True)
console = Console(soft_wrap=True)  # paths and URLs stay whole, to copy


def _settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[red]{exc}[/]", highlight=False)
    return typer.Exit(1)


@media_app.command("config")
def config() -> None:
    """Write nginx.conf under the media prefix and print its path."""
    from laotie.live.media import plane as media  # imported here, like the other commands: `laotie --help` stays quick

    try:
        path = media.write_config(_settings())
    except media.MediaPlaneError as exc:
        raise _fail(exc) from None
    print(path)


@media_app.command("up")
def up(foreground: Annotated[bool, typer.Option(
        help="run nginx in the foreground (under systemd or a supervisor) instead of as a daemon")] = False,
       ) -> None:
    """Write the config and start nginx (or reload it when running); wait until RTMP accepts."""
    from laotie.live.media import plane as media

    settings = _settings()
    try:
        if foreground:
            media.write_config(settings)
            cmd = media.nginx_command(settings, "-g", "daemon off;")
            os.execv(cmd[0], cmd)  # noqa: S606 - our own nginx binary and arguments
        pid = media.start(settings)
    except media.MediaPlaneError as exc:
        raise _fail(exc) from None
    lay = media.Layout.of(settings)
    console.print(f"[green]media plane up[/] (nginx pid {pid}): RTMP rtmp://{settings.rtmp_bind}:"
                  f"{settings.rtmp_port}/{media.INGEST_APP} · HLS in {lay.hls} · callbacks to "
                  f"{settings.callback_base_url}", highlight=False)


@media_app.command("down")
def down() -> None:
    """Stop the media plane started under this prefix (through its pid file)."""
    from laotie.live.media import plane as media

    if media.stop(_settings()):
        console.print("[green]media plane stopped[/]")
    else:
        console.print("media plane was not running")
