"""Ledger rules: post balanced entries, never edit them, and prove the books add up."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import dialect_insert
from laotie.ledger import accounts as acct
from laotie.ledger import balance_moves, repository
from laotie.ledger.errors import UnbalancedEntry
from laotie.models import JournalEntry, JournalPosting, utcnow

Line = tuple[tuple[str, str], int]  # (account, signed amount: debit > 0, credit < 0)


async def post_entry(s: AsyncSession, kind: str, ref: str, lines: list[Line], memo: str = "") -> int | None:
    """Write one balanced entry; the same (kind, ref) twice is a no-op returning None."""
    lines = [(a, amt) for a, amt in lines if amt != 0]
    if not lines:
        return None  # a zero-value fact (a free order) moves no money
    if sum(amount for _, amount in lines) != 0 or len(lines) < 2:
        raise UnbalancedEntry(f"entry {kind}/{ref} does not balance")
    inserted = await s.execute(
        dialect_insert(s, JournalEntry)
        .values(kind=kind, ref=ref, memo=memo, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(JournalEntry.id)
    )
    entry_id = inserted.scalar()
    if entry_id is None:
        return None
    ids = await repository.ensure_accounts(s, [a for a, _ in lines])
    await s.execute(
        insert(JournalPosting),
        [{"entry_id": entry_id, "account_id": ids[code], "amount": amt} for (code, _), amt in lines],
    )
    per_account: dict[int, int] = {}
    for (code, _), amt in lines:
        per_account[ids[code]] = per_account.get(ids[code], 0) + amt
    # The cached balances move at commit, all accounts of the transaction at once in id
    # order: one global lock order however many entries the transaction posts.
    balance_moves.add(s, per_account)
    return int(entry_id)


# ---- the business facts the ledger records ----------------------------------------


async def record_order_paid(s: AsyncSession, *, order_id: int, shop_id: int, total: int, commission: int) -> None:
    """Buyer's money arrives: the merchant is owed it less 扣点, which the platform earns."""
    await post_entry(s, "order.paid", f"order:{order_id}", [
        (acct.GATEWAY_CLEARING, total),
        (acct.shop_pending(shop_id), -(total - commission)),
        (acct.COMMISSION_REVENUE, -commission),
    ], memo=f"payment for order {order_id}")


async def record_order_completed(s: AsyncSession, *, order_id: int, shop_id: int, net: int) -> None:
    """The order is done: the merchant's pending money becomes available."""
    await post_entry(s, "order.completed", f"order:{order_id}", [
        (acct.shop_pending(shop_id), net),
        (acct.shop_available(shop_id), -net),
    ], memo=f"order {order_id} completed")


async def record_unmatched_payment_refunded(
    s: AsyncSession, *, ref: str, buyer_id: int, amount: int, memo: str
) -> None:
    """Money that arrived for nothing we sell (a late or duplicate payment) goes straight back."""
    await post_entry(s, "payment.unmatched", ref, [
        (acct.GATEWAY_CLEARING, amount),
        (acct.buyer_refund_payable(buyer_id), -amount),
    ], memo=memo)
    await post_entry(s, "refund.paid", ref, [
        (acct.buyer_refund_payable(buyer_id), amount),
        (acct.GATEWAY_CLEARING, -amount),
    ], memo=memo)


async def record_coins_bought(s: AsyncSession, *, purchase_id: int, user_id: int, amount: int) -> None:
    """A viewer's money arrives for coins: the platform owes them that value in coins until spent."""
    await post_entry(s, "coins.bought", f"coins:{purchase_id}", [
        (acct.GATEWAY_CLEARING, amount),
        (acct.user_coins(user_id), -amount),
    ], memo=f"coin purchase {purchase_id}")


async def record_gift_sent(s: AsyncSession, *, gift_send_id: int, sender_id: int, host_id: int,
                           creator_share: int, platform_share: int) -> None:
    """Coins spent on a gift: the creator earns their share, the platform the rest."""
    await post_entry(s, "gift.sent", f"gift:{gift_send_id}", [
        (acct.user_coins(sender_id), creator_share + platform_share),
        (acct.creator_gift_earnings(host_id), -creator_share),
        (acct.GIFT_REVENUE, -platform_share),
    ], memo=f"gift {gift_send_id}")


async def creator_gift_earnings(s: AsyncSession, user_id: int) -> int:
    code = acct.creator_gift_earnings(user_id)[0]
    return -(await repository.balances(s, [code])).get(code, 0)


async def commission_balances(s: AsyncSession, user_id: int) -> ShopBalances:
    """A promoter's alliance commission: pending (not settled) and available (below zero: owed back)."""
    pending, available = acct.commission_pending(user_id)[0], acct.commission_available(user_id)[0]
    got = await repository.balances(s, [pending, available])
    return ShopBalances(pending=-got.get(pending, 0), available=-got.get(available, 0))


async def lock_balances(s: AsyncSession, accounts: list[tuple[str, str]]) -> dict[str, int]:
    """Lock accounts before a conditional movement (a withdrawal): balances as of now, held until commit.

    The rows are locked at once in account-id order, like the commit's sweep (`balance_moves`).
    The caller then posts only to these accounts, so the sweep takes no further ledger lock and
    the transaction still waits for ledger rows at one point only. SQLite has one writer anyway.
    """
    return await repository.lock_balances(s, accounts)


@dataclass
class ShopBalances:
    pending: int
    available: int


async def shop_balances(s: AsyncSession, shop_id: int) -> ShopBalances:
    pending, available = acct.shop_pending(shop_id)[0], acct.shop_available(shop_id)[0]
    got = await repository.balances(s, [pending, available])
    # Liabilities are credit-normal: show what is owed as a positive number.
    return ShopBalances(pending=-got.get(pending, 0), available=-got.get(available, 0))


async def platform_balances(s: AsyncSession) -> dict[str, int]:
    codes = [acct.GATEWAY_CLEARING[0], acct.COMMISSION_REVENUE[0], acct.GIFT_REVENUE[0]]
    got = await repository.balances(s, codes)
    return {"gateway_clearing": got.get(codes[0], 0), "commission_revenue": -got.get(codes[1], 0),
            "gift_revenue": -got.get(codes[2], 0)}


@dataclass
class CheckReport:
    entries: int
    postings: int
    accounts: int
    unbalanced: list[tuple[int, int]]
    drifted: list[tuple[str, int, int]]

    @property
    def ok(self) -> bool:
        return not self.unbalanced and not self.drifted


async def check(s: AsyncSession) -> CheckReport:
    """Every entry sums to zero, and every cached balance equals the sum of its postings."""
    await balance_moves.apply_now(s)
    entries, postings, accounts = await repository.counts(s)
    return CheckReport(entries, postings, accounts, await repository.unbalanced_entries(s),
                       await repository.drifted_accounts(s))
