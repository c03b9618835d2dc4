"""A transaction's balance moves, applied in one account-id-ordered sweep just before it commits.

Why: a balance UPDATE locks the account's row until commit. A transaction that posts
several entries (a refund and its payout, a payment and its alliance accrual, a
compensation and its payout) would lock accounts entry by entry, so two transactions
could take the same two accounts in opposite orders and deadlock (a small refund with
no commission line locks the shop's pending account before gateway clearing; a payment
the other way). Here every transaction takes all its ledger row locks at one point, in
ascending account id, and takes no other lock after them (the sweep is the last thing
before COMMIT). Two transactions can then never wait on each other in a cycle through
the ledger: each only ever waits for an account above every account it holds. It also
holds the hot rows (gateway clearing, platform revenue) only for the commit itself.

Postings are inserted at once (their foreign key takes only a KEY SHARE lock, which a
balance UPDATE does not conflict with); only the cached balance waits. Reads through
`pending` see the moves of their own transaction, and a savepoint rolled back takes
its moves with it.
"""

from __future__ import annotations

from sqlalchemy import bindparam, event, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from laotie.models import LedgerAccount
from laotie.models.base import table_of

_KEY = "ledger.balance_moves"  # session.info: [(transaction posted in, {account id: amount})]
Moves = list[tuple[SessionTransaction, dict[int, int]]]
_ACCOUNTS = table_of(LedgerAccount)
_MOVE_BALANCE = (update(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("account"))
                 .values(balance=_ACCOUNTS.c.balance + bindparam("amount")))


def add(s: AsyncSession, moves: dict[int, int]) -> None:
    """Remember balance moves of an entry just posted; they are applied at commit."""
    sync = s.sync_session
    tx = sync.get_nested_transaction() or sync.get_transaction()
    assert tx is not None, "ledger entries are posted inside a transaction"
    sync.info.setdefault(_KEY, []).append((tx, moves))


def pending(s: AsyncSession | Session) -> dict[int, int]:
    """This transaction's balance moves not applied yet, by account id."""
    info = s.info
    totals: dict[int, int] = {}
    for _tx, moves in info.get(_KEY, ()):
        for account_id, amount in moves.items():
            totals[account_id] = totals.get(account_id, 0) + amount
    return totals


def _sweep(session: Session) -> None:
    # Objects still unflushed would otherwise be written after the sweep, taking their
    # row locks while the ledger's are held.
    session.flush()
    totals = pending(session)
    session.info.pop(_KEY, None)
    moves = [{"account": account_id, "amount": totals[account_id]} for account_id in sorted(totals)
             if totals[account_id]]
    if moves:
        # One prepared statement, executed for each account in ascending id order (executemany
        # keeps the order): a settlement batch moving thousands of balances costs one round of
        # Core executions, not an ORM statement per account. Runs inside the async session's
        # greenlet, so the sync call awaits the driver.
        session.connection().execute(_MOVE_BALANCE, moves)


async def apply_now(s: AsyncSession) -> None:
    """Apply the moves at once (for `ledger check` within a transaction that has posted)."""
    await s.run_sync(_sweep)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if _KEY not in session.info or session.get_nested_transaction() is not None:
        return  # nothing posted, or a savepoint released: its moves go with the whole transaction
    _sweep(session)


def _within(tx: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while tx is not None:
        if tx is ancestor:
            return True
        tx = tx.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    moves: Moves | None = session.info.get(_KEY)
    if moves:
        session.info[_KEY] = [(tx, m) for tx, m in moves if not _within(tx, previous)]


@event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_KEY, None)

