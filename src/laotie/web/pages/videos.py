"""Short-video pages: the player with its product cart, upload for creators and merchants."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
