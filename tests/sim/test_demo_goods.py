"""The demo looks like a marketplace: every product has its own pictures, options fit the category, reviews
speak of what was bought, videos have their own posters and are played far more often than liked."""

from __future__ import annotations

import hashlib
import io
import random
import re
import shutil
from collections import defaultdict
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from laotie.kit.db import Database
from laotie.models import Category, Product, ProductImage, Review, Sku, User, Video
from laotie.sim.demo.pictures import Painter
from laotie.sim.demo.world import PRODUCTS, DemoSize, seed_demo
from tests.conftest import make_settings

SIZE = DemoSize(merchants=2, products_per_merchant=8, creators=2, consumers=12, orders=50, videos=3,
                coin_buyers=1, feed_viewers=2, message_threads=4)
WEIGHT = re.compile(r"^(.+ · (about )?)?\d+(\.\d+)?k?g$")  # 2.5kg, 500g, 1 melon · about 2kg, 6 pcs · 240g
LETTER_SIZES = {"S", "M", "L", "XL", "XXL", "one size"}
SHOE_SIZES = {str(n) for n in range(38, 45)}
CLOTHES_WORDS = ("尺码", "面料", "版型", "穿", "码", "颜色", "fabric", "fit", "size")
# What a review of each category must speak of (one of these words), in Chinese or English.
REVIEW_WORDS = {
    "Fruit 水果": ("甜", "新鲜", "果", "包装", "sweet", "juicy", "fresh"),
    "Snacks 零食": ("香", "辣", "味", "口感", "零食", "好吃", "咸", "tasty", "snack"),
    "Tea 茶叶": ("茶", "tea"),
    "Women 女装": CLOTHES_WORDS,
    "Men 男装": CLOTHES_WORDS,
    "Shoes 鞋靴": ("鞋", "码", "脚", "shoe", "comfortable"),
    "Skincare 护肤": ("肤", "吸收", "保湿", "质地", "skin", "absorb"),
    "Make-up 彩妆": ("色", "妆", "shade"),
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _seed(tmp: Path, template: Path, name: str, size: DemoSize, painter: Painter | None = None
                ) -> tuple[Database, Path, list[str]]:
    path = tmp / f"{name}.db"
    shutil.copy(template, path)
    settings = make_settings(tmp, f"sqlite+aiosqlite:///{path}", media_dir=tmp / f"media-{name}")
    db = Database.connect(settings)
    world = await seed_demo(db, seed=11, size=size, painter=painter)
    return db, settings.media_dir, world.notes


async def test_demo_products_have_own_pictures_fitting_options_and_reviews(tmp_path: Path,
                                                                           migrated_sqlite: Path) -> None:
    ffmpeg = shutil.which("ffmpeg") is not None
    runs = []
    for name in ("a", "b"):
        db, media, _ = await _seed(tmp_path, migrated_sqlite, name, SIZE)
        try:
            async with db.transaction() as s:
                products = (await s.execute(select(Product.id, Product.title, Category.name)
                                            .join(Category, Category.id == Product.category_id)
                                            .order_by(Product.id))).all()
                images = (await s.execute(select(ProductImage.product_id, ProductImage.path)
                                          .order_by(ProductImage.product_id, ProductImage.position))).all()
                skus = (await s.execute(select(Sku.product_id, Sku.attributes, Sku.price).order_by(Sku.id))).all()
                reviews = (await s.execute(select(Review.body, Review.images, Category.name)
                                           .join(Product, Product.id == Review.product_id)
                                           .join(Category, Category.id == Product.category_id)
                                           .join(User, User.id == Review.buyer_id)
                                           .where(User.username.like("consumer%")))).all()
                videos = (await s.execute(select(Video.plays, Video.likes, Video.poster_name))).all()
        finally:
            await db.dispose()
        pictures = defaultdict(list)
        for product_id, rel in images:
            pictures[product_id].append(_digest(media / rel))
        runs.append((products, dict(pictures), skus, sorted((b, len(i or [])) for b, i, _ in reviews)))

    assert runs[0] == runs[1]  # same seed, same world: the same pictures, options and reviews

    # Every product — the shop floor's, the link-out one, the fake-order ring's — has 1 to 3 pictures of its own.
    assert {pid for pid, _, _ in products} == set(pictures)
    assert all(1 <= len(p) <= 3 for p in pictures.values())
    every = [d for p in pictures.values() for d in p]
    assert len(every) == len(set(every))
    with Image.open(media / images[0][1]) as first:
        assert (first.format, first.size) == ("JPEG", (800, 800))

    # Options fit the category; a bigger pack costs more.
    by_product = defaultdict(list)
    for product_id, attributes, price in skus:
        by_product[product_id].append((attributes, price))
    leaf_of = {pid: leaf for pid, _, leaf in products}
    seen = set()
    for product_id, options in by_product.items():
        leaf = leaf_of[product_id]
        keys = {tuple(sorted(a)) for a, _ in options}
        values = [a for a, _ in options]
        if leaf == "Fruit 水果":
            assert keys == {("weight",)} and all(WEIGHT.match(a["weight"]) for a in values), values
            prices = [p for _, p in options]
            assert prices == sorted(prices) and len(set(prices)) == len(prices), options
        elif leaf in ("Tea 茶叶", "Snacks 零食"):
            assert keys == {("net weight",)} and all(WEIGHT.match(a["net weight"]) for a in values), values
        elif leaf in ("Women 女装", "Men 男装", "Shoes 鞋靴"):
            assert keys == {("colour", "size")}, values
            sizes = {a["size"] for a in values}
            assert sizes <= (SHOE_SIZES if leaf == "Shoes 鞋靴" else LETTER_SIZES), sizes
            assert len({p for _, p in options}) == 1  # a size or a colour costs the same
        elif leaf == "Make-up 彩妆":
            assert keys == {("shade",)}
        elif leaf == "Skincare 护肤":
            assert keys == {("volume",)} and all(a["volume"].endswith("ml") for a in values)
        seen.add(leaf)
    assert seen == set(PRODUCTS)

    # Reviews speak of what was bought; a few carry a photo.
    assert reviews
    for body, _, leaf in reviews:
        assert any(word in body.lower() for word in REVIEW_WORDS[leaf]), (leaf, body)
    assert any(images for _, images, _ in reviews)

    # Videos: plays counted beside likes, far more of them; each its own poster.
    if ffmpeg:
        assert len(videos) == SIZE.videos
        assert all(plays >= likes for plays, likes, _ in videos)
        assert sum(p for p, _, _ in videos) >= 5 * sum(likes for _, likes, _ in videos) > 0
        posters = [_digest(media / poster) for _, _, poster in videos if poster]
        assert len(posters) == SIZE.videos and len(set(posters)) == len(posters)


async def test_without_the_emoji_font_the_demo_draws_plain_pictures_and_says_so(tmp_path: Path,
                                                                                migrated_sqlite: Path) -> None:
    size = DemoSize(merchants=2, products_per_merchant=3, creators=1, consumers=6, orders=10, videos=0,
                    coin_buyers=0, feed_viewers=0, message_threads=2)
    db, media, notes = await _seed(tmp_path, migrated_sqlite, "plain", size, Painter(None, None))
    try:
        async with db.transaction() as s:
            products = set((await s.execute(select(Product.id))).scalars())
            images = (await s.execute(select(ProductImage.product_id, ProductImage.path))).all()
    finally:
        await db.dispose()
    assert products == {pid for pid, _ in images}
    digests = [_digest(media / rel) for _, rel in images]
    assert len(set(digests)) == len(digests)
    assert any("emoji font" in note for note in notes)


def test_the_painter_draws_distinct_square_pictures_with_and_without_the_font() -> None:
    for painter in (Painter.found(), Painter(None, None)):
        drawn = {painter.product("Hainan mangoes 海南芒果", "Fruit 水果", random.Random(n), layout=n)
                 for n in range(3)}
        drawn.add(painter.review_photo("Linen summer dress 亚麻连衣裙", "Women 女装", random.Random(0), "black"))
        assert len(drawn) == 4
        for data in drawn:
            with Image.open(io.BytesIO(data)) as image:
                assert (image.format, image.size) == ("JPEG", (800, 800))
