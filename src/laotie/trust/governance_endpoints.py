"""HTTP for governance: violation cases, appeals, penalties, fraud rings and the audit log."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["governance"])
