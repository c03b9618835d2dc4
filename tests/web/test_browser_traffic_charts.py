"""The operator's traffic charts: labels drawn on the canvas never overlap one another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from laotie.kit.db import Database
from tests.serving import serve
from tests.web.phone import phones
from tests.web.seed import account, fresh_database

pytestmark = pytest.mark.browser

# Every text ECharts drew in a chart, with its box on the canvas.
TEXTS = """(id) => {
  const chart = window.echarts.getInstanceByDom(document.getElementById(id));
  return chart.getZr().storage.getDisplayList(true)
    .filter((el) => el.type === "tspan" && el.style && el.style.text && !el.invisible && !el.ignore)
    .map((el) => {
      const r = el.getBoundingRect().clone();
      const m = el.getComputedTransform();
      if (m) r.applyTransform(m);
      return { text: String(el.style.text), x: r.x, y: r.y, w: r.width, h: r.height };
    });
}"""


@pytest.fixture
async def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    url, settings = await fresh_database(tmp_path, monkeypatch)
    db = Database.connect(settings)
    try:
        async with db.transaction() as s:
            await account(s, settings, "charts_op", "operator")
    finally:
        await db.dispose()
    async with serve(tmp_path, url) as served:
        yield served


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}])
async def test_gini_target_label_clear_of_the_axis_labels(base: str, viewport: dict[str, int]) -> None:
    async with phones(base) as ph:
        page = await ph.signed_in("charts_op")
        await page.set_viewport_size(viewport)  # type: ignore[arg-type]
        await page.goto("/operator/traffic")
        await expect(page.locator("#gini-chart canvas")).to_have_count(1)
        await page.wait_for_timeout(1500)  # let the entry animation finish so boxes are final
        for chart in ("gini-chart", "bracket-chart"):
            texts = await page.evaluate(TEXTS, chart)
            if chart == "gini-chart":  # the axis label and the target line's
                assert len([t for t in texts if "0.6" in t["text"]]) >= 2, texts
            clashes = [(a["text"], b["text"]) for i, a in enumerate(texts) for b in texts[i + 1:] if overlaps(a, b)]
            assert clashes == [], (chart, clashes)
        assert ph.errors == []
