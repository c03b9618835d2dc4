"""HTTP for deposits: a shop's deposit and top-ups, and the operator's requirement per category."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from laotie.catalog import service as catalog
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.models import DepositTopup
from laotie.orders.gateway import gateway_for
from laotie.trust.deposits import service as deposits

router = APIRouter(prefix="/api/v1", tags=["deposits"])

Amount = Annotated[int, Field(ge=1, le=deposits.MAX_TOPUP)]


class DepositOut(BaseModel):
    shop_id: int
    balance: int
    required: int
    shortfall: int
    frozen: bool


class TopupIn(BaseModel):
    amount: Amount


class TopupOut(BaseModel):
    id: int
    amount: int
    status: str
    payment_id: int
    pay_url: str


class RequirementIn(BaseModel):
    amount: Annotated[int, Field(ge=0, le=deposits.MAX_TOPUP)]


def topup_out(request: Request, t: DepositTopup) -> TopupOut:
    return TopupOut(id=t.id, amount=t.amount, status=t.status, payment_id=t.payment_id,
                    pay_url=gateway_for(get_db(request).settings).pay_url(t.payment_id))


@router.get("/shops/mine/deposit")
async def my_deposit(user: CurrentUser, s: Session) -> DepositOut:
    shop = await catalog.my_shop(s, user)
    st = await deposits.status(s, shop.id)
    return DepositOut(shop_id=shop.id, balance=st.balance, required=st.required, shortfall=st.shortfall,
                      frozen=st.frozen)


@router.post("/shops/mine/deposit/topups", status_code=201)
async def top_up(body: TopupIn, request: Request, user: CurrentUser, s: Session) -> TopupOut:
    """Pay into the deposit at `pay_url`; it is credited when the payment succeeds."""
    return topup_out(request, await deposits.open_topup(s, get_db(request).settings, user, body.amount))


@router.get("/shops/mine/deposit/topups/{topup_id}")
async def get_topup(topup_id: PathId, request: Request, user: CurrentUser, s: Session) -> TopupOut:
    return topup_out(request, await deposits.topup_of(s, user, topup_id))


@router.put("/categories/{category_id}/deposit", status_code=204)
async def set_requirement(category_id: PathId, body: RequirementIn, user: CurrentUser, s: Session) -> None:
    await deposits.set_category_deposit(s, user, category_id, body.amount)
