"""Withdrawals of settled commission: the balance moves to in-flight at once, the gateway's signed callback ends it.

- **Requested** (`request_payout`): under the ledger's lock on the user's available and in-flight
  accounts (account-id order, like every entry), the available balance is checked and the amount
  moves to `payout_in_flight` in the same transaction, so one balance is never withdrawn twice.
  The gateway is asked to pay only after commit (`send_payout`, from the outbox).
- **Paid** (callback): in-flight → gateway clearing: the money left the platform.
- **Failed** (callback): in-flight → available again.

Callbacks go through the gateway's one verification (signature, then body); the outcome is
claimed with a conditional update, so a replay changes nothing and a contradicting one is refused.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.payouts import repository
from laotie.alliance.payouts.errors import (
    BelowMinimum,
    InsufficientBalance,
    NegativeBalance,
    PayoutDecided,
    PayoutMismatch,
    PayoutNotFound,
)
from laotie.config import Settings
from laotie.kit.errors import Message
from laotie.kit.events import record_event
from laotie.ledger import accounts as acct
from laotie.ledger import service as ledger
from laotie.models import AlliancePayout, CommissionLine, User, utcnow
from laotie.orders.gateway import PayoutNotification, gateway_for

OUTCOMES = {"paid": "paid", "failed": "failed"}


async def request_payout(s: AsyncSession, settings: Settings, user: User, amount: int) -> AlliancePayout:
    """Withdraw `amount` of the user's settled commission; refused (changing nothing) if it is not there."""
    if amount < settings.alliance_payout_min:
        raise BelowMinimum(Message("the smallest withdrawal is ¥%(minimum)s",
                                   {"minimum": f"{settings.alliance_payout_min / 100:.2f}"}),
                           field="amount", minimum=settings.alliance_payout_min)
    available, in_flight = acct.commission_available(user.id), acct.payout_in_flight(user.id)
    balances = await ledger.lock_balances(s, [available, in_flight])
    owed = -balances.get(available[0], 0)  # a liability: what the platform owes is a credit
    if owed < 0:
        raise NegativeBalance("refunds after settlement took your balance below zero; later earnings repay it",
                              available=owed)
    if amount > owed:
        raise InsufficientBalance("that is more than your available commission", field="amount", available=owed)
    payout = AlliancePayout(user_id=user.id, amount=amount, currency=settings.currency, status="processing",
                            gateway=gateway_for(settings).name)
    s.add(payout)
    await s.flush()
    await ledger.post_entry(s, "alliance.payout_requested", f"payout:{payout.id}", [
        (available, amount), (in_flight, -amount),
    ], memo=f"withdrawal {payout.id} requested")
    await record_event(s, "payout.requested", {"payout_id": payout.id, "user_id": user.id, "amount": amount})
    return payout


async def send_payout(s: AsyncSession, settings: Settings, payout_id: int) -> bool:
    """Ask the gateway to pay a requested withdrawal (after the request committed); once per payout."""
    payout = await repository.payout(s, payout_id)
    if payout is None or payout.status != "processing" or payout.sent_at is not None:
        return False
    ref = gateway_for(settings).send_payout(payout.id, payout.user_id, payout.amount, "alliance commission")
    payout.gateway_ref, payout.sent_at = ref, utcnow()
    await record_event(s, "payout.sent", {"payout_id": payout.id, "gateway_ref": ref})
    return True


@dataclass(frozen=True)
class PayoutOutcome:
    payout_id: int
    result: str  # "paid" | "failed" | "already_processed"


async def handle_payout_notification(s: AsyncSession, settings: Settings, body: bytes,
                                     signature: str | None) -> PayoutOutcome:
    """The one entry point for payout callbacks, over HTTP or from the sandbox."""
    note = gateway_for(settings).verify_payout(body, signature)
    payout = await repository.payout(s, note.payout_id)
    if payout is None:
        raise PayoutNotFound("no such payout", field="payout_id")
    if note.amount != payout.amount or note.currency != payout.currency:
        raise PayoutMismatch("notification amount or currency does not match the payout",
                             expected=payout.amount, got=note.amount)
    return await _apply(s, payout, note)


async def _apply(s: AsyncSession, payout: AlliancePayout, note: PayoutNotification) -> PayoutOutcome:
    now = utcnow()
    won = (await s.execute(
        update(AlliancePayout).where(AlliancePayout.id == payout.id, AlliancePayout.status == "processing")
        .values(status=note.status, decided_at=now, gateway_ref=note.gateway_ref or payout.gateway_ref,
                failure_reason=(note.reason or "failed") if note.status == "failed" else None)
        .returning(AlliancePayout.id)
    )).first()
    await s.refresh(payout)
    if won is None:
        if payout.status == note.status:
            return PayoutOutcome(payout.id, "already_processed")
        raise PayoutDecided(f"this payout is already {payout.status}", state=payout.status)
    in_flight = acct.payout_in_flight(payout.user_id)
    if note.status == "paid":
        await ledger.post_entry(s, "alliance.payout_paid", f"payout:{payout.id}", [
            (in_flight, payout.amount), (acct.GATEWAY_CLEARING, -payout.amount),
        ], memo=f"withdrawal {payout.id} paid ({note.gateway_ref})")
    else:
        await ledger.post_entry(s, "alliance.payout_failed", f"payout:{payout.id}", [
            (in_flight, payout.amount), (acct.commission_available(payout.user_id), -payout.amount),
        ], memo=f"withdrawal {payout.id} failed: {payout.failure_reason}")
    await record_event(s, f"payout.{note.status}", {"payout_id": payout.id, "user_id": payout.user_id,
                                                    "amount": payout.amount})
    return PayoutOutcome(payout.id, note.status)


async def sandbox_decide_payout(s: AsyncSession, user: User, payout_id: int, *, paid: bool) -> AlliancePayout:
    """In the sandbox, the payee decides whether the gateway pays; the signed callback follows after commit."""
    payout = await payout_of(s, user, payout_id)
    if payout.status != "processing":
        raise PayoutDecided(f"this payout is already {payout.status}", state=payout.status)
    await record_event(s, "sandbox.payout_decided", {
        "payout_id": payout.id, "amount": payout.amount, "currency": payout.currency,
        "gateway_ref": payout.gateway_ref, "status": "paid" if paid else "failed",
        "reason": "" if paid else "declined in the sandbox"})
    return payout


async def payout_of(s: AsyncSession, user: User, payout_id: int) -> AlliancePayout:
    """The user's own payout (operators see any); another's is as unknown as a missing one."""
    payout = await repository.payout(s, payout_id)
    if payout is None or (payout.user_id != user.id and not user.has_role("operator")):
        raise PayoutNotFound("no such payout", field="payout_id")
    return payout


async def payouts_of(s: AsyncSession, user: User, *, limit: int = 50, offset: int = 0) -> list[AlliancePayout]:
    return await repository.payouts_of(s, user.id, limit=limit, offset=offset)


@dataclass(frozen=True)
class EarningsDay:
    day: date
    estimated: int
    settled: int
    reversed: int


def _part(line: CommissionLine, user_id: int, prefix: str) -> int:
    """The user's part of a line's amounts: as creator, group leader and MCN (one may be all three)."""
    total = 0
    for party, who in (("creator", line.promoter_id), ("leader", line.leader_id), ("mcn", line.mcn_id)):
        if who == user_id:
            total += getattr(line, f"{prefix}_{party}") or 0
    return total


async def earnings_by_day(s: AsyncSession, user: User, days: int, now: datetime | None = None) -> list[EarningsDay]:
    """The last `days` UTC days, oldest first: estimated and reversed on the day of the sale, settled on
    the day of settlement. Reversed counts everything that went back (before or after settlement)."""
    now = now or utcnow()
    first = now.date() - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
    estimated: dict[date, int] = defaultdict(int)
    settled: dict[date, int] = defaultdict(int)
    reversed_: dict[date, int] = defaultdict(int)
    for line in await repository.lines_for_chart(s, user.id, since):
        if line.paid_at is not None and line.paid_at >= since:
            est = _part(line, user.id, "est")
            estimated[line.paid_at.date()] += est
            reversed_[line.paid_at.date()] += est - _part(line, user.id, "cur")
        if line.settled_at is not None and line.settled_at >= since:
            settled[line.settled_at.date()] += _part(line, user.id, "set")
    out = []
    for i in range(days):
        d = first + timedelta(days=i)
        out.append(EarningsDay(d, estimated[d], settled[d], reversed_[d]))
    return out
