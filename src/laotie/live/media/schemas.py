"""Viewer latency report models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from laotie.live.media.latency import MAX_LATENCY_MS


class LatencyIn(BaseModel):
    latency_ms: Annotated[int | None, Field(
        ge=0, le=MAX_LATENCY_MS,
        description="How far the frame on screen is behind the server's clock, in ms; null to ask for the "
                    "server's time only (a player that has not measured yet).")] = None


class LatencyOut(BaseModel):
    server_time_ms: int = Field(description="The server's clock (Unix ms) as it answered: a player estimates its "
                                            "offset from it and the round trip, as NTP does.")
    recorded: bool
