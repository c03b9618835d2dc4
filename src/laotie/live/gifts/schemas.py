"""Coin, gift and ranking request and response models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class GiftOut(BaseModel):
    code: str
    name: str
    emoji: str
    coins: int


class CoinPurchaseIn(BaseModel):
    coins: Annotated[int, Field(ge=1, le=100_000)]


class CoinPurchaseOut(BaseModel):
    id: int
    coins: int
    amount: int
    status: str
    payment_id: int
    pay_url: str


class WalletOut(BaseModel):
    coins: int
    coin_value_fen: int
    packs: list[int]


class GiftSendIn(BaseModel):
    gift: Annotated[str, Field(min_length=1, max_length=20)]
    count: Annotated[int, Field(ge=1, le=99)] = 1


class GiftSentOut(BaseModel):
    id: int
    gift: str
    count: int
    coins: int
    balance: int


class RankEntryOut(BaseModel):
    rank: int
    user_id: int
    name: str
    coins: int


class GiftRankingOut(BaseModel):
    session_id: int
    total_coins: int
    ranking: list[RankEntryOut]


class GiftEarningsOut(BaseModel):
    earnings: int  # fen
    creator_share_bps: int

