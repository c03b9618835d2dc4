"""Review and message pages: write a review, the shop's reply, the order's conversation."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
