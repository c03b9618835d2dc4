"""Governance pages: the operator's queues (cases, appeals, claims, fraud rings) and an account's cases."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
