"""The API docs page: Swagger UI from laotie's own static files, so it renders with no internet."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Route, expect

from tests.serving import serve
from tests.support import Api
from tests.web.phone import phones
from tests.web.seed import fresh_database


async def test_docs_page_loads_its_assets_from_laotie(api: Api) -> None:
    r = await api.client.get("/api/docs")
    assert r.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    assert "/static/vendor/swagger-ui/swagger-ui.css" in assets
    assert [a for a in assets if "//" in a] == []
    for asset in assets:
        if asset.startswith("/static/"):
            assert (await api.client.get(asset)).status_code == 200, asset


@pytest.fixture
async def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    url, _ = await fresh_database(tmp_path, monkeypatch)
    async with serve(tmp_path, url) as served:
        yield served


@pytest.mark.browser
async def test_docs_render_offline(base: str) -> None:
    outside: list[str] = []

    async def offline(route: Route) -> None:
        if route.request.url.startswith(base) or route.request.url.startswith("data:"):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort("internetdisconnected")

    async with phones(base) as ph:
        page = await ph.page()
        await page.route("**/*", offline)
        await page.goto("/api/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("laotie")
        await expect(page.locator(".opblock").first).to_be_visible()
        assert outside == []
        assert ph.errors == []
