"""What the demo's shops sell: each product's options as its category sells them, and their prices.

Fruit by weight, tea and snacks by net weight (净含量), clothes and shoes by size and colour,
make-up by shade, skincare by volume. A bigger pack costs more but less per kilo; a size or a
colour costs the same. Each shop draws which options it stocks and nudges the price a little.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["GOODS", "Ladder", "Listing", "Option", "Wardrobe", "listing_for"]

BULK = 0.88  # price grows with amount ** BULK: twice the weight for about 1.84 times the price
LETTER_SIZES = ("S", "M", "L", "XL", "XXL")
SHOE_SIZES = tuple(str(n) for n in range(38, 45))
PRICE_JITTER = (0.9, 1.15)  # one shop a little cheaper than another


@dataclass(frozen=True)
class Ladder:
    """Options along one attribute whose amount sets the price (weight, volume); amount 1 for shades."""

    key: str
    steps: tuple[tuple[str, float], ...]
    price: int  # fen, for the first step
    least: int = 2  # a shop stocks at least this many neighbouring steps


@dataclass(frozen=True)
class Wardrobe:
    """Clothes and shoes: every size in every colour the shop stocks, all at one price."""

    sizes: tuple[str, ...]
    colours: tuple[str, ...]
    price: int


def _shades(*names: str) -> tuple[tuple[str, float], ...]:
    return tuple((name, 1.0) for name in names)


GOODS: dict[str, Ladder | Wardrobe] = {
    # Fruit 水果
    "Linyi red Fuji apples 临沂红富士": Ladder("weight", (("2.5kg", 2.5), ("5kg", 5), ("10kg", 10)), 2490),
    "Gannan navel oranges 赣南脐橙": Ladder("weight", (("2.5kg", 2.5), ("5kg", 5), ("10kg", 10)), 2290),
    "Hainan mangoes 海南芒果": Ladder("weight", (("1kg", 1), ("2kg", 2), ("5kg", 5)), 1990),
    "Dandong strawberries 丹东草莓": Ladder("weight", (("500g", 0.5), ("1kg", 1), ("2kg", 2)), 2990),
    "Xinjiang Hami melon 新疆哈密瓜": Ladder("weight", (("1 melon · about 2kg", 1), ("2 melons · about 4kg", 2),
                                                        ("4 melons · about 8kg", 4)), 2590),
    # Snacks 零食
    "Spicy duck necks 麻辣鸭脖": Ladder("net weight", (("200g", 0.2), ("500g", 0.5), ("1kg", 1)), 1990),
    "Sichuan beef jerky 四川牛肉干": Ladder("net weight", (("100g", 0.1), ("250g", 0.25), ("500g", 0.5)), 2990),
    "Walnut cakes 核桃酥": Ladder("net weight", (("6 pcs · 240g", 6), ("12 pcs · 480g", 12), ("24 pcs · 960g", 24)),
                                1990),
    "Dried persimmons 柿饼": Ladder("net weight", (("250g", 0.25), ("500g", 0.5), ("1kg", 1)), 1890),
    # Tea 茶叶
    "Anxi Tieguanyin 安溪铁观音": Ladder("net weight", (("125g", 125), ("250g", 250), ("500g", 500)), 4990),
    "West Lake Longjing 西湖龙井": Ladder("net weight", (("50g", 50), ("100g", 100), ("250g", 250)), 6790),
    "Yunnan Pu'er cake 云南普洱茶饼": Ladder("net weight", (("1 cake · 357g", 1), ("2 cakes · 714g", 2),
                                                          ("7 cakes · 2.5kg", 7)), 12800),
    # Women 女装
    "Linen summer dress 亚麻连衣裙": Wardrobe(LETTER_SIZES[:4], ("white", "sky blue", "black", "beige", "pink"), 15900),
    "Knitted cardigan 针织开衫": Wardrobe(LETTER_SIZES[:4], ("beige", "grey", "cream", "navy", "camel"), 19900),
    "High-waist jeans 高腰牛仔裤": Wardrobe(LETTER_SIZES[:4], ("blue", "black", "white", "navy"), 16900),
    "Silk scarf 真丝围巾": Wardrobe(("one size",), ("red", "beige", "navy", "pink", "grey"), 12900),
    # Men 男装
    "Cotton polo shirt 纯棉Polo衫": Wardrobe(LETTER_SIZES, ("white", "black", "navy", "green", "grey"), 8900),
    "Down jacket 羽绒服": Wardrobe(LETTER_SIZES, ("black", "navy", "khaki", "red", "white"), 49900),
    "Chino trousers 休闲裤": Wardrobe(LETTER_SIZES, ("khaki", "beige", "navy", "black", "olive"), 16900),
    # Shoes 鞋靴
    "Canvas sneakers 帆布鞋": Wardrobe(SHOE_SIZES, ("white", "black", "red", "navy"), 12900),
    "Leather loafers 真皮乐福鞋": Wardrobe(SHOE_SIZES, ("brown", "black", "camel"), 35900),
    "Running shoes 跑步鞋": Wardrobe(SHOE_SIZES, ("black", "white", "grey", "blue", "pink"), 39900),
    # Skincare 护肤
    "Hydrating serum 补水精华": Ladder("volume", (("15ml", 15), ("30ml", 30), ("50ml", 50)), 13900),
    "Sunscreen SPF50 防晒霜": Ladder("volume", (("30ml", 30), ("50ml", 50), ("100ml", 100)), 7900),
    "Night cream 晚霜": Ladder("volume", (("30ml", 30), ("50ml", 50)), 16900),
    # Make-up 彩妆
    "Matte lipstick 哑光口红": Ladder("shade", _shades("#01 Ruby red", "#05 Chili", "#12 Rose nude", "#21 Berry",
                                                   "#33 Coral"), 11900),
    "Cushion foundation 气垫粉底": Ladder("shade", _shades("Ivory 01", "Natural 02", "Sand 03", "Honey 04"), 18900),
    "Eyebrow pencil 眉笔": Ladder("shade", _shades("Dark brown", "Grey brown", "Black", "Light brown"), 3900),
}


@dataclass(frozen=True)
class Option:
    attributes: dict[str, str]
    price: int  # fen
    stock: int
    purchase_limit: int | None


@dataclass(frozen=True)
class Listing:
    """The options one shop stocks, and the colours among them (one product picture each)."""

    options: list[Option]
    colours: list[str]


def shelf_price(fen: float) -> int:
    """A shop's price: whole yuan less ten fen (¥24.90), never under ¥9.90."""
    return max(990, round(fen / 100) * 100 - 10)


def listing_for(title: str, rng: random.Random) -> Listing:
    """The options a shop stocks for this product, at its prices; a title not in GOODS gets one option."""
    good = GOODS.get(title)
    limit = 5 if rng.random() < 0.2 else None  # some shops cap how many one buyer may take
    if good is None:
        return Listing([Option({"option": "standard"}, shelf_price(rng.randrange(990, 29_900, 10)),
                               rng.randint(50, 400), limit)], [])
    base = good.price * rng.uniform(*PRICE_JITTER)
    if isinstance(good, Wardrobe):
        many = min(len(good.sizes), rng.randint(3, 4))  # at most 4 sizes in 3 colours: 12 options to choose from
        start = rng.randrange(len(good.sizes) - many + 1)
        sizes = good.sizes[start:start + many]
        colours = sorted(rng.sample(good.colours, k=rng.randint(1, 3)), key=good.colours.index)
        price = shelf_price(base)
        options = [Option({"size": size, "colour": colour}, price, rng.randint(10, 80), limit)
                   for colour in colours for size in sizes]
        return Listing(options, list(colours))
    if good.key == "shade":  # any shades, at one price
        picked = sorted(rng.sample(range(len(good.steps)), k=rng.randint(2, min(3, len(good.steps)))))
    else:  # neighbouring weights or volumes
        many = rng.randint(min(good.least, len(good.steps)), len(good.steps))
        start = rng.randrange(len(good.steps) - many + 1)
        picked = list(range(start, start + many))
    first = good.steps[0][1]
    options = [Option({good.key: label}, shelf_price(base * (amount / first) ** BULK), rng.randint(50, 400), limit)
               for label, amount in (good.steps[i] for i in picked)]
    return Listing(options, [])
