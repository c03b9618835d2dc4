"""Postings: the lines of a journal entry; the amounts of one entry sum to zero."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, IdMixin


class JournalPosting(IdMixin, Base):
    __tablename__ = "journal_postings"

    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("journal_entries.id"), index=True, nullable=False)
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_accounts.id"), index=True, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)  # debit > 0, credit < 0
