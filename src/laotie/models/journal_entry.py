"""Journal entries: immutable; a correction is a new entry that reverses an old one."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId, CreatedMixin, IdMixin


class JournalEntry(IdMixin, CreatedMixin, Base):
    __tablename__ = "journal_entries"
    # One entry per business fact: posting the same fact twice is refused by the database.
    __table_args__ = (UniqueConstraint("kind", "ref"),)

    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    ref: Mapped[str] = mapped_column(String(80), nullable=False)
    memo: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    reverses_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("journal_entries.id"))
