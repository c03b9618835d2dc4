"""Live chat over WebSocket: comments, likes, moderation, and every room event, batched per viewer."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["live chat"])
