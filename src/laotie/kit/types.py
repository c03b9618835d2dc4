"""Bounded scalar types shared by schemas, so no input can overflow a column or carry NUL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, Field

MAX_ID = 2**63 - 1
MAX_FEN = 10**12  # ¥10 billion: far above any single price, far below BIGINT


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Instants the platform deals in; outside them, shifting by a time zone or a window leaves the calendar.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _in_our_era(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError("must be from 2000-01-01 to 2099-12-31 (UTC)")
    return value.astimezone(UTC)


# PostgreSQL text cannot hold NUL: any string that reaches a query refuses it as malformed.
NoNul = AfterValidator(_no_nul)
Name = Annotated[str, Field(min_length=1, max_length=120), NoNul]
ShortText = Annotated[str, Field(max_length=500), AfterValidator(_no_nul)]
LongText = Annotated[str, Field(max_length=20_000), AfterValidator(_no_nul)]
Fen = Annotated[int, Field(ge=0, le=MAX_FEN)]
PositiveFen = Annotated[int, Field(ge=1, le=MAX_FEN)]
Quantity = Annotated[int, Field(ge=1, le=999)]
Stock = Annotated[int, Field(ge=0, le=10_000_000)]
Bps = Annotated[int, Field(ge=0, le=10_000)]
RefId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A point in time with its UTC offset, from 2000 to 2099, given back in UTC.
Instant = Annotated[AwareDatetime, AfterValidator(_in_our_era)]
