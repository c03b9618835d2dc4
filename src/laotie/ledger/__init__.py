"""Ledger: double-entry accounts, immutable journal entries, balances and the check."""
