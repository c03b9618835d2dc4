"""Social pages: profiles with their shop, the following and discovery feeds, the inbox, traffic explanations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
