"""Catalog rules: categories and rates, shops, products and SKUs, stock, images."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import repository
from laotie.catalog.auth import ensure_merchant, ensure_operator, ensure_owns_shop
from laotie.catalog.errors import (
    BadImage,
    CategoryNotFound,
    ImageNotFound,
    ImageTooLarge,
    LastSku,
    NoShop,
    ProductIncomplete,
    ProductNotFound,
    ProductNotPublishable,
    ShopExists,
    ShopNameTaken,
    ShopNotFound,
    SkuInUse,
    SkuNotFound,
    StockWouldGoNegative,
)
from laotie.kit.events import record_event
from laotie.models import Category, Product, ProductImage, Shop, Sku, User

# ---- categories -----------------------------------------------------------------


async def create_category(
    s: AsyncSession, actor: User, *, name: str, commission_bps: int, parent_id: int | None = None
) -> Category:
    ensure_operator(actor)
    if parent_id is not None and await s.get(Category, parent_id) is None:
        raise CategoryNotFound("no such parent category", field="parent_id")
    category = Category(name=name.strip(), commission_bps=commission_bps, parent_id=parent_id)
    s.add(category)
    await s.flush()
    await record_event(s, "category.created", {"category_id": category.id, "commission_bps": commission_bps})
    return category


async def get_category(s: AsyncSession, category_id: int) -> Category:
    """The category with this id; 404 when there is none."""
    category = await s.get(Category, category_id)
    if category is None:
        raise CategoryNotFound("no such category", field="category_id")
    return category


async def set_commission_rate(s: AsyncSession, actor: User, category_id: int, commission_bps: int) -> Category:
    """Change 扣点 for a category; orders keep the rate they were placed at."""
    ensure_operator(actor)
    category = await s.get(Category, category_id)
    if category is None:
        raise CategoryNotFound("no such category")
    before = category.commission_bps
    category.commission_bps = commission_bps
    await record_event(
        s, "category.commission_changed",
        {"category_id": category_id, "from_bps": before, "to_bps": commission_bps, "by": actor.id},
    )
    return category


async def list_categories(s: AsyncSession) -> Sequence[Category]:
    return await repository.categories(s)


# ---- shops ----------------------------------------------------------------------


async def open_shop(s: AsyncSession, user: User, *, name: str, description: str = "") -> Shop:
    ensure_merchant(user)
    if await repository.shop_of_owner(s, user.id) is not None:
        raise ShopExists("you already have a shop")
    if (await s.execute(select(Shop.id).where(Shop.name == name.strip()))).first():
        raise ShopNameTaken("a shop with that name exists", field="name")
    shop = Shop(owner_id=user.id, name=name.strip(), description=description)
    s.add(shop)
    try:
        async with s.begin_nested():
            await s.flush()
    except IntegrityError as exc:
        raise ShopNameTaken("a shop with that name exists", field="name") from exc
    await record_event(s, "shop.opened", {"shop_id": shop.id, "owner_id": user.id})
    return shop


async def update_shop(s: AsyncSession, user: User, *, name: str | None, description: str | None) -> Shop:
    shop = await my_shop(s, user)
    if name is not None and name.strip() != shop.name:
        if (await s.execute(select(Shop.id).where(Shop.name == name.strip()))).first():
            raise ShopNameTaken("a shop with that name exists", field="name")
        shop.name = name.strip()
    if description is not None:
        shop.description = description
    return shop


async def my_shop(s: AsyncSession, user: User) -> Shop:
    ensure_merchant(user)
    shop = await repository.shop_of_owner(s, user.id)
    if shop is None:
        raise NoShop("open a shop first")
    return shop


async def get_shop(s: AsyncSession, shop_id: int) -> Shop:
    shop = await s.get(Shop, shop_id)
    if shop is None:
        raise ShopNotFound("no such shop")
    return shop


# ---- products -------------------------------------------------------------------


@dataclass
class SkuDraft:
    price: int
    stock: int = 0
    code: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    purchase_limit: int | None = None


@dataclass
class ProductDraft:
    title: str
    category_id: int
    description: str = ""
    skus: list[SkuDraft] = field(default_factory=list)
    external_channel: str | None = None
    external_url: str | None = None


async def create_product(s: AsyncSession, user: User, draft: ProductDraft) -> Product:
    shop = await my_shop(s, user)
    if await s.get(Category, draft.category_id) is None:
        raise CategoryNotFound("no such category", field="category_id")
    external = draft.external_url is not None
    if external and not draft.external_channel:
        raise ProductIncomplete("an external product needs its channel name", field="external_channel")
    if external and draft.skus:
        raise ProductIncomplete("an external product is sold elsewhere and has no SKUs", field="skus")
    product = Product(
        shop_id=shop.id, category_id=draft.category_id, title=draft.title.strip(),
        description=draft.description, status="draft",
        external_channel=draft.external_channel if external else None,
        external_url=draft.external_url,
    )
    s.add(product)
    await s.flush()
    for d in draft.skus:
        s.add(_sku_from(product.id, d))
    product.min_price = min((d.price for d in draft.skus), default=0)
    await s.flush()
    await record_event(s, "product.created", {"product_id": product.id, "shop_id": shop.id})
    return product


def _sku_from(product_id: int, d: SkuDraft) -> Sku:
    return Sku(product_id=product_id, code=d.code, attributes=dict(d.attributes), price=d.price,
               stock=d.stock, purchase_limit=d.purchase_limit)


async def owned_product(s: AsyncSession, user: User, product_id: int) -> Product:
    product = await s.get(Product, product_id)
    if product is None:
        raise ProductNotFound("no such product")
    shop = await get_shop(s, product.shop_id)
    ensure_owns_shop(user, shop)
    return product


TITLE_MAX = 120


async def update_product(s: AsyncSession, user: User, product_id: int, changes: dict[str, Any]) -> Product:
    """Title, description or category of the shop's own product; a title is never empty."""
    product = await owned_product(s, user, product_id)
    if "category_id" in changes and await s.get(Category, changes["category_id"]) is None:
        raise CategoryNotFound("no such category", field="category_id")
    if "title" in changes and changes["title"] is not None:
        title = str(changes["title"]).strip()
        if not title or len(title) > TITLE_MAX:
            raise ProductIncomplete("give the product a title of at most %(max_length)s characters", field="title",
                                    max_length=TITLE_MAX)
        changes = {**changes, "title": title}
    changed = [key for key in ("title", "description", "category_id")
               if key in changes and changes[key] is not None and getattr(product, key) != changes[key]]
    for key in changed:
        setattr(product, key, changes[key])
    if changed:
        await s.flush()
        await record_event(s, "product.updated", {"product_id": product.id, "shop_id": product.shop_id,
                                                  "changed": changed})
    return product


async def add_sku(s: AsyncSession, user: User, product_id: int, draft: SkuDraft) -> Sku:
    product = await owned_product(s, user, product_id)
    if product.is_external:
        raise ProductIncomplete("an external product has no SKUs", field="skus")
    sku = _sku_from(product.id, draft)
    s.add(sku)
    await s.flush()
    product.min_price = await repository.min_price(s, product.id)
    return sku


async def owned_sku(s: AsyncSession, user: User, sku_id: int) -> tuple[Sku, Product]:
    sku = await s.get(Sku, sku_id)
    if sku is None:
        raise SkuNotFound("no such SKU")
    product = await owned_product(s, user, sku.product_id)
    return sku, product


async def update_sku(
    s: AsyncSession, user: User, sku_id: int, *, price: int | None = None,
    purchase_limit: int | None = None, clear_limit: bool = False, stock_delta: int | None = None,
    attributes: dict[str, str] | None = None,
) -> Sku:
    """Change a SKU. Stock moves by a delta, atomically, so it never races checkouts: units already
    taken by orders (paid or awaiting payment) and live sales are out of `stock`, and it never goes below 0."""
    sku, product = await owned_sku(s, user, sku_id)
    if price is not None:
        if price <= 0:
            raise ProductIncomplete("a price is more than ¥0", field="price")
        sku.price = price
    if attributes is not None:
        sku.attributes = dict(attributes)
    if clear_limit:
        sku.purchase_limit = None
    elif purchase_limit is not None:
        sku.purchase_limit = purchase_limit
    await s.flush()
    if stock_delta:
        moved = await s.execute(
            update(Sku).where(Sku.id == sku_id, Sku.stock + stock_delta >= 0)
            .values(stock=Sku.stock + stock_delta).returning(Sku.stock)
        )
        if moved.first() is None:
            raise StockWouldGoNegative("there is not that much stock to remove", field="stock_delta")
        await s.refresh(sku)
        await record_event(s, "sku.stock_adjusted", {"sku_id": sku_id, "delta": stock_delta, "by": user.id})
    if price is not None:
        product.min_price = await repository.min_price(s, product.id)
    return sku


async def remove_sku(s: AsyncSession, user: User, sku_id: int) -> Product:
    """Take an option off a product. One that orders, carts or live sales refer to stays (stock it to 0
    instead), and a published product keeps at least one option."""
    sku, product = await owned_sku(s, user, sku_id)
    if product.status == "published" and len((await repository.skus_of(s, [product.id]))[product.id]) <= 1:
        raise LastSku("a published product keeps at least one option: add another or unpublish it first")
    try:
        async with s.begin_nested():
            await s.delete(sku)
            await s.flush()
    except IntegrityError:
        raise SkuInUse("buyers have this option in orders, carts or live sales; set its stock to 0 to stop "
                       "selling it") from None
    product.min_price = await repository.min_price(s, product.id)
    await record_event(s, "sku.removed", {"sku_id": sku_id, "product_id": product.id, "by": user.id})
    return product


# Rules other domains hold over listing (a deposit below its requirement, a listing ban): each
# guard raises a DomainError to refuse. Registered by those domains at import.
PublishGuard = Callable[[AsyncSession, Shop, Product], Awaitable[None]]
PUBLISH_GUARDS: list[PublishGuard] = []


async def publish_product(s: AsyncSession, user: User, product_id: int) -> Product:
    product = await owned_product(s, user, product_id)
    if product.status == "published":
        return product
    if not product.is_external and not (await repository.skus_of(s, [product.id]))[product.id]:
        raise ProductNotPublishable("add at least one SKU before publishing")
    shop = await get_shop(s, product.shop_id)
    for guard in PUBLISH_GUARDS:
        await guard(s, shop, product)
    product.status = "published"
    await record_event(s, "product.published", {"product_id": product.id, "shop_id": product.shop_id})
    return product


async def unpublish_product(s: AsyncSession, user: User, product_id: int) -> Product:
    product = await owned_product(s, user, product_id)
    if product.status != "published":
        return product
    product.status = "unpublished"
    await record_event(s, "product.unpublished", {"product_id": product.id, "shop_id": product.shop_id})
    return product


IMAGE_TYPES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


def sniff_image(data: bytes) -> str:
    for magic, ext in IMAGE_TYPES.items():
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise BadImage("images must be JPEG, PNG or WebP", field="file")


def store_photos(images: Sequence[bytes], *, media_dir: Path, folder: str, max_bytes: int) -> list[str]:
    """Photos a buyer sends (reviews, after-sales), checked by their bytes before any is written.

    Returns their paths under the media folder, in the order given."""
    checked = []
    for data in images:
        if len(data) > max_bytes:
            raise ImageTooLarge("images may be at most %(max_kib)s KiB", field="file", max_kib=max_bytes // 1024)
        checked.append((data, sniff_image(data)))
    stored = []
    for data, ext in checked:
        rel = f"{folder}/{secrets.token_hex(8)}.{ext}"
        target = media_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        stored.append(rel)
    return stored


async def add_product_image(
    s: AsyncSession, user: User, product_id: int, data: bytes, *, media_dir: Path, max_bytes: int
) -> ProductImage:
    product = await owned_product(s, user, product_id)
    if len(data) > max_bytes:
        raise ImageTooLarge("images may be at most %(max_kib)s KiB", field="file", max_kib=max_bytes // 1024)
    ext = sniff_image(data)
    rel = f"products/{product.id}/{secrets.token_hex(8)}.{ext}"
    target = media_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    count = len(await repository.images_of(s, product.id))
    image = ProductImage(product_id=product.id, path=rel, position=count)
    s.add(image)
    if product.cover_image is None:
        product.cover_image = rel
    await s.flush()
    return image


async def remove_product_image(s: AsyncSession, user: User, product_id: int, image_id: int) -> None:
    """Take an image off the shop's own product; the next one becomes the cover."""
    product = await owned_product(s, user, product_id)
    images = list(await repository.images_of(s, product.id))
    image = next((i for i in images if i.id == image_id), None)
    if image is None:
        raise ImageNotFound("no such image on this product")
    await s.delete(image)
    await _set_image_order(s, product, [i for i in images if i.id != image_id])


async def reorder_product_images(s: AsyncSession, user: User, product_id: int, image_ids: Sequence[int]) -> None:
    """Put the product's images in this order (all of them, each once); the first is the cover."""
    product = await owned_product(s, user, product_id)
    images = {i.id: i for i in await repository.images_of(s, product.id)}
    if sorted(image_ids) != sorted(images):
        raise ProductIncomplete("give every image of the product once", field="image_ids")
    await _set_image_order(s, product, [images[i] for i in image_ids])


async def _set_image_order(s: AsyncSession, product: Product, images: Sequence[ProductImage]) -> None:
    for position, image in enumerate(images):
        image.position = position
    product.cover_image = images[0].path if images else None
    await s.flush()
    await record_event(s, "product.images_changed", {"product_id": product.id, "shop_id": product.shop_id})


@dataclass
class ProductView:
    product: Product
    shop: Shop
    skus: list[Sku]
    images: Sequence[ProductImage]
    category: Category


async def product_view(s: AsyncSession, product_id: int, viewer: User | None = None) -> ProductView:
    """A product as a buyer sees it; drafts are visible only to their shop's owner."""
    product = await s.get(Product, product_id)
    if product is None:
        raise ProductNotFound("no such product")
    shop = await get_shop(s, product.shop_id)
    if product.status != "published" and (viewer is None or viewer.id != shop.owner_id):
        raise ProductNotFound("no such product")
    skus = (await repository.skus_of(s, [product.id]))[product.id]
    images = await repository.images_of(s, product.id)
    category = await s.get(Category, product.category_id)
    assert category is not None
    return ProductView(product, shop, skus, images, category)


async def search(s: AsyncSession, query: repository.ProductQuery, category_id: int | None = None
                 ) -> tuple[list[tuple[Product, Shop]], int]:
    if category_id is not None:
        query = dataclasses.replace(query, category_ids=await repository.descendant_ids(s, category_id))
    return await repository.search_products(s, query)


async def shop_products(s: AsyncSession, user: User) -> tuple[Shop, list[Product], dict[int, list[Sku]]]:
    shop = await my_shop(s, user)
    stmt = select(Product).where(Product.shop_id == shop.id).order_by(Product.id.desc())
    rows = (await s.execute(stmt)).scalars().all()
    skus = await repository.skus_of(s, [p.id for p in rows])
    return shop, list(rows), skus


async def product_sold(s: AsyncSession, quantities: dict[int, int]) -> None:
    """Keep `sold_count` for sorting by sales; called from the orders events."""
    for product_id, qty in sorted(quantities.items()):
        # Taking sales back (a fake-order ring) never goes below zero.
        count = Product.sold_count + qty if qty >= 0 else case((Product.sold_count > -qty, Product.sold_count + qty),
                                                                else_=0)
        await s.execute(update(Product).where(Product.id == product_id).values(sold_count=count))


async def sku_with_product(s: AsyncSession, sku_id: int) -> tuple[Sku, Product] | None:
    sku = await s.get(Sku, sku_id)
    if sku is None:
        return None
    product = await s.get(Product, sku.product_id)
    return (sku, product) if product is not None else None


async def shop_of_owner(s: AsyncSession, owner_id: int) -> Shop | None:
    return await repository.shop_of_owner(s, owner_id)


async def showcase(s: AsyncSession, shop_id: int, limit: int = 24) -> list[tuple[Product, Sku | None]]:
    """A shop's published products, newest first, each with the SKU a Buy button starts from."""
    rows, _ = await repository.search_products(s, repository.ProductQuery(shop_id=shop_id, per_page=limit))
    skus = await repository.skus_of(s, [p.id for p, _ in rows])
    return [(p, next(iter(skus.get(p.id) or []), None)) for p, _ in rows]
