"""The merchant's score page (店铺体验分) with each indicator and what to do about it."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
