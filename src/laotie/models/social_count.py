"""Fan and following counts per account, kept by conditional updates so a profile never counts rows."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base, BigId


class SocialCount(Base):
    __tablename__ = "social_counts"
    __table_args__ = (CheckConstraint("fans >= 0 AND following >= 0", name="not_negative"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    fans: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    following: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
