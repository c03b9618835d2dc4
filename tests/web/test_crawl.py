"""Every page a user can reach, as each role, at phone and desktop width, checked in Chromium.

The crawl signs in as each role (and anonymously), starts at the home page and the role's
console, and follows every same-origin link it finds, one page per kind of address (digits
stand for any id), bounded per role and width. Each page must answer 2xx/3xx, raise no
console error and no failed sub-request, not scroll sideways, never be raw JSON, and pass
axe-core with no violation of impact "serious" or "critical". A sample of pages is crawled
again in Chinese.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.async_api import Browser, Page, async_playwright

from laotie.kit.db import Database
from laotie.sim.demo.world import DEMO_PASSWORD, DemoSize, seed_demo
from tests.serving import CHROMIUM, CHROMIUM_ARGS, serve
from tests.web.seed import fresh_database

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ROLES: dict[str, tuple[str | None, list[str]]] = {
    "anonymous": (None, ["/", "/discover"]),
    "consumer": ("consumer1", ["/", "/me"]),
    "creator": ("creator1", ["/", "/live/console", "/me"]),
    "merchant": ("merchant1", ["/", "/merchant"]),
    "operator": ("operator", ["/", "/operator"]),
}
WIDTHS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
PAGES_PER_CRAWL = 28
CHINESE_SAMPLE = 8
# Not pages: actions, the API, files, and the language switch (crawled separately, in Chinese).
SKIP = ("/logout", "/lang/", "/api/", "/static/", "/media/", "/hls/", "/inbox/stream", "/healthz", "/metrics")
IMPACTS = {"serious", "critical"}


def kind_of(path: str) -> str:
    return re.sub(r"\d+", "N", path)


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    pages: int = 0

    def add(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")


async def _open(browser: Browser, base: str, width: str, username: str | None, locale: str) -> Page:
    ctx = await browser.new_context(base_url=base, locale=locale, **WIDTHS[width])
    ctx.set_default_timeout(15_000)
    if locale.startswith("zh"):
        await ctx.add_cookies([{"name": "laotie_lang", "value": "zh_CN", "url": base}])
    page = await ctx.new_page()
    if username:
        await page.goto("/login")
        await page.fill("#username", username)
        await page.fill("#password", DEMO_PASSWORD)
        async with page.expect_navigation():
            await page.locator("form[action='/login'] button[type=submit], form[action^='/login'] button").first.click()
        assert "/login" not in page.url, f"{username} could not sign in"
    return page


async def _check(page: Page, base: str, url: str, where: str, found: Findings, chinese: bool) -> list[str]:
    """Visit one page, record what is wrong with it, and return the links on it."""
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text[:200]}"))
    page.on("pageerror", lambda e: errors.append(f"page error: {str(e)[:200]}"))
    page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "")
            and errors.append(f"failed sub-request {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and r.request.resource_type != "document"
            and errors.append(f"sub-request {r.status} {r.url}"))
    response = await page.goto(url)
    found.pages += 1
    if response is None:
        found.add(where, "no response")
        return []
    if response.status >= 400:
        found.add(where, f"answered {response.status}")
    if "json" in (response.headers.get("content-type") or ""):
        found.add(where, "raw JSON on a page route")
        return []
    await page.wait_for_timeout(250)  # scripts that run after load (charts, players) get their turn
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 1:
        found.add(where, f"scrolls sideways by {overflow}px")
    if chinese and await page.get_attribute("html", "lang") != "zh-CN":
        found.add(where, "not in Chinese with the language cookie set")
    await page.add_script_tag(path=str(AXE))
    violations = await page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    for v in violations:
        if v["impact"] in IMPACTS:
            found.add(where, f"axe {v['impact']} {v['id']} at {json.dumps(v['nodes'], ensure_ascii=False)}")
    for e in errors:
        found.add(where, e)
    hrefs: list[str] = await page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    links = []
    for href in hrefs:
        absolute = urljoin(page.url, href)
        parts = urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" != base or parts.path.startswith(SKIP):
            continue
        links.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return links


async def _crawl(browser: Browser, base: str, role: str, width: str, found: Findings, *,
                 locale: str = "en-US", limit: int = PAGES_PER_CRAWL) -> None:
    username, starts = ROLES[role]
    chinese = locale.startswith("zh")
    seen: set[str] = set()
    queue = deque(starts)
    page = await _open(browser, base, width, username, locale)
    try:
        while queue and len(seen) < limit:
            url = queue.popleft()
            kind = kind_of(urlsplit(url).path)
            if kind in seen:
                continue
            seen.add(kind)
            # A fresh page per visit: listeners and timers of the last page do not leak into this one.
            visit = await page.context.new_page()
            try:
                links = await _check(visit, base, url, f"[{role} {width}{' zh' if chinese else ''}] {url}",
                                     found, chinese)
            finally:
                await visit.close()
            queue.extend(link for link in links if kind_of(urlsplit(link).path) not in seen)
    finally:
        await page.context.close()


async def test_every_page_for_every_role_at_both_widths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert AXE.is_file(), "axe-core is installed by scripts/setup.sh (npm)"
    url, settings = await fresh_database(tmp_path, monkeypatch)
    db = Database.connect(settings)
    try:
        await seed_demo(db, seed=11, size=DemoSize(merchants=3, products_per_merchant=3, creators=3, consumers=12,
                                                    orders=30, videos=1, coin_buyers=1, feed_viewers=3,
                                                    message_threads=3))
    finally:
        await db.dispose()
    found = Findings()
    async with serve(tmp_path, url) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for role in ROLES:
                for width in WIDTHS:
                    await _crawl(browser, base, role, width, found)
            for role in ("consumer", "merchant"):
                await _crawl(browser, base, role, "phone", found, locale="zh-CN", limit=CHINESE_SAMPLE)
        finally:
            await browser.close()
    print(f"crawled {found.pages} pages")
    assert found.pages >= 60
    assert not found.problems, f"{len(found.problems)} problems:\n" + "\n".join(found.problems[:80])
