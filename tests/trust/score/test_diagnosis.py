"""The diagnosis names what costs a shop the most points, in Chinese with an English gloss."""

from __future__ import annotations

import pytest

from laotie.trust.score.core import Band, ScoreSettings, compute_scores, diagnose
from tests.trust.score.test_compute import SETTINGS, A, D, E, G, facts


def test_costliest_indicators_first_with_exact_texts() -> None:
    a = compute_scores(facts(), SETTINGS).shop(A)
    # A (4.30, 差) loses 0.70 points: replies (5 - 3.5) × 2/15 = 0.20; then three tied at
    # 2/15 ≈ 0.13 (quality returns 1 × 2/15, 48 h shipping 2 × 1/15, refunds 1 × 2/15),
    # which keep catalogue order; delivery 1.5 × 1/15 = 0.10.
    result = diagnose(a, SETTINGS)
    assert result.band is Band.POOR
    assert result.summary_zh == "体验分4.30（差），距「良」还差0.10分，离满分5分差0.70分，失分最多的是："
    assert result.summary_en == "Experience score 4.30 (差), 0.10 short of 良; 0.70 below the full 5, lost mostly on:"
    assert [f.indicator for f in result.findings] == [
        "reply_within_3min_rate", "quality_return_rate", "shipped_within_48h_rate"]
    assert [f.shortfall for f in result.findings] == [pytest.approx(0.2), pytest.approx(2 / 15),
                                                      pytest.approx(2 / 15)]
    assert result.findings[0].text_zh == (
        "3分钟回复率 50%（同类第25百分位，拉低总分0.20）：客服回复慢拉低服务分。"
        "建议：开播和大促时增加客服排班，设置常见问题自动回复。")
    assert result.findings[2].text_zh == (
        "48小时发货率 71%（同类第0百分位，拉低总分0.13）：发货慢拉低物流分。建议：设置发货提醒，预售商品注明发货时间。")
    assert result.findings[2].text_en == (
        "Shipped within 48 h 71% (0th percentile in the category, costs 0.13 points): slow shipping pulls the "
        "logistics score down. Advice: set shipping reminders; state the ship date on pre-sale items.")

    everything = diagnose(a, SETTINGS, limit=10)
    assert [f.indicator for f in everything.findings][3:] == ["refund_handling_hours", "delivery_hours"]
    assert sum(f.shortfall for f in everything.findings) == pytest.approx(5.0 - 4.3)


def test_hours_are_shown_in_hours() -> None:
    g = compute_scores(facts(), SETTINGS).shop(G)
    texts = {f.indicator: f.text_zh for f in diagnose(g, SETTINGS, limit=10).findings}
    assert texts["delivery_hours"].startswith("平均配送时长 30.0小时（同类第0百分位")
    assert texts["quality_return_rate"].startswith("品质退货率 25%（同类第0百分位")


def test_a_perfect_shop_has_nothing_to_fix() -> None:
    e = compute_scores(facts(), SETTINGS).shop(E)
    result = diagnose(e, SETTINGS)
    assert result.findings == ()
    assert result.summary_zh == "体验分5.00（优），已是满分。"


def test_a_new_shop_is_told_how_many_orders_it_needs() -> None:
    d = compute_scores(facts(), SETTINGS).shop(D)
    result = diagnose(d, SETTINGS)
    assert (result.band, result.findings) == (Band.NEW, ())
    assert result.summary_zh == "新店：近30天3单，满4单后开始计算体验分。"
    assert result.summary_en == "New shop: 3 orders in the last 30 days; the experience score starts at 4."


def test_small_rates_keep_their_decimals() -> None:
    from laotie.trust.score.core.diagnosis import _ordinal, _percent

    assert [_percent(x) for x in (0.0, 0.0004, 0.034, 0.62, 0.996, 0.99999, 1.0)] == [
        "0%", "0.04%", "3.4%", "62%", "99.6%", "99.99%", "100%"]
    assert [_ordinal(n) for n in (0, 1, 2, 3, 11, 12, 13, 21, 22, 100)] == [
        "0th", "1st", "2nd", "3rd", "11th", "12th", "13th", "21st", "22nd", "100th"]


def test_limit_must_not_be_negative() -> None:
    a = compute_scores(facts(), ScoreSettings(min_orders=4, half_life_days=7)).shop(A)
    with pytest.raises(ValueError, match="limit"):
        diagnose(a, limit=-1)
