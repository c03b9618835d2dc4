"""Payout requests and responses, and the earnings chart."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from laotie.kit.types import PositiveFen


class PayoutIn(BaseModel):
    amount: PositiveFen


class SandboxPayoutDecisionIn(BaseModel):
    outcome: Literal["paid", "failed"]


class PayoutOut(BaseModel):
    id: int
    amount: int
    currency: str
    status: str
    gateway: str
    gateway_ref: str | None
    failure_reason: str | None
    created_at: datetime
    sent_at: datetime | None
    decided_at: datetime | None


class PayoutNotificationOut(BaseModel):
    payout_id: int
    result: str


class EarningsDayOut(BaseModel):
    day: date
    estimated: int
    settled: int
    reversed: int
