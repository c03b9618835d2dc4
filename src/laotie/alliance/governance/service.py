"""Commissions meet governance: a confirmed fake-order (刷单) ring forfeits the commission on its orders.

- `forfeit_ring_commissions` (on `fraud.ring_confirmed`): every booked commission line of the
  ring's orders gives back what stands of it, to the merchant, for every party — creator, group
  leader, MCN and the platform's fee: from the parties' pending balances before settlement (a
  reversal), from their available balances after (a clawback, which may leave them below zero,
  offset against later earnings). One ledger entry per line keyed by the line, so a replay moves
  nothing twice; the line is then `forfeited` and no refund, completion or settlement touches
  it again. Each promoter of those orders faces one 虚假交易 case per ring (`fake_orders`,
  source `fraud_ring`), appealable like any other.
- `ring_commissions`: the commission evidence the operator reads beside a ring (registered with
  the fraud service as its commission reader, so trust never imports the alliance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.core.commission import Shares
from laotie.alliance.governance import repository
from laotie.alliance.service import commissions
from laotie.kit.events import record_event
from laotie.ledger import accounts as acct
from laotie.models import CommissionLine, utcnow
from laotie.trust.fraud.service import PromoterCommission, RingCommissions
from laotie.trust.governance import service as governance

VIOLATION = "fake_orders"
SOURCE = "fraud_ring"
_NOTHING = Shares(0, 0, 0, 0)


async def forfeit_line(s: AsyncSession, line: CommissionLine, ring_id: int) -> Shares:
    """Give back everything that stands of a booked line (the caller holds its row lock); what moved."""
    if line.status not in ("estimated", "settled"):
        return _NOTHING
    settled = line.status == "settled"
    # After the order completed (settle_after set), the merchant's side of the commission sits in
    # its available balance, as `AllianceHooks.completed` moved it.
    completed = settled or line.settle_after is not None
    merchant = acct.shop_available(line.shop_id) if completed else acct.shop_pending(line.shop_id)
    moved = await commissions.give_back(
        s, line, _NOTHING, merchant=merchant, ref=f"cl:{line.id}:ring",
        memo=f"commission on order line {line.order_line_id} forfeited: fake-order ring {ring_id}")
    line.status = "forfeited"
    await record_event(s, "commission.forfeited", {
        "commission_line_id": line.id, "order_id": line.order_id, "promoter_id": line.promoter_id,
        "ring_id": ring_id, "amount": moved.creator, "after_settlement": settled})
    return moved


@dataclass(frozen=True)
class Forfeited:
    lines: int
    total: int  # every party's share and the fee given back to merchants
    cases: list[int]


async def forfeit_ring_commissions(s: AsyncSession, ring_id: int, order_ids: Sequence[int], reason: str = ""
                                   ) -> Forfeited:
    """Forfeit the commissions on a confirmed ring's orders and open one case per promoter.

    Lines already forfeited (an order in two rings) move nothing again; their promoters still
    answer for this ring, once.
    """
    lines = await repository.paid_lines_of_orders(s, order_ids, lock=True)
    total, moved_lines = 0, 0
    by_promoter: dict[int, list[CommissionLine]] = {}
    for line in lines:
        by_promoter.setdefault(line.promoter_id, []).append(line)
        moved = await forfeit_line(s, line, ring_id)
        if moved != _NOTHING:
            total, moved_lines = total + moved.total, moved_lines + 1
    await s.flush()
    cases = []
    for promoter_id in sorted(by_promoter):
        case_id = await _case_against(s, promoter_id, ring_id, by_promoter[promoter_id], reason)
        if case_id is not None:
            cases.append(case_id)
    return Forfeited(moved_lines, total, cases)


async def _case_against(s: AsyncSession, promoter_id: int, ring_id: int, lines: list[CommissionLine],
                        reason: str) -> int | None:
    """One case per promoter per ring, whoever delivers the event again."""
    since = utcnow() - timedelta(days=365)
    for case in await governance.recent_cases(s, promoter_id, VIOLATION, SOURCE, since):
        evidence = case.evidence or {}
        if evidence.get("ring_id") == ring_id and evidence.get("role") == "promoter":
            return None
    orders = sorted({ln.order_id for ln in lines})
    why = (f"you promoted {len(orders)} order{'s' * (len(orders) != 1)} of fake-order ring {ring_id}, "
           f"confirmed: {reason}")
    case = await governance.open_case(
        s, None, violation_code=VIOLATION, subject_id=promoter_id, reason=why[:300], source=SOURCE,
        evidence={"ring_id": ring_id, "role": "promoter", "orders": len(orders), "order_ids": orders[:100],
                  "commission": sum(ln.est_creator for ln in lines)})
    return case.id


async def ring_commissions(s: AsyncSession, rings: dict[int, list[int]]) -> dict[int, RingCommissions]:
    """{ring_id: commission evidence} for the rings whose orders carry booked commission lines."""
    owner: dict[int, list[int]] = {}
    for ring_id, order_ids in rings.items():
        for o in order_ids:
            owner.setdefault(int(o), []).append(ring_id)
    if not owner:
        return {}
    lines = await repository.paid_lines_of_orders(s, list(owner))
    if not lines:
        return {}
    people = await repository.names(s, [ln.promoter_id for ln in lines])
    totals: dict[int, list[int]] = {}
    promoters: dict[int, dict[int, list[int]]] = {}
    for ln in lines:
        at_payment = ln.est_creator + ln.est_leader + ln.est_mcn + ln.est_platform
        standing = ln.cur_creator + ln.cur_leader + ln.cur_mcn + ln.cur_platform
        for ring_id in owner[ln.order_id]:
            t = totals.setdefault(ring_id, [0, 0, 0])
            t[0], t[1], t[2] = t[0] + at_payment, t[1] + standing, t[2] + 1
            p = promoters.setdefault(ring_id, {}).setdefault(ln.promoter_id, [0, 0])
            p[0], p[1] = p[0] + 1, p[1] + ln.est_creator
    return {ring_id: RingCommissions(total=t[0], standing=t[1], lines=t[2], promoters=tuple(
        PromoterCommission(user_id=u, name=people.get(u, f"user {u}"), lines=n, commission=c)
        for u, (n, c) in sorted(promoters[ring_id].items(), key=lambda kv: (-kv[1][1], kv[0]))))
        for ring_id, t in totals.items()}
