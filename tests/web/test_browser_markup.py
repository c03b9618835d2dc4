"""Markup rules every page relies on, checked in Chromium: `hidden` hides, and form patterns compile."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from laotie.kit.db import Database
from tests.serving import serve
from tests.web.phone import phones
from tests.web.seed import account, fresh_database

pytestmark = pytest.mark.browser

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "laotie" / "web" / "templates"
PATTERN = re.compile(r'\spattern="([^"]*)"')


@pytest.fixture
async def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            await account(s, settings, "quiet_reader")
    finally:
        await db.dispose()
    async with serve(tmp_path, url) as served:
        yield served


async def test_hidden_elements_stay_hidden_whatever_their_class(base: str) -> None:
    async with phones(base) as ph:
        page = await ph.signed_in("quiet_reader")
        for path in ("/", "/discover", "/me"):
            await page.goto(path)
            # Nothing unread: the inbox dot is not shown, though `.dot` sets a display of its own.
            await expect(page.locator("#inbox-dot")).to_be_hidden()
            shown = await page.evaluate("""() => [...document.querySelectorAll("[hidden]")]
                .filter((el) => getComputedStyle(el).display !== "none")
                .map((el) => el.outerHTML.slice(0, 80))""")
            assert shown == [], f"{path}: {shown}"
        assert ph.errors == []


def template_patterns() -> list[tuple[str, str]]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for raw in PATTERN.findall(path.read_text()):
            found.append((str(path.relative_to(TEMPLATES)), html.unescape(raw)))
    return found


def test_templates_have_patterns_to_check() -> None:
    assert any(name.endswith("_ship_form.html") for name, _ in template_patterns())


async def test_every_template_pattern_compiles_with_the_v_flag(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    await fresh_database(tmp_path, monkeypatch)  # skips (or fails in CI) without Chromium
    patterns = template_patterns()
    async with phones("http://127.0.0.1") as ph:
        page = await ph.page()
        # Browsers check `pattern` as `^(?:p)$` with the v flag and skip it silently if it fails to compile.
        broken = await page.evaluate("""(patterns) => patterns.filter(([, p]) => {
            try { new RegExp(`^(?:${p})$`, "v"); return false; } catch { return true; }
        })""", [list(p) for p in patterns])
    assert broken == []
