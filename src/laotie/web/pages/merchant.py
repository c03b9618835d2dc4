"""The merchant console: shop settings, products with SKUs and stock, orders to ship, balances."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from laotie.catalog import service as catalog
from laotie.catalog.errors import NoShop
from laotie.identity import service as identity
from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.limits import upload, uploaded_files
from laotie.kit.money import parse_yuan
from laotie.kit.types import MAX_ID, PathId
from laotie.ledger import service as ledger
from laotie.models import ORDER_STATUSES, User
from laotie.orders.service import queries
from laotie.web.i18n import N_
from laotie.web.render import Form, PageUser, attempt, number, redirect, refusal, render, text

router = APIRouter(prefix="/merchant", include_in_schema=False)

# A product's state as the console names it; the templates translate it: _(product_status[p.status]).
PRODUCT_STATUS = {"draft": N_("Draft"), "published": N_("On sale"), "unpublished": N_("Off the shelf")}


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
                  categories=await catalog.list_categories(s), product_status=PRODUCT_STATUS)


async def _products_refusal(request: Request, s: Session, user: User, exc: DomainError) -> Response:
    shop, items, skus = await catalog.shop_products(s, user)
    return refusal(request, "merchant/products.html", exc, user=user, shop=shop, items=items, skus=skus,
                   categories=await catalog.list_categories(s), product_status=PRODUCT_STATUS)


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


def attributes_text(attributes: dict[str, str]) -> str:
    """The inverse of parse_attributes, to fill the options field."""
    return ", ".join(f"{k}={v}" for k, v in attributes.items())


async def _edit_page(request: Request, s: Session, user: User, product_id: int, status_code: int = 200,
                     **extra: object) -> Response:
    product = await catalog.owned_product(s, user, product_id)
    view = await catalog.product_view(s, product.id, viewer=user)
    return render(request, "merchant/product_edit.html", status_code=status_code, user=user, view=view,
                  categories=await catalog.list_categories(s), attributes_text=attributes_text,
                  product_status=PRODUCT_STATUS, **extra)


# What the edit page says after each kind of change; the template translates it: _(saved).
EDIT_NOTICES = {"details": N_("Saved."), "images": N_("Images updated."), "sku": N_("Option saved."),
                "sku-added": N_("Option added."), "sku-removed": N_("Option removed.")}


def _edited(product_id: int, what: str) -> Response:
    return redirect(f"/merchant/products/{product_id}?saved={what}")


@router.get("/products/{product_id}")
async def edit_product(request: Request, product_id: PathId, s: Session, user: PageUser) -> Response:
    """Everything about one product after it was created: details, images, options and their stock."""
    return await _edit_page(request, s, user, product_id,
                            saved=EDIT_NOTICES.get(request.query_params.get("saved", "")))


@router.post("/products/{product_id}/images/{image_id}/{action}")
async def image_action(request: Request, product_id: PathId, image_id: PathId, action: str, s: Session,
                       user: PageUser, _data: Form) -> Response:
    try:
        async with attempt(s):
            if action == "remove":
                await catalog.remove_product_image(s, user, product_id, image_id)
            elif action in ("up", "down"):
                ids = [i.id for i in (await catalog.product_view(s, product_id, viewer=user)).images]
                if image_id not in ids:
                    raise DomainError("no such image on this product", code="image_not_found", status=404)
                i = ids.index(image_id)
                j = i - 1 if action == "up" else i + 1
                if 0 <= j < len(ids):
                    ids[i], ids[j] = ids[j], ids[i]
                await catalog.reorder_product_images(s, user, product_id, ids)
            else:
                raise DomainError("unknown action", code="not_found", status=404)
    except DomainError as exc:
        return await _edit_page(request, s, user, product_id, status_code=exc.status, error=exc.message,
                                error_code=exc.code)
    return _edited(product_id, "images")


@router.post("/products/{product_id}/{action}")
async def product_action(request: Request, product_id: PathId, action: str, s: Session, user: PageUser,
                         data: Form) -> Response:
    if action in ("details", "add-sku"):
        try:
            async with attempt(s):
                if action == "details":
                    await catalog.update_product(s, user, product_id, {
                        "title": text(data, "title", 200), "description": text(data, "description", 20_000),
                        "category_id": number(data, "category_id", lo=1, hi=MAX_ID) or 0})
                else:
                    await catalog.add_sku(s, user, product_id, sku_draft(data))
        except DomainError as exc:
            return await _edit_page(request, s, user, product_id, status_code=exc.status, error=exc.message,
                                    error_code=exc.code, form=data)
        return _edited(product_id, "details" if action == "details" else "sku-added")
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


def _stock_delta(data: dict[str, str]) -> int | None:
    """The change of stock a form asks for: a +/- delta, or a new figure against the one the page showed.

    Against the figure shown, not the one stored now: units sold while the merchant typed stay sold."""
    if data.get("stock", "").strip():
        target = number(data, "stock", lo=0, hi=10_000_000)
        shown = number(data, "stock_shown", lo=0, hi=10_000_000)
        if target is None or shown is None:
            raise DomainError("stock is a whole number, 0 or more", code="invalid_request", status=422,
                              field="stock")
        return target - shown
    return number(data, "stock_delta", lo=-10_000_000, hi=10_000_000)


@router.post("/skus/{sku_id}")
async def update_sku(request: Request, sku_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    on_edit_page = data.get("back") == "edit"
    try:
        async with attempt(s):
            price = _yuan(data, "price") if data.get("price", "").strip() else None
            limit_raw = data.get("purchase_limit")
            limit = number(data, "purchase_limit", lo=1, hi=10_000) if limit_raw else None
            if limit_raw and limit is None:
                raise DomainError("max per buyer is a whole number from 1", code="invalid_request", status=422,
                                  field="purchase_limit")
            sku = await catalog.update_sku(
                s, user, sku_id, price=price, stock_delta=_stock_delta(data) or None,
                attributes=parse_attributes(text(data, "attributes", 300)) if "attributes" in data else None,
                purchase_limit=limit, clear_limit=on_edit_page and limit_raw is not None and not limit_raw.strip())
    except DomainError as exc:
        if on_edit_page:
            found = await catalog.sku_with_product(s, sku_id)
            if found is not None:
                return await _edit_page(request, s, user, found[1].id, status_code=exc.status,
                                        error=exc.message, error_code=exc.code)
        return await _products_refusal(request, s, user, exc)
    if on_edit_page:
        return _edited(sku.product_id, "sku")
    return redirect(f"/merchant/products#p{sku.product_id}")


@router.post("/skus/{sku_id}/remove")
async def remove_sku(request: Request, sku_id: PathId, s: Session, user: PageUser, _data: Form) -> Response:
    found = await catalog.sku_with_product(s, sku_id)
    try:
        async with attempt(s):
            product = await catalog.remove_sku(s, user, sku_id)
    except DomainError as exc:
        if found is None:
            raise
        return await _edit_page(request, s, user, found[1].id, status_code=exc.status, error=exc.message,
                                error_code=exc.code)
    return _edited(product.id, "sku-removed")


@router.post("/products/{product_id}/images/upload")
@upload("image")
async def upload_image(request: Request, product_id: PathId, s: Session, user: PageUser, form: Form) -> Response:
    """Signed in and CSRF-checked (from the form's action URL) before the file is read."""
    settings = get_db(request).settings
    files = await uploaded_files(request, "file", required=False)
    data = await files[0].read(settings.max_image_bytes + 1) if files else b""
    try:
        async with attempt(s):
            await catalog.add_product_image(s, user, product_id, data, media_dir=settings.media_dir,
                                            max_bytes=settings.max_image_bytes)
    except DomainError as exc:
        if form.get("back") == "edit":
            return await _edit_page(request, s, user, product_id, status_code=exc.status, error=exc.message,
                                    error_code=exc.code)
        return await _products_refusal(request, s, user, exc)
    if form.get("back") == "edit":
        return _edited(product_id, "images")
    return redirect(f"/merchant/products#p{product_id}")


@router.get("/orders")
async def orders(request: Request, s: Session, user: PageUser,
                 status: Annotated[str, Query(pattern="^(all|" + "|".join(ORDER_STATUSES) + ")$")] = "paid"
                 ) -> Response:
    shop, items, lines, counts = await queries.shop_orders(s, user, None if status == "all" else status)
    shipped = request.query_params.get("order", "") if request.query_params.get("done") == "shipped" else ""
    return render(request, "merchant/orders.html", user=user, shop=shop, orders=items, lines=lines,
                  counts=counts, status=status, statuses=ORDER_STATUSES,
                  shipped_order=shipped if shipped.isdigit() else None)
