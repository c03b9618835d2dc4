"""The operator's alliance page: commission floors per category and the platform's fee in force."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from laotie.alliance.service import listings, reports
from laotie.catalog import service as catalog
from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.http import Session
from laotie.kit.types import PathId
from laotie.models import User
from laotie.web.pages.alliance.merchant import rate_bps
from laotie.web.render import Form, PageUser, attempt, redirect, render

router = APIRouter(prefix="/operator/alliance", include_in_schema=False)


async def _page(request: Request, s: Session, user: User, exc: DomainError | None = None, at: str = "") -> Response:
    require_role(user, "operator")
    extra = {} if exc is None else {"error": exc.message, "error_code": exc.code, "error_at": at}
    return render(request, "alliance/operator.html", status_code=exc.status if exc else 200, user=user,
                  categories=await catalog.list_categories(s), floors=await reports.floors(s), **extra)


@router.get("")
async def floors_page(request: Request, s: Session, user: PageUser) -> Response:
    return await _page(request, s, user)


@router.post("/floors/{category_id}")
async def set_floor(request: Request, category_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            await listings.set_floor(s, user, category_id, rate_bps(data, "floor"))
    except DomainError as exc:
        return await _page(request, s, user, exc, f"floor-{category_id}")
    return redirect(f"/operator/alliance#floor-{category_id}")
