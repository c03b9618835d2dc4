"""A seeded synthetic order stream with planted fake-order (刷单) rings and hard negatives.

The detector is judged on this data, so the data is built to make both precision and recall
mean something:

- ordinary buyers shop at popularity-skewed shops (Zipf over shops and over each shop's
  products), sometimes return to a favourite shop, review now and then, confirm receipt days
  later or let it auto-confirm; a few percent are new accounts, a few percent buy cheap goods
  or have them delivered the same day, some leave "好评"-style short five-star reviews;
- hard negatives look like one signal or one dense block and are not fraud: families sharing
  an address (and sometimes a tablet), loyal customers who buy again and again from a small
  community shop (a dense block of old accounts), and live flash sales (秒杀) where hundreds of
  buyers order the same item at the same price within two minutes, sometimes for ¥9.9;
- planted rings: a group of accounts that orders repeatedly from a few colluding small shops
  (sometimes through a colluding creator's room) in organised sessions, and camouflages by
  buying ordinary goods from popular shops. Each ring has a random subset of the traits
  new accounts / shared devices / shared addresses / tiny amounts with instant confirmation /
  short five-star reviews / session bursts, covering at least two of the five signals the issue
  names (device and address sharing are one): with one signal or none a ring is, by
  construction, indistinguishable from a loyal customer base or a family, and no honest
  detector should convict those. Each trait is carried by most, not all, members and orders
  (10 % of a "new accounts" ring are bought aged accounts, 15 % of its orders go unreviewed …).
  Every member places at least three fake orders (an account used once leaves no structure).

Everything is vectorised with numpy, so a million orders take a few seconds, and one seed gives
one dataset byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from laotie.trust.fraud.core.batch import OrderBatch

DAY = 86_400.0
HOUR = 3_600.0
EPOCH_START = 1_735_689_600.0  # 2025-01-01T00:00:00Z: fixed so a seed fixes every timestamp
WINDOW_DAYS = 90
PRODUCTS_PER_SHOP = 20
RING_LISTING = 99  # product slot of the cheap listing a ring orders (a separate link, 刷单链接)
RING_TRAITS = ("new_accounts", "shared_devices", "shared_addresses", "tiny_instant", "short_reviews",
               "bursts")
# Which of the detector's five signals each trait shows up as: device and address sharing are
# one signal, so a ring must have traits from two different signals.
_SIGNAL_OF_TRAIT = {"new_accounts": "new_accounts", "shared_devices": "shared_fingerprints",
                    "shared_addresses": "shared_fingerprints", "tiny_instant": "tiny_instant",
                    "short_reviews": "short_five_star", "bursts": "bursts"}


@dataclass(frozen=True, slots=True)
class PlantedRing:
    """One planted ring: who, where, and which traits it was given."""

    buyers: tuple[int, ...]
    shops: tuple[int, ...]
    creator: int | None
    traits: frozenset[str]
    orders: int


@dataclass(frozen=True, slots=True)
class SyntheticOrders:
    """A generated batch and its ground truth."""

    batch: OrderBatch
    seed: int
    rings: tuple[PlantedRing, ...]
    ring_buyers: frozenset[int]
    ring_shops: frozenset[int]
    loyal_buyers: frozenset[int]  # customers of community shops: dense, honest
    family_buyers: frozenset[int]  # share an address with relatives: honest
    flash_sale_orders: int


def member_precision_recall(flagged: Iterable[int], truth: Iterable[int]) -> tuple[float, float]:
    """Precision and recall of flagged buyer ids against the planted ring members.

    With nothing flagged precision is 1.0 (no false accusation was made) and recall 0.0.
    """
    flagged_set, truth_set = set(flagged), set(truth)
    hits = len(flagged_set & truth_set)
    precision = hits / len(flagged_set) if flagged_set else 1.0
    recall = hits / len(truth_set) if truth_set else 1.0
    return precision, recall


class _Orders:
    """Columns being assembled, chunk by chunk, in buyer-slot and shop-rank space."""

    def __init__(self) -> None:
        self.chunks: dict[str, list[NDArray[np.generic]]] = {name: [] for name in (
            "slot", "shop", "product", "creator", "amount", "created_at", "confirm_delay",
            "review_stars", "review_chars")}

    def add(self, **columns: NDArray[np.generic]) -> None:
        lengths = {len(v) for v in columns.values()}
        assert len(lengths) == 1 and set(columns) == set(self.chunks), columns.keys()
        for name, values in columns.items():
            self.chunks[name].append(values)

    def count(self) -> int:
        return sum(len(chunk) for chunk in self.chunks["slot"])

    def column(self, name: str) -> NDArray[np.generic]:
        return np.concatenate(self.chunks[name])


class _World:
    """Shops, products, prices, creators and ordinary buyers, before any order exists."""

    def __init__(self, rng: np.random.Generator, n_orders: int) -> None:
        self.rng = rng
        self.n_shops = max(40, n_orders // 40)
        self.n_creators = max(10, self.n_shops // 8)
        self.n_ordinary = max(300, n_orders // 5)
        ranks = np.arange(self.n_shops, dtype=np.float64)
        self.shop_popularity = 1.0 / (ranks + 1.0) ** 0.95
        self.shop_popularity /= self.shop_popularity.sum()
        product_pop = 1.0 / (np.arange(PRODUCTS_PER_SHOP) + 1.0) ** 1.2
        self.product_popularity = product_pop / product_pop.sum()
        price = np.exp(rng.normal(np.log(4_000.0), 0.9, size=(self.n_shops, PRODUCTS_PER_SHOP)))
        cheap = rng.random(price.shape) < 0.03  # tissues, phone cases: honest cheap goods
        price[cheap] = rng.integers(100, 1_000, size=int(cheap.sum()))
        self.price = np.maximum(np.round(price), 100).astype(np.int64)
        # Each shop works with three creators; creators are popularity-skewed too.
        creator_pop = 1.0 / (np.arange(self.n_creators) + 1.0)
        self.shop_creators = rng.choice(self.n_creators, size=(self.n_shops, 3), p=creator_pop / creator_pop.sum())
        self.favourite = rng.choice(self.n_shops, size=self.n_ordinary, p=self.shop_popularity)
        self.activity = np.exp(rng.normal(0.0, 1.0, size=self.n_ordinary))
        self.activity /= self.activity.sum()

    def ordinary(self, slots: NDArray[np.int64], favourites: NDArray[np.int64], out: _Orders,
                 *, favourite_share: float = 0.3, not_before: NDArray[np.float64] | None = None) -> None:
        """Ordinary purchases by the given buyer slots (one order each), uniform in the window
        or, per order, between `not_before` (an account's registration) and the window's end."""
        rng, n = self.rng, len(slots)
        shop = rng.choice(self.n_shops, size=n, p=self.shop_popularity)
        loyal = rng.random(n) < favourite_share
        shop[loyal] = favourites[loyal]
        product = rng.choice(PRODUCTS_PER_SHOP, size=n, p=self.product_popularity)
        quantity = rng.choice(3, size=n, p=[0.85, 0.1, 0.05]) + 1
        via_creator = rng.random(n) < 0.35
        creator = np.where(via_creator, self.shop_creators[shop, rng.integers(0, 3, size=n)], -1)
        start = EPOCH_START if not_before is None else np.maximum(not_before, EPOCH_START)
        created = start + rng.random(n) * (EPOCH_START + WINDOW_DAYS * DAY - start)
        stars, chars = self.reviews(n, review_rate=0.35, short_share=0.2)
        out.add(slot=slots.astype(np.int64), shop=shop, product=product, creator=creator,
                amount=self.price[shop, product] * quantity, created_at=created,
                confirm_delay=self.confirm_delays(n), review_stars=stars, review_chars=chars)

    def confirm_delays(self, n: int) -> NDArray[np.float64]:
        """Shipping plus transit plus the buyer's lag (or the 7-day auto-confirm); some never."""
        rng = self.rng
        ship = rng.uniform(0.3, 2.0, n) * DAY
        transit = rng.uniform(1.0, 4.0, n) * DAY
        manual = rng.random(n) < 0.5
        lag = np.where(manual, rng.uniform(0.05, 3.0, n) * DAY, 7.0 * DAY)
        delay = ship + transit + lag
        same_day = rng.random(n) < 0.03  # local delivery, virtual goods: honest and fast
        delay[same_day] = rng.uniform(1.0, 20.0, int(same_day.sum())) * HOUR
        delay[rng.random(n) < 0.12] = np.nan  # not yet confirmed, cancelled or refunded
        return delay

    def reviews(self, n: int, *, review_rate: float, short_share: float,
                ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        rng = self.rng
        reviewed = rng.random(n) < review_rate
        stars = rng.choice(5, size=n, p=[0.05, 0.04, 0.08, 0.18, 0.65]) + 1
        short = rng.random(n) < short_share
        chars = np.where(short, rng.integers(0, 9, n), np.round(np.exp(rng.normal(np.log(40.0), 0.7, n))))
        return np.where(reviewed, stars, 0), np.where(reviewed, chars, 0).astype(np.int64)


@dataclass
class _Accounts:
    """Per buyer slot: devices, addresses and how the registration time is set. A ring fixes it
    (`registered`); an honest new account registered `new_lag_days` before its first order;
    NaN in both means an old account."""

    devices: list[NDArray[np.int64]]
    addresses: list[NDArray[np.int64]]
    new_lag_days: list[NDArray[np.float64]]
    registered: list[NDArray[np.float64]]
    count: int

    def add(self, devices: NDArray[np.int64], addresses: NDArray[np.int64], registered: NDArray[np.float64],
            ) -> NDArray[np.int64]:
        """New slots for a ring's accounts."""
        slots = np.arange(self.count, self.count + len(devices), dtype=np.int64)
        self.count += len(devices)
        self.devices.append(devices)
        self.addresses.append(addresses)
        self.registered.append(registered)
        self.new_lag_days.append(np.full(len(devices), np.nan))
        return slots


def generate_orders(n_orders: int = 100_000, *, seed: int = 0, n_rings: int | None = None,
                    camouflage: tuple[float, float] = (2.0, 8.0)) -> SyntheticOrders:
    """Generate `n_orders` orders (exactly) with `n_rings` planted rings (default one per 12,500).

    `camouflage` bounds the mean number of ordinary purchases per ring account (each ring draws
    its mean from the range, each account a Poisson count); raise it to stress the detector.
    Returns the batch with ids shuffled (an id says nothing about who is a fraudster) and the
    ground truth. The same arguments always give the same data.
    """
    if n_orders < 2_000:
        raise ValueError("n_orders must be at least 2,000 for the planted structure to fit")
    n_rings = max(3, n_orders // 12_500) if n_rings is None else n_rings
    if n_rings < 0:
        raise ValueError("n_rings must not be negative")
    if not 0 <= camouflage[0] <= camouflage[1]:
        raise ValueError("camouflage must be a (low, high) range of non-negative means")
    rng = np.random.default_rng(seed)
    world = _World(rng, n_orders)
    out = _Orders()
    n = world.n_ordinary
    accounts = _Accounts(devices=[rng.integers(1, 2**62, n)], addresses=[rng.integers(1, 2**62, n)],
                         new_lag_days=[np.where(rng.random(n) < 0.08, rng.exponential(2.0, n), np.nan)],
                         registered=[np.full(n, np.nan)], count=n)
    family_slots = _families(rng, accounts.devices[0], accounts.addresses[0])
    community, loyal_slots = _community_shops(rng, world, out)
    flash_orders = _flash_sales(rng, world, out, n_orders)
    eligible = np.setdiff1d(np.arange(world.n_shops // 20, world.n_shops * 9 // 10), community)
    rings = [_plant_ring(rng, world, out, accounts, eligible, camouflage) for _ in range(n_rings)]

    # Ordinary orders fill the rest, exactly up to n_orders.
    rest = n_orders - out.count()
    if rest < n_orders // 3:
        raise ValueError(f"{n_rings} rings do not fit in {n_orders} orders; use fewer rings or more orders")
    slots = rng.choice(world.n_ordinary, size=rest, p=world.activity).astype(np.int64)
    world.ordinary(slots, world.favourite[slots], out)
    return _assemble(rng, world, out, accounts, rings, family_slots, loyal_slots, flash_orders, seed)


def _families(rng: np.random.Generator, devices: NDArray[np.int64], addresses: NDArray[np.int64],
              ) -> NDArray[np.int64]:
    """12 % of ordinary buyers share an address with 1-4 relatives, a quarter of them a tablet too."""
    in_family = rng.permutation(len(devices))[: int(len(devices) * 0.12)]
    sizes = rng.integers(2, 6, size=len(in_family))
    family_of = np.repeat(np.arange(len(sizes)), sizes)[: len(in_family)]
    heads = in_family[np.searchsorted(family_of, family_of, side="left")]
    addresses[in_family] = addresses[heads]
    shared_tablet = (rng.random(len(sizes)) < 0.25)[family_of]
    devices[in_family[shared_tablet]] = devices[heads[shared_tablet]]
    return np.asarray(in_family[np.bincount(family_of)[family_of] >= 2], dtype=np.int64)


def _community_shops(rng: np.random.Generator, world: _World, out: _Orders,
                     ) -> tuple[NDArray[np.int64], list[NDArray[np.int64]]]:
    """Small shops whose loyal customers buy again and again: dense, repeated, honest."""
    community = rng.choice(np.arange(world.n_shops // 3, world.n_shops), size=max(3, world.n_shops // 60),
                           replace=False)
    loyal: list[NDArray[np.int64]] = []
    for shop in community:
        customers = rng.choice(world.n_ordinary, size=int(rng.integers(8, 41)), replace=False).astype(np.int64)
        loyal.append(customers)
        slots = np.repeat(customers, 2 + rng.poisson(6.0, size=len(customers)))
        n = len(slots)
        product = rng.integers(0, 3, n)
        stars, chars = world.reviews(n, review_rate=0.5, short_share=0.35)
        stars = np.where((stars > 0) & (rng.random(n) < 0.8), 5, stars)
        out.add(slot=slots, shop=np.full(n, shop), product=product, creator=np.full(n, -1),
                amount=world.price[shop, product], created_at=EPOCH_START + rng.random(n) * WINDOW_DAYS * DAY,
                confirm_delay=world.confirm_delays(n), review_stars=stars, review_chars=chars)
    return np.asarray(community, dtype=np.int64), loyal


def _flash_sales(rng: np.random.Generator, world: _World, out: _Orders, n_orders: int) -> int:
    """Live flash sales (秒杀): up to 200 near-identical orders in two minutes, some at ¥9.9."""
    total = 0
    for _ in range(max(2, n_orders // 10_000)):
        shop = int(rng.integers(0, min(50, world.n_shops)))
        product = int(rng.integers(0, PRODUCTS_PER_SHOP))
        price = 990 if rng.random() < 0.3 else int(world.price[shop, product] // 2)
        buyers = rng.choice(world.n_ordinary, size=int(rng.integers(30, 201)), replace=False).astype(np.int64)
        n = len(buyers)
        start = EPOCH_START + rng.random() * (WINDOW_DAYS - 1) * DAY
        stars, chars = world.reviews(n, review_rate=0.35, short_share=0.2)
        out.add(slot=buyers, shop=np.full(n, shop), product=np.full(n, product),
                creator=np.full(n, world.shop_creators[shop, 0]), amount=np.full(n, price),
                created_at=start + rng.random(n) * 120.0, confirm_delay=world.confirm_delays(n),
                review_stars=stars, review_chars=chars)
        total += n
    return total


_RingRow = tuple[NDArray[np.int64], NDArray[np.int64], int | None, frozenset[str], int]


def _plant_ring(rng: np.random.Generator, world: _World, out: _Orders, accounts: _Accounts,
                eligible: NDArray[np.int64], camouflage_range: tuple[float, float]) -> _RingRow:
    """One ring: accounts, colluding shops (and maybe a creator), sessions of fake orders, camouflage."""
    size = int(rng.integers(8, 61))
    shops = rng.choice(eligible, size=int(rng.integers(1, 5)), replace=False)
    creator = int(rng.integers(world.n_creators // 4, world.n_creators)) if rng.random() < 0.4 else None
    traits = {trait for trait in RING_TRAITS if rng.random() < 0.55}
    while len({_SIGNAL_OF_TRAIT[trait] for trait in traits}) < 2:
        traits.add(RING_TRAITS[int(rng.integers(0, len(RING_TRAITS)))])

    # Sessions: the organiser posts a task, members place one order per colluding shop.
    # Accounts are put to work as soon as the ring has them: nearly all join the first session.
    sessions = int(rng.integers(4, 13))
    starts = np.sort(EPOCH_START + rng.uniform(7.0, WINDOW_DAYS - 4.0, sessions) * DAY)
    take_part, per_shop = rng.uniform(0.5, 0.9), rng.uniform(0.6, 1.0)
    joins = rng.random((sessions, size, 1)) < take_part
    joins[0] = rng.random((size, 1)) < 0.95
    grid = joins & (rng.random((sessions, size, len(shops))) < per_shop)
    # At least three fake orders per member: top up from random session/shop cells.
    for member in np.flatnonzero(grid.sum(axis=(0, 2)) < 3):
        cells = rng.permutation(sessions * len(shops))[:3]
        grid[cells // len(shops), member, cells % len(shops)] = True

    # Device farms and drop addresses, or every account its own; registered in a batch days
    # before the first session (new accounts), or bought aged.
    pool = max(1, size // int(rng.integers(3, 9)))
    devices = (rng.integers(1, 2**62, pool)[rng.integers(0, pool, size)] if "shared_devices" in traits
               else rng.integers(1, 2**62, size))
    pool = max(1, size // int(rng.integers(4, 13)))
    addresses = (rng.integers(1, 2**62, pool)[rng.integers(0, pool, size)] if "shared_addresses" in traits
                 else rng.integers(1, 2**62, size))
    fresh = ("new_accounts" in traits) & (rng.random(size) < 0.9)
    registered = np.where(fresh, starts[0] - rng.uniform(0.0, 6.0, size) * DAY,
                          EPOCH_START - rng.uniform(30.0, 1_500.0, size) * DAY)
    members = accounts.add(devices, addresses, registered)

    session_of, member_of, shop_of = np.nonzero(grid)
    n = len(session_of)
    # A burst is an organised sitting of minutes; without it the orders drip in over days.
    span = rng.uniform(5.0, 40.0) * 60.0 if "bursts" in traits else 3.0 * DAY
    created = starts[session_of] + rng.random(n) * span
    if "tiny_instant" in traits:  # a cheap separate listing, an empty parcel, confirmed at once
        product = np.full(n, RING_LISTING)
        amount = rng.integers(1, 991, len(shops))[shop_of]
        delay = np.clip(np.exp(rng.normal(np.log(3 * HOUR), 0.8, n)), 60.0, 20 * HOUR)
    else:  # the shop's real listing at its real price, refunded off the platform
        product = rng.integers(0, PRODUCTS_PER_SHOP, len(shops))[shop_of]
        amount = world.price[shops[shop_of], product]
        delay = rng.uniform(1.0, 3.0, n) * DAY + rng.uniform(0.0, 6.0, n) * HOUR
    if "short_reviews" in traits:
        reviewed = rng.random(n) < 0.85
        stars = np.where(reviewed, 5, 0)
        chars = np.where(reviewed, rng.integers(0, 9, n), 0)
    else:  # templated praise of ordinary length
        reviewed = rng.random(n) < 0.6
        stars = np.where(reviewed, np.where(rng.random(n) < 0.9, 5, 4), 0)
        chars = np.where(reviewed, np.round(np.exp(rng.normal(np.log(45.0), 0.4, n))), 0).astype(np.int64)
    via = np.full(n, -1) if creator is None else np.where(rng.random(n) < 0.8, creator, -1)
    out.add(slot=members[member_of], shop=shops[shop_of], product=product, creator=via, amount=amount,
            created_at=created, confirm_delay=delay, review_stars=stars, review_chars=chars)
    # Camouflage: the same accounts buy ordinary goods, mostly from popular shops.
    camouflage = np.repeat(members, rng.poisson(rng.uniform(*camouflage_range), size))
    world.ordinary(camouflage, rng.choice(min(200, world.n_shops), size=len(camouflage)), out,
                   not_before=registered[camouflage - members[0]])
    return members, np.asarray(shops, dtype=np.int64), creator, frozenset(traits), n


def _assemble(rng: np.random.Generator, world: _World, out: _Orders, accounts: _Accounts, ring_rows: list[_RingRow],
              family_slots: NDArray[np.int64], loyal_slots: list[NDArray[np.int64]], flash_orders: int,
              seed: int) -> SyntheticOrders:
    """Turn slots and ranks into shuffled ids, order by time, and derive account ages."""
    slot = out.column("slot").astype(np.int64)
    created_at = out.column("created_at").astype(np.float64)
    order = np.argsort(created_at, kind="stable")
    slot, created_at = slot[order], created_at[order]
    n = len(slot)

    # Registration: old accounts 30 days to 4 years before the window; honest new ones shortly
    # before their first order; ring accounts as the ring decided.
    n_slots = accounts.count
    new_lag_days = np.concatenate(accounts.new_lag_days)
    registered = np.concatenate(accounts.registered)
    device = np.concatenate(accounts.devices)
    address = np.concatenate(accounts.addresses)
    first_order = np.full(n_slots, np.inf)
    np.minimum.at(first_order, slot, created_at)
    account_created = EPOCH_START - rng.uniform(30.0, 1_500.0, n_slots) * DAY
    new = ~np.isnan(new_lag_days) & np.isfinite(first_order)
    account_created[new] = first_order[new] - new_lag_days[new] * DAY
    fixed = ~np.isnan(registered)
    account_created[fixed] = registered[fixed]

    buyer_ids = rng.permutation(n_slots).astype(np.int64) + 1
    shop_ids = rng.permutation(world.n_shops).astype(np.int64) + 1
    creator_ids = rng.permutation(world.n_creators).astype(np.int64) + 1
    shop_rank = out.column("shop").astype(np.int64)[order]
    creator_rank = out.column("creator").astype(np.int64)[order]
    shop_id = shop_ids[shop_rank]
    batch = OrderBatch(
        order_id=np.arange(1, n + 1, dtype=np.int64) + 10_000_000,
        buyer_id=buyer_ids[slot],
        shop_id=shop_id,
        creator_id=np.where(creator_rank >= 0, creator_ids[np.maximum(creator_rank, 0)], 0),
        product_id=shop_id * 100 + out.column("product").astype(np.int64)[order],
        amount=out.column("amount").astype(np.int64)[order],
        created_at=np.round(created_at),
        confirm_delay=np.round(out.column("confirm_delay").astype(np.float64)[order]),
        buyer_created_at=np.round(account_created[slot]),
        address_fp=address[slot],
        device_fp=device[slot],
        review_stars=out.column("review_stars")[order],
        review_chars=out.column("review_chars")[order],
    )
    rings = tuple(
        PlantedRing(buyers=tuple(sorted(int(b) for b in buyer_ids[members])),
                    shops=tuple(sorted(int(s) for s in shop_ids[shops])),
                    creator=None if creator is None else int(creator_ids[creator]), traits=traits, orders=count)
        for members, shops, creator, traits, count in ring_rows)
    return SyntheticOrders(
        batch=batch, seed=seed, rings=rings,
        ring_buyers=frozenset(b for ring in rings for b in ring.buyers),
        ring_shops=frozenset(s for ring in rings for s in ring.shops),
        loyal_buyers=frozenset(int(b) for b in buyer_ids[np.concatenate(loyal_slots)]) if loyal_slots
        else frozenset(),
        family_buyers=frozenset(int(b) for b in buyer_ids[family_slots]),
        flash_sale_orders=flash_orders,
    )
