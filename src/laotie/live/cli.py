"""`laotie live …`: processes that serve live rooms outside the web server."""

from __future__ import annotations

import asyncio
import contextlib

import typer
from rich.console import Console

from laotie.config import get_settings

app = typer.Typer(help="Live rooms", no_args_is_help=True)
console = Console()


@app.command("persist")
def persist() -> None:
    """Write flash purchases accepted in Redis as orders (Redis mode), until stopped.

    Run one or more next to the web processes when LAOTIE_FLASH_PERSISTER=external; each
    joins the same consumer group, and entries of a persister that died are claimed by the
    others after a few seconds.
    """
    from laotie.app import _register_domains
    from laotie.kit.db import Database
    from laotie.live.sale.redis_gate import RedisFlash

    get_settings.cache_clear()
    settings = get_settings()
    if not settings.redis_url:
        console.print("[red]LAOTIE_REDIS_URL is not set: flash purchases are written by the web process[/]")
        raise typer.Exit(2)

    async def run() -> None:
        _register_domains()
        db = Database.connect(settings)
        gate = RedisFlash(db, settings.redis_url)
        console.print(f"persisting flash orders as {gate.consumer}")
        try:
            await gate.run_persister()
        finally:
            await gate.close()
            await db.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
