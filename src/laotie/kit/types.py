"""Bounded scalar types shared by schemas, so no input can overflow a column or carry NUL."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field

MAX_ID = 2**63 - 1
MAX_FEN = 10**12  # ¥10 billion: far above any single price, far below BIGINT


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Name = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_no_nul)]
ShortText = Annotated[str, Field(max_length=500), AfterValidator(_no_nul)]
LongText = Annotated[str, Field(max_length=20_000), AfterValidator(_no_nul)]
Fen = Annotated[int, Field(ge=0, le=MAX_FEN)]
PositiveFen = Annotated[int, Field(ge=1, le=MAX_FEN)]
Quantity = Annotated[int, Field(ge=1, le=999)]
Stock = Annotated[int, Field(ge=0, le=10_000_000)]
Bps = Annotated[int, Field(ge=0, le=10_000)]
RefId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
