"""The `laotie` command: database, server, ledger check, users, jobs and the demo."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from laotie.config import Settings, get_settings
from laotie.live.cli import app as live_app
from laotie.live.media.cli import media_app

app = typer.Typer(help="laotie: live-stream trust-commerce platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger", no_args_is_help=True)
users_app = typer.Typer(help="Accounts", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.add_typer(users_app, name="users")
app.add_typer(jobs_app, name="jobs")
app.add_typer(media_app, name="media")
app.add_typer(live_app, name="live")
console = Console()


def _settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database (Alembic); the only way tables are made."""
    from laotie.kit.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    console.print(f"[green]database at {revision}[/]: {settings.database_url}")


def _serve(settings: Settings, host: str, port: int, workers: int, app: object = None) -> None:
    """Run uvicorn: the app factory, or an app already made (one process; the demo's, with its live rooms)."""
    import uvicorn

    if settings.is_sqlite and workers > 1:
        console.print("[yellow]SQLite has one writer: serving with one worker[/]")
        workers = 1
    uvicorn.run(app or "laotie.app:create_app", factory=app is None, host=host, port=port,  # type: ignore[arg-type]
                workers=workers if app is None else None, log_level="info", proxy_headers=True)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: Annotated[int, typer.Option(help="processes (PostgreSQL only)")] = 1) -> None:
    """Serve the pages and the API."""
    _serve(_settings(), host, port, workers)


@ledger_app.command("check")
def ledger_check() -> None:
    """Verify every entry balances and every balance equals the sum of its postings."""
    from laotie.kit.db import Database
    from laotie.ledger import service as ledger

    async def run() -> ledger.CheckReport:
        db = Database.connect(_settings())
        try:
            async with db.transaction() as s:
                return await ledger.check(s)
        finally:
            await db.dispose()

    report = asyncio.run(run())
    table = Table(title="ledger check")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("journal entries", str(report.entries))
    table.add_row("postings", str(report.postings))
    table.add_row("accounts", str(report.accounts))
    table.add_row("unbalanced entries", str(len(report.unbalanced)))
    table.add_row("accounts whose balance drifted", str(len(report.drifted)))
    console.print(table)
    for entry_id, total in report.unbalanced[:20]:
        console.print(f"[red]entry {entry_id} sums to {total}[/]")
    for code, cached, actual in report.drifted[:20]:
        console.print(f"[red]{code}: balance {cached} but postings sum to {actual}[/]")
    if not report.ok:
        console.print("[red bold]ledger check FAILED[/]")
        raise typer.Exit(1)
    console.print("[green bold]ledger check passed[/]")


@users_app.command("create")
def users_create(username: str, password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
                 role: Annotated[list[str], typer.Option("--role", help="repeatable")] = ["consumer"],  # noqa: B006
                 ) -> None:
    """Create an account with any roles (operators and providers are made here)."""
    from laotie.identity import service as identity
    from laotie.kit.db import Database

    async def run() -> int:
        settings = _settings()
        db = Database.connect(settings)
        try:
            async with db.transaction() as s:
                user = await identity.register_user(s, settings, username=username, password=password,
                                                    roles=set(role), self_serve=False)
                return user.id
        finally:
            await db.dispose()

    console.print(f"created user #{asyncio.run(run())} {username} with roles {', '.join(role)}")


@jobs_app.command("run")
def jobs_run() -> None:
    """Run every background job once (what the server does on its timer)."""
    from laotie.app import _register_domains
    from laotie.kit.db import Database
    from laotie.kit.events import Dispatcher, bus
    from laotie.kit.jobs import scheduler

    async def run() -> dict[str, int]:
        _register_domains()
        db = Database.connect(_settings())
        try:
            results = await scheduler.run_all(db)
            results["events.dispatch"] = await Dispatcher(db, bus).drain()
            return results
        finally:
            await db.dispose()

    for name, n in asyncio.run(run()).items():
        console.print(f"{name}: {n}")


@jobs_app.command("status")
def jobs_status() -> None:
    """How far event dispatch is behind: events waiting in the outbox and the age of the oldest."""
    from laotie.kit.db import Database
    from laotie.kit.events import OutboxLag, outbox_lag

    async def run() -> OutboxLag:
        db = Database.connect(_settings())
        try:
            async with db.transaction() as s:
                return await outbox_lag(s)
        finally:
            await db.dispose()

    lag = asyncio.run(run())
    oldest = "-" if lag.oldest_seconds is None else f"{lag.oldest_seconds:.1f} s"
    console.print(f"event outbox: {lag.waiting} waiting, oldest {oldest}, {lag.given_up} given up")


@app.command()
def demo(seed: Annotated[int, typer.Option(help="same seed, same world")] = 7,
         host: str = "127.0.0.1", port: int = 8000,
         fresh: Annotated[bool, typer.Option(help="start from an empty database")] = False,
         serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True) -> None:
    """Create the database if needed, seed a deterministic demo world, print logins, serve."""
    from laotie.kit.db import Database
    from laotie.kit.migrate import upgrade
    from laotie.sim.demo.world import DEMO_PASSWORD, DemoSize, progress_total, seed_demo

    settings = _settings()
    if fresh and settings.is_sqlite:
        path = Path(settings.database_url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    upgrade(settings.database_url)
    size = DemoSize()

    async def run() -> object:
        db = Database.connect(settings)
        try:
            async with db.transaction() as s:
                from sqlalchemy import select

                from laotie.models import User

                if (await s.execute(select(User.id).where(User.username == "operator"))).first():
                    return None
            with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console) as progress:
                task = progress.add_task("seeding the demo world", total=progress_total(size))

                def step(label: str, n: int) -> None:
                    progress.update(task, advance=n, description=f"seeding: {label}")

                return await seed_demo(db, seed=seed, size=size, progress=step)
        finally:
            await db.dispose()

    world = asyncio.run(run())
    if world is None:
        console.print("[yellow]demo world already seeded; use --fresh to start over[/]")
    url = f"http://{host}:{port}"
    table = Table(title=f"laotie demo — {url}")
    table.add_column("role")
    table.add_column("login")
    table.add_column("password")
    for role, username in {"operator": "operator", "merchant": "merchant1", "creator": "creator1",
                           "consumer": "consumer1"}.items():
        table.add_row(role, username, DEMO_PASSWORD)
    console.print(table)
    console.print(f"Open [bold]{url}[/] · merchant console {url}/merchant · operator {url}/operator")
    if serve_after:
        from laotie.sim.demo.live import serve_demo

        serve_demo(settings, host, port, console, lambda served, app: _serve(served, host, port, 1, app))


def main() -> None:  # pragma: no cover - console entry
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
