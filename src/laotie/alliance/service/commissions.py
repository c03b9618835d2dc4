"""Commissions (佣金) from checkout to settlement, moved in the order's own transaction.

- **Checkout**: each line bought from a promoter's live room, video, showcase or share link,
  whose product the promoter has taken from the library, is attributed: promoter, source and
  source id, listing, and the plan as it is now (rate, group leader's and MCN's shares, the
  platform's fee), stored on the order line in the same insert. Lines from the merchant's own
  rooms and unpromoted products are not.
- **Paid**: the attributed lines become commission lines; the commission is estimated — split
  exactly (`alliance.core.commission`) and booked:
  the merchant's pending balance gives it up; creator, group leader and MCN are owed it pending;
  the platform earns its fee.
- **Refunded**: the order's refunds so far are spread over its lines (the one money-split helper),
  each promoted line's commission shrinks in proportion, and what moved goes back to the
  merchant — from the parties' pending balances before settlement, as a clawback from their
  available balances after (which may go below zero and are offset against later earnings).
- **Completed**: the merchant's part of what stands moves with its money from pending to
  available, and the lines are due for settlement after the after-sale window.
- **Settled** (`settle_due`, a job): pending becomes available, once per line whatever runs it.

Conservation holds at every step, per line: merchant's cost = creator + group leader + MCN +
platform, and est = standing + reversed + clawed back for each party. Every movement is one
ledger entry keyed by the fact, so a replay posts nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance import repository
from laotie.alliance.core.commission import (
    SharePlan,
    Shares,
    commission_after_refunds,
    effective_rate,
    split_commission,
)
from laotie.config import Settings
from laotie.kit.events import record_event
from laotie.kit.money import split_exact
from laotie.ledger import accounts as acct
from laotie.ledger.service import Line, post_entry
from laotie.models import CommissionLine, Order, utcnow
from laotie.models.base import table_of
from laotie.orders.hooks import CheckoutLine

SOURCE_KINDS = {"live": "live", "video": "video", "profile": "showcase", "showcase": "showcase", "share": "share"}
_LINES = table_of(CommissionLine)


def _settings(s: AsyncSession) -> Settings:
    settings: Settings = s.info["db"].settings
    return settings


def plan_of(line: CommissionLine) -> SharePlan:
    return SharePlan(rate_bps=line.rate_bps, leader_bps=line.leader_bps, mcn_bps=line.mcn_bps,
                     platform_fee_bps=line.fee_bps)


def _shares(line: CommissionLine, prefix: str) -> Shares:
    return Shares(*(getattr(line, f"{prefix}_{p}") or 0 for p in ("creator", "leader", "mcn", "platform")))


def _set(line: CommissionLine, prefix: str, shares: Shares) -> None:
    for party, amount in shares.as_dict().items():
        setattr(line, f"{prefix}_{party}", amount)


def _party_lines(line: CommissionLine, shares: Shares, account: Any, sign: int) -> list[Line]:
    """Ledger lines for the parties' part of `shares` (credit with sign −1), and the platform's fee."""
    out: list[Line] = [(account(line.promoter_id), sign * shares.creator)]
    if line.leader_id is not None:
        out.append((account(line.leader_id), sign * shares.leader))
    if line.mcn_id is not None:
        out.append((account(line.mcn_id), sign * shares.mcn))
    out.append((acct.ALLIANCE_FEE_REVENUE, sign * shares.platform))
    return out


class AllianceHooks:
    """The alliance's part in an order's money (registered with `orders.hooks`)."""

    async def attribute(self, s: AsyncSession, buyer_id: int, source: str,
                        lines: list[CheckoutLine]) -> dict[int, dict[str, Any]]:
        kind, _, raw = source.partition(":")
        if kind not in SOURCE_KINDS or not raw.isdigit():
            return {}  # "direct" and unknown sources: no statement at all
        source_id = int(raw)
        now = utcnow()
        found = await repository.promoted(s, kind, source_id, [ln.product_id for ln in lines], now)
        if not found:
            return {}
        settings = _settings(s)
        by_product = {f.product_id: f for f in found}
        out: dict[int, dict[str, Any]] = {}
        for ln in lines:
            f = by_product.get(ln.product_id)
            if f is None or f.creator_id in (ln.shop_owner_id, buyer_id):
                continue  # not promoted, the merchant's own room, or a creator buying through their own link
            # The group leader's fee only while their offer stands accepted; the MCN's share only
            # under a contract in force now (both found by the same statement).
            out[ln.index] = {
                "listing_id": f.listing_id, "shop_id": ln.shop_id, "promoter_id": f.creator_id,
                "leader_id": f.leader_id, "mcn_id": f.mcn_id, "source": SOURCE_KINDS[kind], "source_id": source_id,
                "rate_bps": effective_rate(f.listing_rate_bps, f.rate_cut_at, f.promotion_rate_bps, now),
                "leader_bps": f.leader_bps, "mcn_bps": f.mcn_bps, "fee_bps": settings.alliance_platform_fee_bps,
            }
        return out

    async def paid(self, s: AsyncSession, order_ids: list[int]) -> None:
        """The promoted lines of orders just paid become commission lines, estimated and booked."""
        now = utcnow()
        for order_line_id, order_id, base, attribution in await repository.attributed_lines(s, order_ids):
            line = CommissionLine(order_line_id=order_line_id, order_id=order_id, base=base, refunded=0,
                                  status="estimated", paid_at=now, created_at=now, **attribution)
            plan = plan_of(line)
            shares = split_commission(commission_after_refunds(base, plan, 0), plan)
            _set(line, "est", shares)
            _set(line, "cur", shares)
            s.add(line)
            await s.flush()
            await post_entry(s, "alliance.accrued", f"cl:{line.id}", [
                (acct.shop_pending(line.shop_id), shares.total),
                *_party_lines(line, shares, acct.commission_pending, -1),
            ], memo=f"commission on order line {order_line_id} ({line.source} {line.source_id})")
            await record_event(s, "commission.estimated", {
                "commission_line_id": line.id, "order_id": order_id, "promoter_id": line.promoter_id,
                "amount": shares.creator})

    async def refunded(self, s: AsyncSession, order_id: int, refunded_total: int, *, completed: bool) -> None:
        lines = [ln for ln in await repository.lines_of_order(s, order_id, lock=True)
                 if ln.status in ("estimated", "settled")]
        if not lines:
            return
        bases = await repository.order_line_bases(s, order_id)
        ids = sorted(bases)
        spread = dict(zip(ids, split_exact(refunded_total, [bases[i] for i in ids]), strict=True)) \
            if sum(bases.values()) > 0 else dict.fromkeys(ids, 0)
        merchant = acct.shop_available if completed else acct.shop_pending
        for line in lines:
            refunded = min(spread.get(line.order_line_id, 0), line.base)
            if refunded <= line.refunded:
                continue
            await _move_back(s, line, refunded, merchant(line.shop_id))
        await s.flush()

    async def completed(self, s: AsyncSession, order_id: int) -> None:
        lines = [ln for ln in await repository.lines_of_order(s, order_id) if ln.status == "estimated"]
        if not lines:
            return
        settings = _settings(s)
        due = utcnow() + timedelta(days=settings.alliance_settle_days)
        standing = sum(_shares(ln, "cur").total for ln in lines)
        order = await s.get(Order, order_id)
        assert order is not None
        # The order's completion moved (total − 扣点 − refunds) from pending to available; the
        # commission the merchant gave up out of that pending money moves along with it.
        await post_entry(s, "alliance.order_completed", f"order:{order_id}", [
            (acct.shop_pending(order.shop_id), -standing),
            (acct.shop_available(order.shop_id), standing),
        ], memo=f"commission on completed order {order_id}")
        for line in lines:
            line.settle_after = due
        await s.flush()


async def give_back(s: AsyncSession, line: CommissionLine, now: Shares, *, merchant: tuple[str, str], ref: str,
                    memo: str) -> Shares:
    """The line now stands at `now`: what moved goes back to the merchant's `merchant` account, from the
    parties' pending balances before settlement, as a clawback from their available ones after."""
    moved = _shares(line, "cur") - now
    settled = line.status == "settled"
    account = acct.commission_available if settled else acct.commission_pending
    await post_entry(s, "alliance.clawback" if settled else "alliance.reversed", ref, [
        (merchant, -moved.total),
        *_party_lines(line, moved, account, 1),
    ], memo=memo)
    _set(line, "cur", now)
    return moved


async def _move_back(s: AsyncSession, line: CommissionLine, refunded: int, merchant: tuple[str, str]) -> None:
    """The line's refunds reached `refunded`: its commission shrinks in proportion."""
    plan = plan_of(line)
    settled = line.status == "settled"
    moved = await give_back(s, line, split_commission(commission_after_refunds(line.base, plan, refunded), plan),
                            merchant=merchant, ref=f"cl:{line.id}:{refunded}",
                            memo=f"commission on order line {line.order_line_id} after refunds of {refunded}")
    line.refunded = refunded
    await record_event(s, "commission.clawed_back" if settled else "commission.reversed", {
        "commission_line_id": line.id, "promoter_id": line.promoter_id, "amount": moved.creator})


async def settle_due(s: AsyncSession, now: datetime, limit: int = 5_000) -> int:
    """Settle up to `limit` due lines: each exactly once, whoever runs this and however often.

    One conditional UPDATE claims the batch (status estimated → settled, amounts frozen as
    they stand), so two runs in two processes never settle a line twice; on PostgreSQL the
    candidates are taken with SKIP LOCKED, so concurrent runs share the work instead of
    waiting. One ledger entry per batch moves each party's settled total from pending to
    available; the lines keep the per-line amounts.
    """
    c = _LINES.c  # Core, not the ORM: thousands of returned rows need no objects
    # No ORDER BY: any due lines will do, and walking the (status, settle_after) index in its own
    # order stops after `limit` rows instead of sorting every due line on each batch.
    due = select(c.id).where(c.status == "estimated", c.settle_after <= now).limit(limit)
    if s.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = (await (await s.connection()).execute(
        update(_LINES).where(c.id.in_(due.scalar_subquery()), c.status == "estimated")
        .values(status="settled", settled_at=now, set_creator=c.cur_creator, set_leader=c.cur_leader,
                set_mcn=c.cur_mcn, set_platform=c.cur_platform)
        .returning(c.id, c.promoter_id, c.cur_creator, c.leader_id, c.cur_leader, c.mcn_id, c.cur_mcn)
    )).all()
    if not claimed:
        return 0
    owed: dict[int, int] = {}
    for _, promoter, creator, leader, leader_amt, mcn, mcn_amt in claimed:
        for user_id, amount in ((promoter, creator), (leader, leader_amt), (mcn, mcn_amt)):
            if user_id is not None and amount:
                owed[int(user_id)] = owed.get(int(user_id), 0) + int(amount)
    ids = sorted(int(row[0]) for row in claimed)
    parties: list[Line] = []
    for user_id in sorted(owed):
        parties += [(acct.commission_pending(user_id), owed[user_id]),
                    (acct.commission_available(user_id), -owed[user_id])]
    # The claim above happens once per line, so the batch's first and last line and its size name it.
    await post_entry(s, "alliance.settled", f"cl:{ids[0]}-{ids[-1]}:{len(ids)}", parties,
                     memo=f"{len(ids)} commission lines settled")
    await record_event(s, "commission.settled", {"commission_line_ids": ids if len(ids) <= 1000 else ids[:1000],
                                                 "lines": len(ids), "promoters": len(owed)})
    return len(ids)
