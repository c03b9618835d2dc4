"""HTTP for the shop experience score: a shop's score, its history and diagnosis; recompute on demand."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["score"])
