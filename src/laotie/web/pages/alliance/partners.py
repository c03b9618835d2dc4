"""Group leaders' (团长) and MCNs' (机构) alliance pages, and a leader's sub-library for creators."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter, Request, Response

from laotie.alliance.leaders import service as leaders
from laotie.alliance.mcn import service as mcn
from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.http import Session
from laotie.kit.types import MAX_ID, PathId
from laotie.models import User, utcnow
from laotie.web.pages.alliance.merchant import rate_bps
from laotie.web.render import Form, PageUser, attempt, number, redirect, render, text

router = APIRouter(prefix="/alliance", include_in_schema=False)
OFFER_STATES = ("proposed", "accepted", "declined", "ended")
CONTRACT_STATES = ("offered", "active", "declined", "withdrawn", "ended")


def _refusal(exc: DomainError, at: str) -> dict[str, Any]:
    return {"error": exc.message, "error_code": exc.code, "error_at": at}


# ---- group leaders (团长): any creator may recruit library products for other creators ----


async def _leader_page(request: Request, s: Session, user: User, exc: DomainError | None = None,
                       at: str = "") -> Response:
    require_role(user, "creator")
    return render(request, "alliance/leader.html", status_code=exc.status if exc else 200, user=user,
                  offers=await leaders.my_offers(s, user, OFFER_STATES), sales=await leaders.sales(s, user),
                  listing=request.query_params.get("listing", "")[:18], **(_refusal(exc, at) if exc else {}))


@router.get("/leader")
async def leader_page(request: Request, s: Session, user: PageUser) -> Response:
    """The leader's offers to merchants and their state, and the fees earned on their creators' sales."""
    return await _leader_page(request, s, user)


@router.post("/leader/offers")
async def propose_offer(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    try:
        listing_id = number(data, "listing_id", lo=1, hi=MAX_ID)
        if listing_id is None:
            raise DomainError("give the listing's number", code="invalid_request", status=422, field="listing_id")
        fee = rate_bps(data, "fee")
        async with attempt(s):
            await leaders.propose_offer(s, user, listing_id, fee)
    except DomainError as exc:
        return await _leader_page(request, s, user, exc, "propose")
    return redirect("/alliance/leader")


@router.post("/leader/offers/{offer_id}/end")
async def end_offer(request: Request, offer_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            await leaders.end_offer(s, user, offer_id)
    except DomainError as exc:
        return await _leader_page(request, s, user, exc, f"offer-{offer_id}")
    return redirect("/alliance/leader")


async def _sub_library(request: Request, s: Session, user: User, leader_id: int, exc: DomainError | None = None
                       ) -> Response:
    return render(request, "alliance/sub_library.html", status_code=exc.status if exc else 200, user=user,
                  leader_id=leader_id, rows=await leaders.sub_library(s, leader_id, limit=50),
                  **(_refusal(exc, "take") if exc else {}))


@router.get("/leaders/{leader_id}")
async def sub_library(request: Request, leader_id: PathId, s: Session, user: PageUser) -> Response:
    """A group leader's sub-library: products whose merchants accepted the leader's offer."""
    return await _sub_library(request, s, user, leader_id)


@router.post("/leaders/{leader_id}/take/{listing_id}")
async def take_through_leader(request: Request, leader_id: PathId, listing_id: PathId, s: Session, user: PageUser,
                              data: Form) -> Response:
    try:
        async with attempt(s):
            await leaders.take_through_leader(s, user, leader_id, listing_id)
    except DomainError as exc:
        return await _sub_library(request, s, user, leader_id, exc)
    return redirect("/alliance/showcase")


# ---- MCN contracts (机构签约): the MCN's side and the creator's side on one page ----


async def _mcn_page(request: Request, s: Session, user: User, exc: DomainError | None = None,
                    at: str = "") -> Response:
    is_mcn = user.has_role("provider")
    if not (is_mcn or user.has_role("creator")):
        require_role(user, "creator")
    contracts = await mcn.contracts(s, user, CONTRACT_STATES)
    return render(request, "alliance/mcn.html", status_code=exc.status if exc else 200, user=user, is_mcn=is_mcn,
                  as_mcn=[c for c in contracts if c.mcn_id == user.id],
                  as_creator=[c for c in contracts if c.creator_id == user.id],
                  performance=await mcn.creators_sales(s, user) if is_mcn else [], now=utcnow(),
                  **(_refusal(exc, at) if exc else {}))


@router.get("/mcn")
async def mcn_page(request: Request, s: Session, user: PageUser) -> Response:
    return await _mcn_page(request, s, user)


def _end_date(raw: str) -> datetime:
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise DomainError("choose the contract's last day", code="invalid_request", status=422,
                          field="ends_at") from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


@router.post("/mcn/contracts")
async def offer_contract(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    try:
        creator_id = number(data, "creator_id", lo=1, hi=MAX_ID)
        if creator_id is None:
            raise DomainError("give the creator's number", code="invalid_request", status=422, field="creator_id")
        share, ends_at = rate_bps(data, "share"), _end_date(text(data, "ends_at", 10))
        async with attempt(s):
            await mcn.offer_contract(s, user, creator_id, share, ends_at)
    except DomainError as exc:
        return await _mcn_page(request, s, user, exc, "offer")
    return redirect("/alliance/mcn")


ACTIONS = {"accept": mcn.accept_contract, "decline": mcn.decline_contract, "withdraw": mcn.withdraw_contract,
           "end": mcn.agree_to_end}


@router.post("/mcn/contracts/{contract_id}/{action}")
async def contract_action(request: Request, contract_id: PathId, action: str, s: Session, user: PageUser,
                          data: Form) -> Response:
    try:
        act = ACTIONS.get(action)
        if act is None:
            raise DomainError("no such action", code="not_found", status=404)
        async with attempt(s):
            await act(s, user, contract_id)
    except DomainError as exc:
        return await _mcn_page(request, s, user, exc, f"contract-{contract_id}")
    return redirect(f"/alliance/mcn#contract-{contract_id}")
