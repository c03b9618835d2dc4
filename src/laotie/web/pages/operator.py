"""The operator's pages: categories and their commission rates (扣点)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from laotie.catalog import service as catalog
from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.events import outbox_lag
from laotie.kit.http import Session
from laotie.kit.money import parse_yuan
from laotie.kit.types import MAX_ID, PathId
from laotie.ledger import service as ledger
from laotie.models import User
from laotie.web.render import Form, PageUser, attempt, number, redirect, render, text

router = APIRouter(prefix="/operator", include_in_schema=False)


async def _page(request: Request, s: Session, user: User, status_code: int = 200, **extra: object) -> Response:
    require_role(user, "operator")
    return render(request, "operator/categories.html", status_code=status_code, user=user,
                  categories=await catalog.list_categories(s), platform=await ledger.platform_balances(s),
                  outbox=await outbox_lag(s), **extra)


@router.get("")
async def categories(request: Request, s: Session, user: PageUser) -> Response:
    return await _page(request, s, user)


def _bps(data: dict[str, str]) -> int:
    """The form takes a percentage with up to two decimals: '5.5' → 550 bps."""
    try:
        bps = parse_yuan(text(data, "rate", 8))  # same shape: a number with two decimals, ×100
    except ValueError:
        raise DomainError("enter a rate such as 5 or 2.5", code="invalid_request", status=422,
                          field="rate") from None
    if bps > 10_000:
        raise DomainError("a rate is at most 100%", code="invalid_request", status=422, field="rate")
    return bps


@router.post("/categories")
async def create_category(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            name = text(data, "name", 80)
            if not name:
                raise DomainError("give the category a name", code="invalid_request", status=422, field="name")
            await catalog.create_category(s, user, name=name, commission_bps=_bps(data),
                                          parent_id=number(data, "parent_id", lo=1, hi=MAX_ID))
    except DomainError as exc:
        return await _page(request, s, user, status_code=exc.status, error=exc.message)
    return redirect("/operator")


@router.post("/categories/{category_id}/rate")
async def set_rate(request: Request, category_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            await catalog.set_commission_rate(s, user, category_id, _bps(data))
    except DomainError as exc:
        return await _page(request, s, user, status_code=exc.status, error=exc.message)
    return redirect("/operator")
