"""Test harness: every database is built by the real Alembic migrations.

SQLite tests copy a database migrated once per session (fast, and still the
migrations' output). PostgreSQL tests run when LAOTIE_TEST_POSTGRES_URL is set,
and must run under CI=true.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from laotie.app import create_app
from laotie.config import Settings
from laotie.kit.migrate import upgrade
from tests.support import ENGLISH, Api

CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("LAOTIE_TEST_POSTGRES_URL") or (
    "postgresql+asyncpg://root@127.0.0.1:5432/test" if CI else "")


def make_settings(tmp: Path, url: str, **overrides: object) -> Settings:
    values: dict[str, object] = dict(
        database_url=url, data_dir=tmp, media_dir=tmp / "media", secret_key="test-secret",
        argon2_time_cost=1, argon2_memory_kib=64, jobs_enabled=False, sqlite_synchronous="NORMAL",
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


# LAOTIE_TEST_BACKEND=postgres runs every single-database test on PostgreSQL instead.
@pytest.fixture(params=[os.environ.get("LAOTIE_TEST_BACKEND", "sqlite")])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def settings(backend: str, tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[Settings]:
    if backend == "postgres":
        if not PG_URL:
            pytest.skip("PostgreSQL tests need LAOTIE_TEST_POSTGRES_URL (CI sets it)")
        await reset_postgres(PG_URL)
        import asyncio

        await asyncio.to_thread(upgrade, PG_URL)
        yield make_settings(tmp_path, PG_URL, db_pool_size=10)
    else:
        db = tmp_path / "laotie.db"
        shutil.copy(migrated_sqlite, db)
        yield make_settings(tmp_path, f"sqlite+aiosqlite:///{db}")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(app: object) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://laotie.test", headers=ENGLISH) as client:
        yield Api(client, app)


