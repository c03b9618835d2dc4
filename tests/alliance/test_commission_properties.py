"""Any life of a promoted line through the database: payments, partial refunds, completion, settlement, clawbacks.

Hypothesis draws a rate, a price and a sequence of steps; each example sells one promoted line
in its own small world on the test database and checks after every step: the merchant's cost
equals the parties' shares (conservation), estimated = standing + reversed + clawed back for
every party, no share below zero, the promoter's balances hold exactly the line's standing
share, and the ledger checks out.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laotie.alliance.core.commission import SharePlan, commission_after_refunds
from laotie.alliance.service import commissions
from laotie.ledger import service as ledger
from laotie.models import Order, utcnow
from tests.alliance.test_commissions import _buy_from, _line, _refund, _user, _world
from tests.support import Api

steps = st.lists(st.one_of(st.tuples(st.just("refund"), st.integers(1, 100)), st.just(("complete", 0)),
                           st.just(("settle", 0))), max_size=6)


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rate=st.integers(100, 9_000), price=st.integers(1, 200_000), life=steps)
async def test_any_life_of_a_promoted_line_conserves_money(api: Api, rate: int, price: int,
                                                           life: list[tuple[str, int]]) -> None:
    w = await _world(api, rate_bps=rate, price=price)
    creator = await _user(api, str(w["creator"]))
    assert creator is not None
    buyer = await api.user()
    order_id = await _buy_from(api, buyer, int(w["sku"]), f"profile:{creator.id}")
    plan = SharePlan(rate_bps=rate, platform_fee_bps=api.db.settings.alliance_platform_fee_bps)
    later = utcnow() + timedelta(days=30)
    shipped = False
    for n, (step, pct) in enumerate(life):
        line = await _line(api, order_id)
        async with api.db.transaction() as s:
            order = await s.get(Order, order_id)
            assert order is not None
            status, left = order.status, order.total - order.refunded
        if step == "refund" and left > 0:
            await _refund(api, order_id, max(1, left * pct // 100), f"p{n}")
        elif step == "complete" and status in ("paid", "shipped"):
            if not shipped:
                await api.call("POST", f"/api/v1/orders/{order_id}/ship", str(w["merchant"]), expect=200,
                               json={"carrier": "SF", "tracking_no": f"SF{order_id:08d}"})
                shipped = True
            await api.call("POST", f"/api/v1/orders/{order_id}/confirm-receipt", buyer, expect=200)
            await api.settle()
        elif step == "settle":
            async with api.db.transaction() as s:
                await commissions.settle_due(s, later)
        line = await _line(api, order_id)
        standing = (line.cur_creator, line.cur_leader, line.cur_mcn, line.cur_platform)
        estimated = (line.est_creator, line.est_leader, line.est_mcn, line.est_platform)
        settled = (line.set_creator, line.set_leader, line.set_mcn, line.set_platform)
        assert sum(standing) == commission_after_refunds(line.base, plan, line.refunded)  # conservation
        assert min(standing) >= 0
        if line.status == "settled":
            assert None not in settled
            reversed_ = tuple(e - s_ for e, s_ in zip(estimated, settled, strict=True))  # type: ignore[operator]
            clawed = tuple(s_ - c for s_, c in zip(settled, standing, strict=True))  # type: ignore[operator]
        else:
            reversed_ = tuple(e - c for e, c in zip(estimated, standing, strict=True))
            clawed = (0, 0, 0, 0)
        assert tuple(c + r + k for c, r, k in zip(standing, reversed_, clawed, strict=True)) == estimated
        async with api.db.transaction() as s:
            balances = await ledger.commission_balances(s, creator.id)
        assert balances.pending + balances.available == line.cur_creator
        assert (balances.pending == 0) == (line.status == "settled" or line.cur_creator == 0)
        assert await api.ledger_ok()
