"""The demo world: a deterministic little marketplace seeded through the real services.

Everything is created the way users would create it — registration, shops,
products, checkouts, signed gateway notifications, shipping, carrier
notifications, receipt — so the demo exercises the same rules as production.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from laotie.catalog import service as catalog
from laotie.identity import service as identity
from laotie.kit.db import Database
from laotie.kit.errors import DomainError
from laotie.models import User
from laotie.orders import logistics
from laotie.orders.gateway import gateway_for
from laotie.orders.service import checkout as checkout_service
from laotie.orders.service import lifecycle, payment

DEMO_PASSWORD = "laotie123"  # noqa: S105 - published on purpose: demo logins

CATEGORIES: dict[str, tuple[int, dict[str, int]]] = {
    "Food & fresh 食品生鲜": (200, {"Fruit 水果": 200, "Snacks 零食": 300, "Tea 茶叶": 400}),
    "Apparel 服饰": (500, {"Women 女装": 500, "Men 男装": 500, "Shoes 鞋靴": 600}),
    "Beauty 美妆": (600, {"Skincare 护肤": 600, "Make-up 彩妆": 800}),
}
PRODUCTS = {
    "Fruit 水果": ["Linyi red Fuji apples 5kg", "Gannan navel oranges 3kg", "Hainan mangoes 2kg",
                   "Dandong strawberries 1kg", "Xinjiang Hami melon"],
    "Snacks 零食": ["Spicy duck necks", "Sichuan beef jerky", "Walnut cakes 12 pcs", "Dried persimmons"],
    "Tea 茶叶": ["Anxi Tieguanyin 250g", "West Lake Longjing 100g", "Yunnan Pu'er cake"],
    "Women 女装": ["Linen summer dress", "Knitted cardigan", "High-waist jeans", "Silk scarf"],
    "Men 男装": ["Cotton polo shirt", "Down jacket", "Chino trousers"],
    "Shoes 鞋靴": ["Canvas sneakers", "Leather loafers", "Running shoes"],
    "Skincare 护肤": ["Hydrating serum 30ml", "Sunscreen SPF50", "Night cream"],
    "Make-up 彩妆": ["Matte lipstick", "Cushion foundation", "Eyebrow pencil"],
}
SIZES = ["S", "M", "L", "XL"]
COLOURS = ["red", "black", "white", "blue"]
CITIES = ["Linyi", "Hangzhou", "Chengdu", "Harbin", "Guangzhou", "Xi'an", "Kunming", "Wuhan"]


@dataclass
class DemoWorld:
    logins: dict[str, str] = field(default_factory=dict)  # role -> username
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class DemoSize:
    merchants: int = 10
    products_per_merchant: int = 6
    creators: int = 20
    consumers: int = 200
    orders: int = 400


Progress = Callable[[str, int], None]


async def seed_demo(db: Database, seed: int = 7, size: DemoSize | None = None,
                    progress: Progress | None = None) -> DemoWorld:
    size = size or DemoSize()
    rng = random.Random(seed)
    settings = db.settings
    step = progress or (lambda _label, _n: None)
    world = DemoWorld()
    password_hash = await identity.hash_password(settings, DEMO_PASSWORD)

    async def account(username: str, roles: set[str], display: str) -> User:
        return await identity.register_user(s, settings, username=username, password=DEMO_PASSWORD,
                                            display_name=display, roles=roles, self_serve=False,
                                            password_hash=password_hash)

    async with db.transaction() as s:
        operator = await account("operator", {"operator"}, "Platform operator 小二")
        leaf_ids: dict[str, int] = {}
        for top, (rate, children) in CATEGORIES.items():
            parent = await catalog.create_category(s, operator, name=top, commission_bps=rate)
            for child, child_rate in children.items():
                made_leaf = await catalog.create_category(s, operator, name=child, commission_bps=child_rate,
                                                          parent_id=parent.id)
                leaf_ids[child] = made_leaf.id
        step("categories", len(leaf_ids) + len(CATEGORIES))

    skus: list[tuple[int, int]] = []  # (sku_id, merchant user id)
    leaves = sorted(leaf_ids)
    for m in range(size.merchants):
        async with db.transaction() as s:
            merchant = await account(f"merchant{m + 1}", {"merchant"}, f"Merchant {m + 1}")
            city = CITIES[m % len(CITIES)]
            await catalog.open_shop(s, merchant, name=f"{city} 老铁 shop {m + 1}",
                                    description=f"Direct from {city}: what we grow and make, shipped in 48 hours.")
            for p in range(size.products_per_merchant):
                leaf = leaves[(m * 3 + p) % len(leaves)]
                title = rng.choice(PRODUCTS[leaf])
                base = rng.randrange(990, 29_900, 10)
                variants = rng.sample(SIZES if leaf in {"Women 女装", "Men 男装", "Shoes 鞋靴"} else COLOURS,
                                      k=rng.randint(1, 3))
                draft = catalog.ProductDraft(
                    title=title, category_id=leaf_ids[leaf],
                    description=f"{title}. Picked by {city} shop {m + 1}; 7-day no-reason returns.",
                    skus=[catalog.SkuDraft(price=base + i * 500, stock=rng.randint(50, 400),
                                           attributes={"option": v},
                                           purchase_limit=5 if rng.random() < 0.2 else None)
                          for i, v in enumerate(variants)],
                )
                product = await catalog.create_product(s, merchant, draft)
                await catalog.publish_product(s, merchant, product.id)
                view = await catalog.product_view(s, product.id)
                skus.extend((k.id, merchant.id) for k in view.skus)
            if m == 0:
                await catalog.create_product(s, merchant, catalog.ProductDraft(
                    title="Linyi apples on Taobao (link-out)", category_id=leaf_ids["Fruit 水果"],
                    external_channel="Taobao", external_url="https://example.com/taobao/linyi-apples"))
        step("merchants", 1)

    async with db.transaction() as s:
        for c in range(size.creators):
            await account(f"creator{c + 1}", {"creator"}, f"Creator {c + 1} 主播")
        step("creators", size.creators)
        consumers = [await account(f"consumer{i + 1}", {"consumer"}, f"老铁 {i + 1}") for i in range(size.consumers)]
        step("consumers", size.consumers)

    gateway = gateway_for(settings)
    fates = ["completed"] * 40 + ["delivered"] * 10 + ["shipped"] * 15 + ["paid"] * 15 + ["pending"] * 8 + [
        "cancelled"] * 12
    made = {f: 0 for f in set(fates)}
    for n in range(size.orders):
        buyer = consumers[rng.randrange(len(consumers))]
        sku_id, _merchant_id = skus[rng.randrange(len(skus))]
        fate = rng.choice(fates)
        address = checkout_service.Address(buyer.display_name, f"138{rng.randrange(10**8):08d}",
                                           f"{rng.randint(1, 300)} {rng.choice(CITIES)} Road")
        async with db.transaction() as s:
            try:
                async with s.begin_nested():
                    result = await checkout_service.checkout(
                        s, settings, buyer, [checkout_service.LineRequest(sku_id, rng.randint(1, 2))], address)
            except DomainError:  # sold out or over a purchase limit: a real buyer would just move on
                step("orders", 1)
                continue
            order_id = result.order_ids[0]
            if fate == "cancelled":
                await lifecycle.cancel_order(s, order_id, reason="buyer_cancelled", buyer=buyer)
            elif fate != "pending":
                body, sig = gateway.notification(payment_id=result.payment_id, amount=result.amount,
                                                 currency=settings.currency, status="succeeded")
                await payment.handle_notification(s, settings, body, sig)
                if fate in ("shipped", "delivered", "completed"):
                    order = await lifecycle.get_order(s, order_id)
                    seller = await s.get(User, (await catalog.get_shop(s, order.shop_id)).owner_id)
                    assert seller is not None
                    tracking = f"SF{seed}{n:06d}"
                    await lifecycle.ship_order(s, seller, order_id, carrier="SF Express", tracking_no=tracking)
                    if fate in ("delivered", "completed"):
                        b, sg = logistics.delivery_notification(settings, order_id, tracking)
                        oid, tn = logistics.verify_delivery(settings, b, sg)
                        await lifecycle.deliver_order(s, oid, tn)
                    if fate == "completed":
                        await lifecycle.confirm_receipt(s, buyer, order_id)
            made[fate] += 1
        step("orders", 1)

    world.logins = {"operator": "operator", "merchant": "merchant1", "creator": "creator1",
                    "consumer": "consumer1"}
    world.counts = {"categories": len(leaf_ids) + len(CATEGORIES), "merchants": size.merchants,
                    "products": size.merchants * size.products_per_merchant, "creators": size.creators,
                    "consumers": size.consumers, **{f"orders_{k}": v for k, v in sorted(made.items())}}
    return world
