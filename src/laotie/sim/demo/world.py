"""The demo world: a deterministic little marketplace seeded through the real services.

Everything is created the way users would create it — registration, shops,
products, checkouts, signed gateway notifications, shipping, carrier
notifications, receipt — so the demo exercises the same rules as production.
The rest of the platform (follows, videos, deposits, after-sales, coins, a case,
feed pages) is seeded by `platform` on top of this, and the trust layer (reviews,
messages, shop scores, a fake-order ring, an official tag) by `trust`.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import timedelta

from laotie.catalog import service as catalog
from laotie.identity import service as identity
from laotie.kit.db import Database
from laotie.models import User, utcnow
from laotie.orders.service import checkout as checkout_service
from laotie.sim.demo import alliance, goods, platform, trust
from laotie.sim.demo.pictures import Painter
from laotie.sim.demo.platform import DEMO_PASSWORD, Placed, Progress, place_order

__all__ = ["DEMO_PASSWORD", "DemoSize", "DemoWorld", "progress_total", "seed_demo"]

CATEGORIES: dict[str, tuple[int, dict[str, int]]] = {
    "Food & fresh 食品生鲜": (200, {"Fruit 水果": 200, "Snacks 零食": 300, "Tea 茶叶": 400}),
    "Apparel 服饰": (500, {"Women 女装": 500, "Men 男装": 500, "Shoes 鞋靴": 600}),
    "Beauty 美妆": (600, {"Skincare 护肤": 600, "Make-up 彩妆": 800}),
}
# Titles carry no weight or size: those are the options (laotie.sim.demo.goods has each one's).
PRODUCTS = {
    "Fruit 水果": ["Linyi red Fuji apples 临沂红富士", "Gannan navel oranges 赣南脐橙", "Hainan mangoes 海南芒果",
                   "Dandong strawberries 丹东草莓", "Xinjiang Hami melon 新疆哈密瓜"],
    "Snacks 零食": ["Spicy duck necks 麻辣鸭脖", "Sichuan beef jerky 四川牛肉干", "Walnut cakes 核桃酥",
                    "Dried persimmons 柿饼"],
    "Tea 茶叶": ["Anxi Tieguanyin 安溪铁观音", "West Lake Longjing 西湖龙井", "Yunnan Pu'er cake 云南普洱茶饼"],
    "Women 女装": ["Linen summer dress 亚麻连衣裙", "Knitted cardigan 针织开衫", "High-waist jeans 高腰牛仔裤",
                   "Silk scarf 真丝围巾"],
    "Men 男装": ["Cotton polo shirt 纯棉Polo衫", "Down jacket 羽绒服", "Chino trousers 休闲裤"],
    "Shoes 鞋靴": ["Canvas sneakers 帆布鞋", "Leather loafers 真皮乐福鞋", "Running shoes 跑步鞋"],
    "Skincare 护肤": ["Hydrating serum 补水精华", "Sunscreen SPF50 防晒霜", "Night cream 晚霜"],
    "Make-up 彩妆": ["Matte lipstick 哑光口红", "Cushion foundation 气垫粉底", "Eyebrow pencil 眉笔"],
}
MOST_PICTURES = 3  # a product shows 1 to 3 pictures
CITIES = ["Linyi", "Hangzhou", "Chengdu", "Harbin", "Guangzhou", "Xi'an", "Kunming", "Wuhan"]


@dataclass
class DemoWorld:
    logins: dict[str, str] = field(default_factory=dict)  # role -> username
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was left out, and why (e.g. no ffmpeg)


@dataclass
class DemoSize:
    merchants: int = 10
    products_per_merchant: int = 6
    creators: int = 20
    consumers: int = 200
    orders: int = 400
    videos: int = 10  # posted by creators and shops in turn (needs ffmpeg)
    coin_buyers: int = 3
    feed_viewers: int = 40  # consumers who open the discovery feed once
    message_threads: int = 30  # orders whose buyer writes to the shop


def progress_total(size: DemoSize) -> int:
    """How many steps `seed_demo` reports for this size, for a progress bar's total."""
    categories = len(CATEGORIES) + sum(len(children) for _, children in CATEGORIES.values())
    pictures = size.merchants  # one step per shop, its products' pictures hung after the orders
    return (categories + size.merchants + size.creators + size.consumers + size.orders + pictures
            + size.consumers + size.videos + size.merchants + platform.AFTERSALE_STEPS + size.coin_buyers + 1
            + trust.step_count(size.merchants, size.message_threads) + alliance.step_count() + size.feed_viewers)


@dataclass(frozen=True)
class Shelved:
    """A product a shop will list: its category, title and options, and its pictures' colours."""

    leaf: str
    title: str
    listing: goods.Listing
    shots: list[str | None]  # one picture each: the colour it shows (clothes and shoes), or None


def _plan_shelves(size: DemoSize, rng: random.Random, shelf: random.Random) -> list[list[Shelved]]:
    """What each shop will list, drawn before any is written (the same draws as stocking them one by one)."""
    leaves = sorted(child for _, children in CATEGORIES.values() for child in children)
    planned: list[list[Shelved]] = []
    for m in range(size.merchants):
        planned.append([])
        for p in range(size.products_per_merchant):
            leaf = leaves[(m * 3 + p) % len(leaves)]
            title = rng.choice(PRODUCTS[leaf])
            listing = goods.listing_for(title, shelf)
            # Clothes and shoes show one picture per colour on sale; the rest a cover and up to two more.
            shots: list[str | None] = [*listing.colours] or [None] * shelf.randint(1, MOST_PICTURES)
            planned[m].append(Shelved(leaf, title, listing, shots[:MOST_PICTURES]))
    return planned


async def _draw_shelves(painter: Painter, seed: int, planned: list[list[Shelved]]
                        ) -> dict[tuple[int, int], list[bytes]]:
    """Every planned product's pictures, by (shop, product), drawn one at a time on a worker thread."""
    drawn: dict[tuple[int, int], list[bytes]] = {}
    for m, row in enumerate(planned):
        for p, item in enumerate(row):
            drawn[m, p] = [await asyncio.to_thread(painter.product, item.title, item.leaf,
                                                   random.Random(f"{seed}:picture:{m}:{p}:{n}"),
                                                   layout=n, colour=colour)
                           for n, colour in enumerate(item.shots)]
    return drawn


def _joined_days_ago(user: User, days: float) -> None:
    # No service backdates an account, so the demo writes created_at itself: buyers then
    # pass the good-standing age for guarantees (laotie.aftersales.standing), and only the
    # newest creators are in the feed's cold start, as on a platform that has been running.
    user.created_at = utcnow() - timedelta(days=days)


async def seed_demo(db: Database, seed: int = 7, size: DemoSize | None = None,
                    progress: Progress | None = None, painter: Painter | None = None) -> DemoWorld:
    """Seed the world; `painter` draws the pictures (by default with the fonts this machine has)."""
    size = size or DemoSize()
    rng = random.Random(seed)
    ages = random.Random(f"{seed}:ages")  # its own stream: the shops and orders stay as they were
    shelf = random.Random(f"{seed}:goods")  # options, prices and pictures: changing them moves no order
    painter = painter or Painter.found()
    settings = db.settings
    step = progress or (lambda _label, _n: None)
    world = DemoWorld()
    planned = _plan_shelves(size, rng, shelf)
    # The pictures are drawn on a worker thread — Pillow lets go of the GIL while it draws — as the
    # shops, accounts and orders are written, and hung on the products after the orders.
    drawing = asyncio.create_task(_draw_shelves(painter, seed, planned))
    password_hash = await identity.hash_password(settings, DEMO_PASSWORD)

    async def account(username: str, roles: set[str], display: str, days_old: float | None = None) -> User:
        user = await identity.register_user(s, settings, username=username, password=DEMO_PASSWORD,
                                            display_name=display, roles=roles, self_serve=False,
                                            password_hash=password_hash)
        if days_old is not None:
            _joined_days_ago(user, days_old)
        return user

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

    listed: list[tuple[list[int], int]] = []  # (a product's SKU ids, merchant user id)
    merchants: list[User] = []
    products: dict[int, list[tuple[int, str]]] = {}
    leaf_of: dict[int, str] = {}  # product id → its category's name
    prices: dict[int, list[tuple[int, int]]] = {}
    shelved: dict[tuple[int, int], int] = {}  # (shop, product) as planned → product id
    link_out_id: int | None = None
    for m in range(size.merchants):
        async with db.transaction() as s:
            merchant = await account(f"merchant{m + 1}", {"merchant"}, f"Merchant {m + 1}",
                                     days_old=ages.uniform(30, 720))
            merchants.append(merchant)
            city = CITIES[m % len(CITIES)]
            await catalog.open_shop(s, merchant, name=f"{city} 老铁 shop {m + 1}",
                                    description=f"Direct from {city}: what we grow and make, shipped in 48 hours.")
            for p, item in enumerate(planned[m]):
                draft = catalog.ProductDraft(
                    title=item.title, category_id=leaf_ids[item.leaf],
                    description=f"{item.title}. Picked by {city} shop {m + 1}; 7-day no-reason returns.",
                    skus=[catalog.SkuDraft(price=o.price, stock=o.stock, attributes=o.attributes,
                                           purchase_limit=o.purchase_limit) for o in item.listing.options],
                )
                product = await catalog.create_product(s, merchant, draft)
                await catalog.publish_product(s, merchant, product.id)
                view = await catalog.product_view(s, product.id)
                shelved[m, p] = product.id
                listed.append(([k.id for k in view.skus], merchant.id))
                products.setdefault(merchant.id, []).append((product.id, item.title))
                leaf_of[product.id] = item.leaf
                prices.setdefault(merchant.id, []).extend((k.id, k.price) for k in view.skus)
            if m == 0:
                link_out_id = (await catalog.create_product(s, merchant, catalog.ProductDraft(
                    title="Linyi apples on Taobao (link-out)", category_id=leaf_ids["Fruit 水果"],
                    external_channel="Taobao", external_url="https://example.com/taobao/linyi-apples"))).id
        step("merchants", 1)

    async with db.transaction() as s:
        creators = []
        for c in range(size.creators):
            # The last two creators joined this week, so the feed's cold start has someone to lift.
            new = size.creators >= 4 and c >= size.creators - 2
            creators.append(await account(f"creator{c + 1}", {"creator"}, f"Creator {c + 1} 主播",
                                          days_old=ages.uniform(0, 5) if new else ages.uniform(20, 400)))
        step("creators", size.creators)
        consumers = [await account(f"consumer{i + 1}", {"consumer"}, f"老铁 {i + 1}", days_old=ages.uniform(8, 365))
                     for i in range(size.consumers)]
        step("consumers", size.consumers)

    fates = ["completed"] * 40 + ["delivered"] * 10 + ["shipped"] * 15 + ["paid"] * 15 + ["pending"] * 8 + [
        "cancelled"] * 12
    made = {f: 0 for f in set(fates)}
    unshipped: dict[int, list[int]] = {}
    placed: list[Placed] = []
    for n in range(size.orders):
        buyer = consumers[rng.randrange(len(consumers))]
        # A product, then one of its options: a dress in twelve size-and-colour options sells no
        # more often than apples in three.
        product_skus, merchant_id = listed[rng.randrange(len(listed))]
        sku_id = product_skus[rng.randrange(len(product_skus))]
        fate = rng.choice(fates)
        address = checkout_service.Address(buyer.display_name, f"138{rng.randrange(10**8):08d}",
                                           f"{rng.randint(1, 300)} {rng.choice(CITIES)} Road")
        async with db.transaction() as s:
            order_id = await place_order(s, settings, buyer, sku_id, rng.randint(1, 2), address, fate,
                                         f"SF{seed}{n:06d}")
        if order_id is not None:
            made[fate] += 1
            placed.append(Placed(order_id, buyer, merchant_id, fate))
            if fate == "paid":
                unshipped.setdefault(merchant_id, []).append(order_id)
        step("orders", 1)

    drawn = await drawing
    pictures = 0
    for m, merchant in enumerate(merchants):
        async with db.transaction() as s:
            hung = [(shelved[m, p], picture) for p in range(len(planned[m])) for picture in drawn[m, p]]
            if m == 0 and link_out_id is not None:
                hung.append((link_out_id, painter.product("Linyi apples on Taobao (link-out)", "Fruit 水果",
                                                           random.Random(f"{seed}:picture:link-out"))))
            for product_id, picture in hung:
                await catalog.add_product_image(s, merchant, product_id, picture, media_dir=settings.media_dir,
                                                max_bytes=settings.max_image_bytes)
            pictures += len(hung)
        step("pictures", 1)

    cast = platform.Cast(db=db, seed=seed, step=step, operator=operator, merchants=merchants, creators=creators,
                         consumers=consumers, leaf_ids=leaf_ids, products=products,
                         skus={m: sorted(k, key=lambda sku: (sku[1], sku[0])) for m, k in prices.items()},
                         unshipped=unshipped, password_hash=password_hash, orders=placed, painter=painter,
                         leaf_of=leaf_of)
    cast.counts["product_pictures"] = pictures
    if not painter.has_emoji:
        cast.note("product pictures are plain shapes: the colour emoji font (Debian: fonts-noto-color-emoji) "
                  "was not found")
    filming = platform.film_videos(cast, size.videos)  # ffmpeg encodes the clips while the follows are seeded
    await platform.seed_follows(cast)
    await platform.seed_videos(cast, filming)
    await platform.seed_deposits(cast)
    await platform.seed_aftersales(cast)
    await platform.seed_coins(cast, size.coin_buyers)
    await platform.seed_case(cast)
    showcase = await trust.seed_reviews(cast)
    await trust.seed_messages(cast, size.message_threads)
    await trust.seed_fraud_ring(cast)
    # After the ring's orders, which count in their shop's score until an operator confirms the ring.
    await trust.seed_scores(cast, showcase)
    await trust.seed_official_tag(cast)
    await alliance.seed_alliance(cast)
    # Last, so the pages it serves rank with the scores, reliable goods and the official tag in place.
    await platform.seed_feed(cast, size.feed_viewers)

    world.logins = {"operator": "operator", "merchant": "merchant1", "creator": "creator1",
                    "consumer": "consumer1"}
    if cast.counts.get("alliance_listings"):
        world.logins |= {"group leader": "leader1", "MCN": "mcn1"}
    world.counts = {"categories": len(leaf_ids) + len(CATEGORIES), "merchants": size.merchants,
                    "products": size.merchants * size.products_per_merchant, "creators": size.creators,
                    "consumers": size.consumers, **{f"orders_{k}": v for k, v in sorted(made.items())},
                    **cast.counts}
    world.notes = cast.notes
    return world
