"""Alembic environment: runs migrations on the async engine laotie itself uses."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.ext.asyncio import AsyncEngine

from laotie.config import Settings
from laotie.kit.db import make_engine
from laotie.models import Base

target_metadata = Base.metadata


def _do_run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.run_sync(_do_run)
        await conn.commit()
    await engine.dispose()


def run() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _do_run(connection)
        return
    engine = make_engine(Settings(database_url=str(url)))
    asyncio.run(_run_async(engine))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `laotie db upgrade`")
run()
