"""The catalog of violations (违规类型): code, description, severity, points and default measures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.models.base import Base


class ViolationType(Base):
    __tablename__ = "violation_types"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    description: Mapped[str] = mapped_column(String(300), nullable=False)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)  # general | severe
    points: Mapped[int] = mapped_column(Integer, nullable=False)  # 0 for general, 2–100 for severe
    # e.g. [{"kind": "traffic_limit", "percent": 50, "days": 7}, {"kind": "fee", "amount": 30000}]
    measures: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
