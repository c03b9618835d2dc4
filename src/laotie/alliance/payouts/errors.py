"""Payout error codes: withdrawals refused, unknown payouts, callbacks that do not fit."""

from laotie.kit.errors import Conflict, DomainError, InvalidState, NotFound


class PayoutNotFound(NotFound):
    code = "payout_not_found"


class BelowMinimum(DomainError):
    code = "payout_below_minimum"
    status = 400


class InsufficientBalance(Conflict):
    """More than the available commission."""

    code = "insufficient_balance"


class NegativeBalance(Conflict):
    """Clawbacks took the available commission below zero: it is owed back, nothing can be withdrawn."""

    code = "balance_negative"


class PayoutDecided(InvalidState):
    """The payout is already paid or failed; a different outcome cannot replace it."""

    code = "payout_already_decided"


class PayoutMismatch(DomainError):
    """A callback's amount or currency is not the payout's."""

    code = "amount_mismatch"
    status = 400
