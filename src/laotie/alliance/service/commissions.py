"""Commissions (佣金) from checkout to settlement, moved in the order's own transaction.

- **Checkout**: each line bought from a promoter's live room, video, showcase or share link,
  whose product the promoter has taken from the library, is attributed: promoter, source and
  source id, listing, and the plan as it is now (rate, group leader's and MCN's shares, the
  platform's fee). Lines from the merchant's own rooms and unpromoted products are not.
- **Paid**: the commission is estimated — split exactly (`alliance.core.commission`) and booked:
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

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance import repository
from laotie.alliance.core.commission import SharePlan, Shares, commission_after_refunds, split_commission
from laotie.alliance.service.listings import effective_rate
from laotie.config import Settings
from laotie.kit.events import record_event
from laotie.kit.money import split_exact
from laotie.ledger import accounts as acct
from laotie.ledger.service import Line, post_entry
from laotie.models import CommissionLine, Order, utcnow
from laotie.models.base import table_of
from laotie.orders.hooks import CheckoutLine

SOURCE_KINDS = {"live": "live", "video": "video", "profile": "showcase", "showcase": "showcase", "share": "share"}
_INSERT = insert(table_of(CommissionLine))


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
                        lines: list[CheckoutLine]) -> dict[int, Any]:
        kind, _, raw = source.partition(":")
        if kind not in SOURCE_KINDS or not raw.isdigit():
            return {}  # "direct" and unknown sources: no statement at all
        source_id = int(raw)
        found = await repository.promoted(s, repository.promoter_of_source(kind, source_id),
                                          [ln.product_id for ln in lines])
        if not found:
            return {}
        settings, now = _settings(s), utcnow()
        by_product = {listing.product_id: (promotion, listing) for promotion, listing in found}
        out: dict[int, Any] = {}
        for ln in lines:
            if ln.product_id not in by_product:
                continue
            promotion, listing = by_product[ln.product_id]
            if promotion.creator_id in (ln.shop_owner_id, buyer_id):
                continue  # the merchant's own room, or a creator buying through their own link
            out[ln.index] = {
                "listing_id": listing.id, "shop_id": ln.shop_id, "promoter_id": promotion.creator_id,
                "leader_id": None, "mcn_id": None, "source": SOURCE_KINDS[kind], "source_id": source_id,
                "rate_bps": effective_rate(listing, promotion.rate_bps, now), "leader_bps": 0, "mcn_bps": 0,
                "fee_bps": settings.alliance_platform_fee_bps, "base": ln.paid_for, "refunded": 0,
                "status": "placed", "created_at": now,
            }
        return out

    async def record(self, s: AsyncSession, attributed: dict[int, Any], line_ids: dict[int, tuple[int, int]]
                     ) -> None:
        rows = [{**row, "order_id": line_ids[i][0], "order_line_id": line_ids[i][1]}
                for i, row in sorted(attributed.items())]
        await (await s.connection()).execute(_INSERT, rows)

    async def paid(self, s: AsyncSession, order_ids: list[int]) -> None:
        now = utcnow()
        for order_id in order_ids:
            for line in await repository.lines_of_order(s, order_id):
                if line.status != "placed":
                    continue
                plan = plan_of(line)
                shares = split_commission(commission_after_refunds(line.base, plan, 0), plan)
                _set(line, "est", shares)
                _set(line, "cur", shares)
                line.status, line.paid_at = "estimated", now
                await post_entry(s, "alliance.accrued", f"cl:{line.id}", [
                    (acct.shop_pending(line.shop_id), shares.total),
                    *_party_lines(line, shares, acct.commission_pending, -1),
                ], memo=f"commission on order line {line.order_line_id} ({line.source} {line.source_id})")
                await record_event(s, "commission.estimated", {
                    "commission_line_id": line.id, "order_id": order_id, "promoter_id": line.promoter_id,
                    "amount": shares.creator})
        await s.flush()

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


async def _move_back(s: AsyncSession, line: CommissionLine, refunded: int, merchant: tuple[str, str]) -> None:
    """The line's refunds reached `refunded`: its commission shrinks, what moved goes back to the merchant."""
    plan = plan_of(line)
    now_shares = split_commission(commission_after_refunds(line.base, plan, refunded), plan)
    moved = _shares(line, "cur") - now_shares
    settled = line.status == "settled"
    kind = "alliance.clawback" if settled else "alliance.reversed"
    account = acct.commission_available if settled else acct.commission_pending
    await post_entry(s, kind, f"cl:{line.id}:{refunded}", [
        (merchant, -moved.total),
        *_party_lines(line, moved, account, 1),
    ], memo=f"commission on order line {line.order_line_id} after refunds of {refunded}")
    line.refunded = refunded
    _set(line, "cur", now_shares)
    await record_event(s, "commission.clawed_back" if settled else "commission.reversed", {
        "commission_line_id": line.id, "promoter_id": line.promoter_id, "amount": moved.creator})


async def settle_line(s: AsyncSession, line_id: int, now: datetime) -> bool:
    """Settle one due line: exactly once, whoever runs it (a conditional update claims it)."""
    claimed = (await s.execute(
        update(CommissionLine).where(CommissionLine.id == line_id, CommissionLine.status == "estimated",
                                     CommissionLine.settle_after <= now)
        .values(status="settled", settled_at=now).returning(CommissionLine.id)
    )).first()
    if claimed is None:
        return False
    line = await s.get(CommissionLine, line_id, populate_existing=True)
    assert line is not None
    standing = _shares(line, "cur")
    _set(line, "set", standing)
    parties: list[Line] = []
    for user_id, amount in ((line.promoter_id, standing.creator), (line.leader_id, standing.leader),
                            (line.mcn_id, standing.mcn)):
        if user_id is not None and amount:
            parties += [(acct.commission_pending(user_id), amount), (acct.commission_available(user_id), -amount)]
    await post_entry(s, "alliance.settled", f"cl:{line.id}", parties, memo=f"commission line {line.id} settled")
    await record_event(s, "commission.settled", {"commission_line_id": line.id, "promoter_id": line.promoter_id,
                                                 "amount": standing.creator})
    await s.flush()
    return True


async def due_lines(s: AsyncSession, now: datetime, limit: int = 1000) -> list[int]:
    return await repository.due_for_settlement(s, now, limit)


async def void_unpaid(s: AsyncSession, order_id: int) -> None:
    """An order cancelled before payment: its attributions never became commissions."""
    await s.execute(update(CommissionLine).where(CommissionLine.order_id == order_id,
                                                 CommissionLine.status == "placed").values(status="void"))
