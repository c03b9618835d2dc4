"""What anyone can browse: the home page with search, product pages, shop pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from laotie.catalog import service as catalog
from laotie.catalog.repository import ProductQuery
from laotie.kit.http import Session
from laotie.kit.money import parse_yuan
from laotie.kit.types import MAX_ID, PathId
from laotie.live.service import rooms
from laotie.models import utcnow
from laotie.web.i18n import N_
from laotie.web.render import MaybeUser, render

router = APIRouter(include_in_schema=False)
SORT_LABELS = {"newest": N_("Newest"), "sales": N_("Best selling"), "price_asc": N_("Price ↑"),
               "price_desc": N_("Price ↓")}


def _price(text: str | None) -> int | None:
    try:
        return parse_yuan(text) if text else None
    except ValueError:
        return None


@router.get("/")
async def home(
    request: Request, s: Session, user: MaybeUser,
    q: Annotated[str, Query(max_length=80)] = "",
    category: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sort: Annotated[str, Query(pattern="^(newest|sales|price_asc|price_desc)$")] = "newest",
    min_price: Annotated[str | None, Query(max_length=12)] = None,
    max_price: Annotated[str | None, Query(max_length=12)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    query = ProductQuery(q=q.replace("\x00", "").strip() or None, sort=sort, min_price=_price(min_price),
                         max_price=_price(max_price), page=page, per_page=24)
    rows, total = await catalog.search(s, query, category)
    # The live strip (直播) heads the unfiltered first page only.
    unfiltered = page == 1 and not q and not category
    on_air = await rooms.rooms_now(s, utcnow(), live_limit=12, upcoming_limit=6) if unfiltered else None
    return render(request, "home.html", user=user, rows=rows, total=total, q=q, category=category, sort=sort,
                  rooms=on_air,
                  sorts=SORT_LABELS, categories=await catalog.list_categories(s), page=page,
                  pages=max(1, -(-total // 24)), min_price=min_price or "", max_price=max_price or "")


@router.get("/products/{product_id}")
async def product(request: Request, product_id: PathId, s: Session, user: MaybeUser) -> Response:
    view = await catalog.product_view(s, product_id, user)
    return render(request, "product.html", user=user, view=view)


@router.get("/shops/{shop_id}")
async def shop(request: Request, shop_id: PathId, s: Session, user: MaybeUser,
               page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> Response:
    shop = await catalog.get_shop(s, shop_id)
    rows, total = await catalog.search(s, ProductQuery(shop_id=shop.id, sort="sales", page=page))
    return render(request, "shop.html", user=user, shop=shop, rows=rows, total=total, page=page,
                  pages=max(1, -(-total // 24)))
