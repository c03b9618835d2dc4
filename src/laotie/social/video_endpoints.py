"""HTTP for short videos: upload, the video cart, plays, likes and comments."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["videos"])
