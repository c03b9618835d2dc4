"""Withdrawing commission: the creator's payouts page and the sandbox gateway's page that pays or fails one."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from laotie.alliance.payouts import service as payouts
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.ledger import service as ledger
from laotie.models import User
from laotie.web.render import Form, PageUser, attempt, redirect, refusal, render, text

router = APIRouter(include_in_schema=False)
YUAN = re.compile(r"^\d{1,10}(\.\d{1,2})?$")


def fen_of(raw: str) -> int | None:
    """'12.5' → 1250; None unless a plain amount in yuan with at most two decimals."""
    if not YUAN.match(raw):
        return None
    whole, _, cents = raw.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


async def _context(request: Request, s: Session, user: User) -> dict[str, Any]:
    balances = await ledger.commission_balances(s, user.id)
    mine = await payouts.payouts_of(s, user, limit=50)
    return {"user": user, "available": balances.available, "pending": balances.pending,
            "in_flight": sum(p.amount for p in mine if p.status == "processing"), "payouts": mine,
            "minimum": get_db(request).settings.alliance_payout_min}


@router.get("/me/payouts")
async def payouts_page(request: Request, s: Session, user: PageUser) -> Response:
    return render(request, "payouts.html", **await _context(request, s, user))


@router.post("/me/payouts")
async def withdraw(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    amount = fen_of(text(data, "amount", 20))
    try:
        if amount is None or amount <= 0:
            raise DomainError("enter an amount in yuan, like 12.50", code="invalid_request", status=422,
                              field="amount")
        async with attempt(s):
            payout = await payouts.request_payout(s, get_db(request).settings, user, amount)
    except DomainError as exc:
        return refusal(request, "payouts.html", exc, **await _context(request, s, user))
    return redirect(f"/sandbox/payouts/{payout.id}")


@router.get("/sandbox/payouts/{payout_id}")
async def sandbox_payout_page(request: Request, payout_id: PathId, s: Session, user: PageUser) -> Response:
    payout = await payouts.payout_of(s, user, payout_id)
    return render(request, "sandbox_payout.html", user=user, payout=payout)


@router.post("/sandbox/payouts/{payout_id}")
async def sandbox_payout(request: Request, payout_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    """The gateway's decision; its signed callback lands just after, and the payouts page shows it."""
    try:
        async with attempt(s):
            await payouts.sandbox_decide_payout(s, user, payout_id, paid=data.get("decision") == "pay")
    except DomainError as exc:
        return refusal(request, "sandbox_payout.html", exc, user=user, payout=await payouts.payout_of(s, user,
                                                                                                      payout_id))
    return redirect("/me/payouts")
