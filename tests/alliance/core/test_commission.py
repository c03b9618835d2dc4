"""A promoted line's commission: conservation at every step, whatever the payments, refunds and settlement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from laotie.alliance.core.commission import (
    CommissionLine,
    SharePlan,
    Shares,
    commission_after_refunds,
    split_commission,
)

plans = st.builds(SharePlan, rate_bps=st.integers(0, 10_000), leader_bps=st.integers(0, 9_000),
                  mcn_bps=st.integers(0, 10_000), platform_fee_bps=st.integers(0, 10_000))
bases = st.integers(0, 10**9)


@st.composite
def lives(draw: st.DrawFn) -> tuple[CommissionLine, list[tuple[str, int]]]:
    line = CommissionLine(draw(bases), draw(plans))
    steps: list[tuple[str, int]] = []
    left = line.base
    settle_at = draw(st.integers(0, 6))
    for i in range(draw(st.integers(0, 6))):
        if i == settle_at:
            steps.append(("settle", 0))
        if left:
            amount = draw(st.integers(1, left))
            left -= amount
            steps.append(("refund", amount))
    return line, steps


@given(lives())
def test_every_step_conserves_the_merchants_cost(life: tuple[CommissionLine, list[tuple[str, int]]]) -> None:
    line, steps = life
    assert line.standing.total == line.merchant_cost
    for step, amount in steps:
        moved = line.refund(amount) if step == "refund" else line.settle()
        if step == "refund":
            assert moved.total >= 0
        assert line.standing.total == line.merchant_cost
        # settled + reversed + clawed back = estimated, party by party
        assert line.standing + line.reversed + line.clawed_back == line.estimated
        assert min(line.standing.as_dict().values()) >= 0


@given(bases, plans, st.integers(0, 10**9))
def test_partial_refunds_end_where_one_refund_of_the_same_total_would(base: int, plan: SharePlan,
                                                                       cut: int) -> None:
    refunded = min(cut, base)
    one = CommissionLine(base, plan)
    one.refund(refunded)
    two = CommissionLine(base, plan)
    first = refunded // 3
    two.refund(first)
    two.refund(refunded - first)
    assert one.standing == two.standing
    assert one.merchant_cost == commission_after_refunds(base, plan, refunded)


@given(bases, plans)
def test_a_full_refund_leaves_nothing(base: int, plan: SharePlan) -> None:
    line = CommissionLine(base, plan)
    line.refund(base)
    assert line.standing == Shares()
    assert line.reversed == line.estimated


def test_a_100_yuan_line_at_20_percent_with_a_group_leader_and_an_mcn() -> None:
    """¥100 at 20%: C = ¥20; group leader 20% of it; platform 10% of each gross; MCN 30% of the creator's net."""
    plan = SharePlan(rate_bps=2_000, leader_bps=2_000, mcn_bps=3_000, platform_fee_bps=1_000)
    line = CommissionLine(10_000, plan)
    assert line.merchant_cost == 2_000
    # creator gross 1600, fee 160, MCN 30% of 1440 = 432, creator 1008; leader 400 − fee 40 = 360
    assert line.estimated == Shares(creator=1_008, leader=360, mcn=432, platform=200)
    # 30% refunded before settlement: everything shrinks to 70%
    moved = line.refund(3_000)
    assert line.merchant_cost == 1_400
    assert moved == Shares(creator=302, leader=108, mcn=130, platform=60)
    assert line.standing == Shares(creator=706, leader=252, mcn=302, platform=140)
    assert line.settle() == line.standing
    assert line.clawed_back == Shares()


def test_the_same_line_refunded_after_settlement_is_a_clawback() -> None:
    plan = SharePlan(rate_bps=2_000, leader_bps=2_000, mcn_bps=3_000, platform_fee_bps=1_000)
    line = CommissionLine(10_000, plan)
    line.settle()
    moved = line.refund(3_000)
    assert moved == Shares(creator=302, leader=108, mcn=130, platform=60)
    assert line.clawed_back == moved
    assert line.reversed == Shares()


def test_split_of_nothing_and_bad_plans() -> None:
    assert split_commission(0, SharePlan(rate_bps=500)) == Shares()
    with pytest.raises(ValueError, match="rate_bps"):
        SharePlan(rate_bps=10_001)
    line = CommissionLine(100, SharePlan(rate_bps=500))
    with pytest.raises(ValueError, match="within"):
        line.refund(101)
    line.settle()
    with pytest.raises(ValueError, match="once"):
        line.settle()
