"""Ledger accounts; `balance` is a cache of the sum of postings, checked by `ledger check`."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, CreatedMixin, IdMixin


class LedgerAccount(IdMixin, CreatedMixin, Base):
    __tablename__ = "ledger_accounts"

    # e.g. "platform:gateway_clearing", "shop:12:pending", "buyer:7:refund_payable"
    code: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    # asset accounts grow with debits; liability and revenue accounts grow with credits
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    # Signed sum of postings: debits positive, credits negative.
    balance: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
