"""Accounts (one account may hold several roles)."""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, CreatedMixin, IdMixin

ROLES = ("consumer", "creator", "merchant", "provider", "operator")


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(80), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    # Comma-separated subset of ROLES; few enough that a join table buys nothing.
    roles: Mapped[str] = mapped_column(String(100), nullable=False, default="consumer")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)

    def has_role(self, role: str) -> bool:
        return role in self.role_set
