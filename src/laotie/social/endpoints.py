"""HTTP for the social graph: follows, fans, the inbox, profiles and the two feeds."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["social"])
