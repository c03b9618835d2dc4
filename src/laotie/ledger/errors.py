"""Ledger error codes."""

from laotie.kit.errors import DomainError


class UnbalancedEntry(DomainError):
    """Raised before anything is written: an entry whose postings do not sum to zero."""

    code = "unbalanced_entry"
    status = 500
