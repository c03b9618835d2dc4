"""The merchant console: shop settings, products with SKUs and stock, orders to ship, balances."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from laotie.catalog import service as catalog
from laotie.catalog.errors import NoShop
from laotie.identity import service as identity
from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.money import parse_yuan
from laotie.kit.types import MAX_ID, PathId
from laotie.ledger import service as ledger
from laotie.models import ORDER_STATUSES, User
from laotie.orders.service import queries
from laotie.web.render import Form, PageUser, attempt, number, redirect, refusal, render, text

router = APIRouter(prefix="/merchant", include_in_schema=False)


def parse_attributes(raw: str) -> dict[str, str]:
    """'colour=red, size=M' → {'colour': 'red', 'size': 'M'}."""
    out: dict[str, str] = {}
    for part in raw.split(","):
        key, sep, value = part.partition("=")
        if sep and key.strip() and value.strip():
            out[key.strip()[:20]] = value.strip()[:40]
    if len(out) > 5:
        raise DomainError("at most 5 attributes", code="invalid_request", status=422, field="attributes")
    return out


def _yuan(data: dict[str, str], name: str) -> int:
    try:
        value = parse_yuan(data.get(name, ""))
    except ValueError:
        value = 0
    if not 0 < value <= 10**12:
        raise DomainError("enter a price such as 59.90", code="invalid_request", status=422, field=name)
    return value


def sku_draft(data: dict[str, str]) -> catalog.SkuDraft:
    return catalog.SkuDraft(
        price=_yuan(data, "price"), stock=number(data, "stock", lo=0, hi=10_000_000) or 0,
        code=text(data, "code", 60), attributes=parse_attributes(text(data, "attributes", 300)),
        purchase_limit=number(data, "purchase_limit", lo=1, hi=10_000),
    )


async def _console(request: Request, s: Session, user: User, status_code: int = 200, **extra: object) -> Response:
    if not user.has_role("merchant"):
        return render(request, "merchant/open_shop.html", status_code=status_code, user=user, becoming_merchant=True,
                      **extra)
    try:
        shop = await catalog.my_shop(s, user)
    except NoShop:
        return render(request, "merchant/open_shop.html", status_code=status_code, user=user, **extra)
    balances = await ledger.shop_balances(s, shop.id)
    _, _, _, counts = await queries.shop_orders(s, user, "paid", limit=1)
    return render(request, "merchant/console.html", status_code=status_code, user=user, shop=shop,
                  balances=balances, counts=counts, **extra)


@router.get("")
async def console(request: Request, s: Session, user: PageUser) -> Response:
    if not user.has_role("merchant"):
        # A creator starts selling here: opening a shop makes them a merchant too (a self-served role).
        require_role(user, "creator")
    return await _console(request, s, user)


@router.post("/shop")
async def save_shop(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    name, description = text(data, "name", 80), text(data, "description", 500)
    try:
        async with attempt(s):
            if not name:
                raise DomainError("give the shop a name", code="invalid_request", status=422, field="name")
            if not user.has_role("merchant") and user.has_role("creator"):
                await identity.add_own_role(s, user, "merchant")
            try:
                await catalog.update_shop(s, user, name=name, description=description)
            except NoShop:
                await catalog.open_shop(s, user, name=name, description=description)
    except DomainError as exc:
        return await _console(request, s, user, status_code=exc.status, error=exc.message)
    return redirect("/merchant")


@router.get("/products")
async def products(request: Request, s: Session, user: PageUser) -> Response:
    shop, items, skus = await catalog.shop_products(s, user)
    return render(request, "merchant/products.html", user=user, shop=shop, items=items, skus=skus,
                  categories=await catalog.list_categories(s))


async def _products_refusal(request: Request, s: Session, user: User, exc: DomainError) -> Response:
    shop, items, skus = await catalog.shop_products(s, user)
    return refusal(request, "merchant/products.html", exc, user=user, shop=shop, items=items, skus=skus,
                   categories=await catalog.list_categories(s))


@router.post("/products")
async def create_product(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            external_url = text(data, "external_url", 500) or None
            if external_url and not external_url.startswith(("http://", "https://")):
                raise DomainError("the link must start with http:// or https://", code="invalid_request",
                                  status=422, field="external_url")
            draft = catalog.ProductDraft(
                title=text(data, "title", 120), category_id=number(data, "category_id", lo=1, hi=MAX_ID) or 0,
                description=text(data, "description", 20_000), external_url=external_url,
                external_channel=text(data, "external_channel", 40) or None,
                skus=[] if external_url else [sku_draft(data)],
            )
            if not draft.title:
                raise DomainError("give the product a title", code="invalid_request", status=422, field="title")
            product = await catalog.create_product(s, user, draft)
            if data.get("publish"):
                await catalog.publish_product(s, user, product.id)
    except DomainError as exc:
        return await _products_refusal(request, s, user, exc)
    return redirect("/merchant/products")


@router.post("/products/{product_id}/{action}")
async def product_action(request: Request, product_id: PathId, action: str, s: Session, user: PageUser,
                         data: Form) -> Response:
    try:
        async with attempt(s):
            if action == "publish":
                await catalog.publish_product(s, user, product_id)
            elif action == "unpublish":
                await catalog.unpublish_product(s, user, product_id)
            elif action == "sku":
                await catalog.add_sku(s, user, product_id, sku_draft(data))
            else:
                raise DomainError("unknown action", code="not_found", status=404)
    except DomainError as exc:
        return await _products_refusal(request, s, user, exc)
    return redirect(f"/merchant/products#p{product_id}")


@router.post("/skus/{sku_id}")
async def update_sku(request: Request, sku_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            price = _yuan(data, "price") if data.get("price", "").strip() else None
            delta = number(data, "stock_delta", lo=-10_000_000, hi=10_000_000)
            sku = await catalog.update_sku(s, user, sku_id, price=price, stock_delta=delta or None)
    except DomainError as exc:
        return await _products_refusal(request, s, user, exc)
    return redirect(f"/merchant/products#p{sku.product_id}")


@router.post("/products/{product_id}/images/upload")
async def upload_image(request: Request, product_id: PathId, s: Session, user: PageUser,
                       file: Annotated[UploadFile, File()], _data: Form) -> Response:
    settings = get_db(request).settings
    data = await file.read(settings.max_image_bytes + 1)
    try:
        async with attempt(s):
            await catalog.add_product_image(s, user, product_id, data, media_dir=settings.media_dir,
                                            max_bytes=settings.max_image_bytes)
    except DomainError as exc:
        return await _products_refusal(request, s, user, exc)
    return redirect(f"/merchant/products#p{product_id}")


@router.get("/orders")
async def orders(request: Request, s: Session, user: PageUser,
                 status: Annotated[str, Query(pattern="^(all|" + "|".join(ORDER_STATUSES) + ")$")] = "paid"
                 ) -> Response:
    shop, items, lines, counts = await queries.shop_orders(s, user, None if status == "all" else status)
    shipped = request.query_params.get("order", "") if request.query_params.get("done") == "shipped" else ""
    notice = f"Order #{shipped} shipped 已发货: the buyer has been told." if shipped.isdigit() else None
    return render(request, "merchant/orders.html", user=user, shop=shop, orders=items, lines=lines,
                  counts=counts, status=status, statuses=ORDER_STATUSES, notice=notice)
