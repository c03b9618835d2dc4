"""Live fixtures: a host who is live with a product in the cart; an app in Redis mode."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from laotie.app import create_app
from laotie.live.media.endpoints import callback_token
from tests.conftest import make_settings
from tests.support import ENGLISH, Api, flushed_redis

REDIS_TEST_URL = os.environ.get("LAOTIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@dataclass
class LiveRoom:
    host: str
    session_id: int
    product_id: int
    sku_id: int


async def go_live(api: Api, stock: int = 500) -> LiveRoom:
    op = await api.operator()
    host, product, sku = await api.merchant_with_product(await api.category(op), price=9900, stock=stock)
    key = (await api.call("POST", "/api/v1/live/keys", host, expect=201)).json()["stream_key"]
    token = callback_token(api.db.settings.secret("media-hooks"))
    r = await api.client.post(f"/media/hooks/publish?token={token}", data={"call": "publish", "name": key})
    assert r.status_code == 302
    session = (await api.call("GET", "/api/v1/live/sessions?status=live", expect=200)).json()[0]
    await api.call("POST", f"/api/v1/live/sessions/{session['id']}/cart", host, expect=204,
                   json={"product_id": product})
    return LiveRoom(host, session["id"], product, sku)


@pytest.fixture
async def redis_api(tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[Api]:
    await flushed_redis(REDIS_TEST_URL)
    shutil.copy(migrated_sqlite, tmp_path / "r.db")
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", redis_url=REDIS_TEST_URL)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://laotie.test", headers=ENGLISH) as c:
        yield Api(c, app)
