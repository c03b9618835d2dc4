"""Catalog API: categories (operators), shops and products (merchants), browsing (anyone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from laotie.catalog import service
from laotie.catalog.repository import ProductQuery
from laotie.catalog.schemas import (
    CategoryIn,
    CategoryOut,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    RateIn,
    ShopIn,
    ShopOut,
    ShopPatch,
    SkuIn,
    SkuOut,
    SkuPatch,
    Sort,
)
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session, get_db
from laotie.kit.limits import multipart_body, upload, uploaded_files
from laotie.kit.types import MAX_FEN, MAX_ID, NoNul, PathId
from laotie.models import Category, Product, Shop, Sku

router = APIRouter(prefix="/api/v1", tags=["catalog"])


def category_out(c: Category) -> CategoryOut:
    return CategoryOut(id=c.id, name=c.name, parent_id=c.parent_id, commission_bps=c.commission_bps)


def shop_out(shop: Shop) -> ShopOut:
    return ShopOut(id=shop.id, name=shop.name, description=shop.description, owner_id=shop.owner_id)


def sku_out(sku: Sku) -> SkuOut:
    return SkuOut(id=sku.id, code=sku.code, attributes=sku.attributes, price=sku.price,
                  stock=sku.stock, purchase_limit=sku.purchase_limit)


def product_out(p: Product, shop: Shop, skus: list[Sku] | None = None, images: list[str] | None = None) -> ProductOut:
    return ProductOut(
        id=p.id, shop_id=p.shop_id, shop_name=shop.name, category_id=p.category_id, title=p.title,
        description=p.description, status=p.status, min_price=p.min_price, sold_count=p.sold_count,
        external_channel=p.external_channel, external_url=p.external_url,
        images=images if images is not None else ([p.cover_image] if p.cover_image else []),
        skus=[sku_out(k) for k in (skus or [])],
    )


@router.get("/categories")
async def list_categories(s: Session) -> list[CategoryOut]:
    return [category_out(c) for c in await service.list_categories(s)]


@router.post("/categories", status_code=201)
async def create_category(body: CategoryIn, user: CurrentUser, s: Session) -> CategoryOut:
    c = await service.create_category(s, user, name=body.name, commission_bps=body.commission_bps,
                                      parent_id=body.parent_id)
    return category_out(c)


@router.put("/categories/{category_id}/commission")
async def set_rate(category_id: PathId, body: RateIn, user: CurrentUser, s: Session) -> CategoryOut:
    return category_out(await service.set_commission_rate(s, user, category_id, body.commission_bps))


@router.post("/shops", status_code=201)
async def open_shop(body: ShopIn, user: CurrentUser, s: Session) -> ShopOut:
    return shop_out(await service.open_shop(s, user, name=body.name, description=body.description))


@router.get("/shops/mine")
async def my_shop(user: CurrentUser, s: Session) -> ShopOut:
    return shop_out(await service.my_shop(s, user))


@router.patch("/shops/mine")
async def update_shop(body: ShopPatch, user: CurrentUser, s: Session) -> ShopOut:
    return shop_out(await service.update_shop(s, user, name=body.name, description=body.description))


@router.get("/shops/{shop_id}")
async def get_shop(shop_id: PathId, s: Session) -> ShopOut:
    return shop_out(await service.get_shop(s, shop_id))


@router.get("/shops/mine/products")
async def my_products(user: CurrentUser, s: Session) -> list[ProductOut]:
    shop, products, skus = await service.shop_products(s, user)
    return [product_out(p, shop, skus[p.id]) for p in products]


@router.post("/products", status_code=201)
async def create_product(body: ProductIn, user: CurrentUser, s: Session) -> ProductOut:
    draft = service.ProductDraft(
        title=body.title, category_id=body.category_id, description=body.description,
        skus=[service.SkuDraft(**k.model_dump()) for k in body.skus],
        external_channel=body.external_channel,
        external_url=str(body.external_url) if body.external_url else None,
    )
    product = await service.create_product(s, user, draft)
    view = await service.product_view(s, product.id, user)
    return product_out(view.product, view.shop, view.skus)


@router.get("/products")
async def search_products(
    s: Session,
    q: Annotated[str | None, Query(max_length=80), NoNul] = None,
    category_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    min_price: Annotated[int | None, Query(ge=0, le=MAX_FEN)] = None,
    max_price: Annotated[int | None, Query(ge=0, le=MAX_FEN)] = None,
    sort: Sort = "newest",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 24,
) -> ProductPage:
    query = ProductQuery(q=q.replace("\x00", "") if q else None, shop_id=shop_id, min_price=min_price,
                         max_price=max_price, sort=sort, page=page, per_page=per_page)
    rows, total = await service.search(s, query, category_id)
    return ProductPage(items=[product_out(p, shop) for p, shop in rows], total=total, page=page, per_page=per_page)


@router.get("/products/{product_id}")
async def get_product(product_id: PathId, s: Session) -> ProductOut:
    view = await service.product_view(s, product_id)
    return product_out(view.product, view.shop, view.skus, [i.path for i in view.images])


@router.patch("/products/{product_id}")
async def update_product(product_id: PathId, body: ProductPatch, user: CurrentUser, s: Session) -> ProductOut:
    await service.update_product(s, user, product_id, body.model_dump(exclude_unset=True))
    view = await service.product_view(s, product_id, user)
    return product_out(view.product, view.shop, view.skus)


@router.post("/products/{product_id}/publish")
async def publish(product_id: PathId, user: CurrentUser, s: Session) -> ProductOut:
    p = await service.publish_product(s, user, product_id)
    return product_out(p, await service.get_shop(s, p.shop_id))


@router.post("/products/{product_id}/unpublish")
async def unpublish(product_id: PathId, user: CurrentUser, s: Session) -> ProductOut:
    p = await service.unpublish_product(s, user, product_id)
    return product_out(p, await service.get_shop(s, p.shop_id))


@router.post("/products/{product_id}/skus", status_code=201)
async def add_sku(product_id: PathId, body: SkuIn, user: CurrentUser, s: Session) -> SkuOut:
    return sku_out(await service.add_sku(s, user, product_id, service.SkuDraft(**body.model_dump())))


@router.patch("/skus/{sku_id}")
async def update_sku(sku_id: PathId, body: SkuPatch, user: CurrentUser, s: Session) -> SkuOut:
    sku = await service.update_sku(s, user, sku_id, price=body.price, purchase_limit=body.purchase_limit,
                                   clear_limit=body.clear_limit, stock_delta=body.stock_delta)
    return sku_out(sku)


@router.post("/products/{product_id}/images", status_code=201,
             openapi_extra=multipart_body({"file": "a JPEG, PNG or WebP image"}, required=("file",)))
@upload("image")
async def upload_image(product_id: PathId, request: Request, user: CurrentUser, s: Session) -> dict[str, str]:
    """The body is read only after the caller is authenticated, and never past the image limit."""
    settings = get_db(request).settings
    file = (await uploaded_files(request, "file"))[0]
    data = await file.read(settings.max_image_bytes + 1)
    image = await service.add_product_image(s, user, product_id, data, media_dir=settings.media_dir,
                                            max_bytes=settings.max_image_bytes)
    return {"path": image.path, "url": f"/media/{image.path}"}
