"""The demo world beyond the shop floor: follows, short videos, deposits, after-sales, coins, a case, feed pages.

Each step goes through the service functions the pages and the API call, one transaction
per thing a person would do, and draws from its own random stream so the same seed makes
the same world. Where no service exists for what the demo needs, the step says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain, zip_longest
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.aftersales.service import claims
from laotie.aftersales.service import requests as aftersales
from laotie.catalog import service as catalog
from laotie.config import Settings
from laotie.kit.db import Database
from laotie.kit.errors import DomainError
from laotie.live.gifts import service as gifts
from laotie.models import User, utcnow
from laotie.orders import logistics
from laotie.orders.gateway import gateway_for
from laotie.orders.service import checkout as checkout_service
from laotie.orders.service import lifecycle, payment
from laotie.sim.demo.pictures import Painter
from laotie.social.follows import service as follows
from laotie.social.videos import service as videos
from laotie.traffic.service import actions
from laotie.traffic.service.feed import feed_of
from laotie.trust.deposits import service as deposits
from laotie.trust.governance.service import cases

Progress = Callable[[str, int], None]

DEMO_PASSWORD = "laotie123"  # noqa: S105 - published on purpose: demo logins

FOLLOW_SKEW = 1.1  # Zipf exponent: the n-th most popular account gets about 1/n^1.1 of the follows
MOST_FOLLOWED = 6  # a consumer follows between 1 and this many accounts
# A 2-second portrait clip, like a phone video: a window pans across the video's drawn frame
# (its own colour, pattern, product and caption), so each video and its poster look different.
CLIP_FILTER = "crop=320:568:(in_w-out_w)*t/2:0"
CLIP_SECONDS = "2"
CLIP_FPS = "15"
CLIP_TIMEOUT_SECONDS = 60.0
PLAYS_PER_LIKE = (5, 12)  # a video is played many times for each like it gets
SIGNED_IN_PLAYS = 0.6  # the other plays are anonymous visitors'
CAPTIONS = (
    "{title}: unboxing 开箱, the link is in the cart 👇",
    "How we pack {title} before it ships",
    "{title} — three things to know before you buy",
    "Why {title} sells out every week 爆款",
    "老铁们, {title} is back in stock",
)
VIDEO_COMMENTS = ("Ordered one, arrived in two days 👍", "Is there a bigger size?", "老铁 666",
                  "My mum loves these", "How long does shipping take to Harbin?")
DEPOSIT_CATEGORY = "Skincare 护肤"  # beauty is where deposits are usually asked first
DEPOSIT_REQUIRED = 200_000  # ¥2,000
DEPOSIT_STARTER = 50_000  # ¥500 that shops outside that category put down anyway
AFTERSALE_STEPS = 6  # a completed order with a counterfeit claim, and five requests in different states
COIN_PACKS = (60, 300, 980, 2980)
FEED_PAGE = 12  # what /discover serves at a time


@dataclass(frozen=True)
class Placed:
    """An order the shop floor placed: who bought from whom, and how far it went."""

    order_id: int
    buyer: User
    merchant_id: int
    fate: str  # completed | delivered | shipped | paid | pending | cancelled


@dataclass
class Cast:
    """Who and what the earlier steps made, for the later ones."""

    db: Database
    seed: int
    step: Progress
    operator: User
    merchants: list[User]
    creators: list[User]
    consumers: list[User]
    leaf_ids: dict[str, int]
    products: dict[int, list[tuple[int, str]]]  # merchant id → its published products (id, title)
    skus: dict[int, list[tuple[int, int]]]  # merchant id → its SKUs (id, price), cheapest first
    unshipped: dict[int, list[int]]  # merchant id → paid orders it has not shipped
    password_hash: str = ""  # the demo password's hash, for accounts later steps register
    painter: Painter = field(default_factory=Painter.found)  # draws product, review and video pictures
    leaf_of: dict[int, str] = field(default_factory=dict)  # product id → its category's name
    orders: list[Placed] = field(default_factory=list)  # the shop floor's orders, as placed
    quality_returns: list[int] = field(default_factory=list)  # orders refunded for a quality reason
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.db.settings

    def rng(self, step: str) -> random.Random:
        # Each step has its own stream, so a change to one step never reshuffles the others.
        return random.Random(f"{self.seed}:{step}")

    def note(self, text: str) -> None:
        """Something the demo left out, said where the person running it sees it."""
        self.notes.append(text)
        print(f"note: {text}")  # inside the CLI's progress bar, rich shows this above the bar


# ---- orders, paid the way a buyer pays in the sandbox -------------------------------------------

async def pay_in_sandbox(s: AsyncSession, settings: Settings, payment_id: int, amount: int) -> None:
    """The sandbox gateway's signed "succeeded" notification, through the same verification as any callback."""
    body, sig = gateway_for(settings).notification(payment_id=payment_id, amount=amount,
                                                   currency=settings.currency, status="succeeded")
    await payment.handle_notification(s, settings, body, sig)


async def place_order(s: AsyncSession, settings: Settings, buyer: User, sku_id: int, quantity: int,
                      address: checkout_service.Address, fate: str, tracking: str, *,
                      device_fp: str | None = None, source: str = "direct") -> int | None:
    """Check out one SKU and take the order as far as `fate`; None when the checkout is refused.

    `device_fp` is the ordering device's fingerprint (`checkout.device_fingerprint`), as the
    pages pass it; the shop floor's buyers leave it out, like API clients that send none.
    `source` is where the buyer came from (`profile:<creator id>` for an alliance sale).
    """
    try:
        async with s.begin_nested():
            result = await checkout_service.checkout(
                s, settings, buyer, [checkout_service.LineRequest(sku_id, quantity)], address,
                device_fp=device_fp, source=source)
    except DomainError:  # sold out or over a purchase limit: a real buyer would just move on
        return None
    order_id = result.order_ids[0]
    if fate == "cancelled":
        await lifecycle.cancel_order(s, order_id, reason="buyer_cancelled", buyer=buyer)
    elif fate != "pending":
        await pay_in_sandbox(s, settings, result.payment_id, result.amount)
        if fate in ("shipped", "delivered", "completed"):
            order = await lifecycle.get_order(s, order_id)
            seller = await s.get(User, (await catalog.get_shop(s, order.shop_id)).owner_id)
            assert seller is not None
            await lifecycle.ship_order(s, seller, order_id, carrier="SF Express", tracking_no=tracking)
            if fate in ("delivered", "completed"):
                b, sg = logistics.delivery_notification(settings, order_id, tracking)
                oid, tn = logistics.verify_delivery(settings, b, sg)
                await lifecycle.deliver_order(s, oid, tn)
            if fate == "completed":
                await lifecycle.confirm_receipt(s, buyer, order_id)
    return order_id


# ---- follows ---------------------------------------------------------------------------------------

async def seed_follows(cast: Cast) -> None:
    """Consumers follow creators and shops, a few accounts getting most of the fans (Zipf-like).

    Follower brackets (粉丝量级) start at 10k fans, so at the demo's size every account is
    in the first one; the skew shows in the fan counts.
    """
    rng = cast.rng("follows")
    popular = [u for u in chain.from_iterable(zip_longest(cast.creators, cast.merchants)) if u is not None]
    weights = [1 / rank ** FOLLOW_SKEW for rank in range(1, len(popular) + 1)]
    made = 0
    for n, consumer in enumerate(cast.consumers):
        picks = rng.choices(range(len(popular)), weights=weights, k=rng.randint(1, MOST_FOLLOWED)) if popular else []
        if n == 0:  # consumer1 follows creator1 and merchant1, so its following feed is never empty
            picks = [0, 1, *picks]
        async with cast.db.transaction() as s:
            for p in dict.fromkeys(p for p in picks if p < len(popular)):
                made += await follows.follow(s, consumer, popular[p].id)
        cast.step("follows", 1)
    # Creators (达人) follow the shops whose goods they might carry; creator1 follows merchant1.
    shop_weights = [1 / rank ** FOLLOW_SKEW for rank in range(1, len(cast.merchants) + 1)]
    for n, creator in enumerate(cast.creators if cast.merchants else []):
        shops = rng.choices(range(len(cast.merchants)), weights=shop_weights, k=rng.randint(1, 3))
        async with cast.db.transaction() as s:
            for p in dict.fromkeys([0, *shops] if n == 0 else shops):
                made += await follows.follow(s, creator, cast.merchants[p].id)
    cast.counts["follows"] = made


# ---- short videos ----------------------------------------------------------------------------------

async def _clips(binary: str, frames: list[bytes]) -> list[bytes] | None:
    """Small H.264 mp4s made by ffmpeg from drawn frames, all in one run; None if ffmpeg cannot make them."""
    with tempfile.TemporaryDirectory(prefix="laotie-demo-") as tmp:
        folder = Path(tmp)
        inputs: list[str] = []
        chains: list[str] = []
        outputs: list[str] = []
        for n, frame in enumerate(frames):
            still = folder / f"frame{n}.ppm"
            await asyncio.to_thread(still.write_bytes, frame)
            inputs += ["-loop", "1", "-framerate", CLIP_FPS, "-t", CLIP_SECONDS, "-i", str(still)]
            chains.append(f"[{n}:v]{CLIP_FILTER}[v{n}]")
            outputs += ["-map", f"[v{n}]", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast",
                        "-threads", "1", "-movflags", "+faststart", str(folder / f"clip{n}.mp4")]
        proc = await asyncio.create_subprocess_exec(
            binary, "-hide_banner", "-nostdin", "-loglevel", "error", *inputs, "-filter_complex", ";".join(chains),
            *outputs, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)
        try:
            async with asyncio.timeout(CLIP_TIMEOUT_SECONDS):
                code = await proc.wait()
        except TimeoutError:
            return None
        finally:  # timed out, or the seeding was cancelled: the encoder goes too
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        made = [folder / f"clip{n}.mp4" for n in range(len(frames))]
        if code != 0 or not all(clip.is_file() for clip in made):
            return None
        return [await asyncio.to_thread(clip.read_bytes) for clip in made]


@dataclass
class Filming:
    """The demo's videos in the making: what each shows, and ffmpeg's run encoding their clips."""

    count: int  # videos the demo asked for
    posts: list[tuple[User, list[tuple[int, str]], str]]  # owner, cart (product id, title), caption
    rng: random.Random  # the videos' stream, carts drawn: the likes and comments draw on from it
    clips: asyncio.Task[list[bytes] | None] | None  # None: ffmpeg was not found


def film_videos(cast: Cast, count: int) -> Filming:
    """Choose each video's cart and caption, draw its frame and start encoding the clips.

    Each video is its own clip, drawn around the first product in its cart, so the posters in
    /discover differ; one ffmpeg run encodes them all while the steps before `seed_videos` run.
    """
    owners = [u for u in chain.from_iterable(zip_longest(cast.creators, cast.merchants)) if u is not None][:count]
    binary = shutil.which(cast.settings.ffmpeg_binary)
    rng = cast.rng("videos")
    if binary is None:
        return Filming(count, [(owner, [], "") for owner in owners], rng, None)
    looks = cast.rng("video looks")  # a stream of its own: the frames never move the carts and likes
    everything = sorted(chain.from_iterable(cast.products.values()))
    merchant_ids = {m.id for m in cast.merchants}
    posts = []
    frames = []
    for n, owner in enumerate(owners):
        # A shop shows its own products; a creator (达人) recommends any shop's.
        pool = cast.products.get(owner.id, []) if owner.id in merchant_ids else everything
        cart = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
        title = cart[0][1] if cart else "our shop"
        caption = rng.choice(CAPTIONS).format(title=title)
        frames.append(cast.painter.video_frame(title, cast.leaf_of.get(cart[0][0], "") if cart else "", caption,
                                               n, looks))
        posts.append((owner, cart, caption))
    return Filming(count, posts, rng, asyncio.create_task(_clips(binary, frames)) if frames else None)


async def seed_videos(cast: Cast, filming: Filming) -> None:
    """Creators and shops post the filmed videos with their product carts; fans play, like and comment.

    Plays go through the same counter as the page's, many per like.
    """
    cast.counts["videos"] = cast.counts["video_plays"] = 0
    count, posts, rng = filming.count, filming.posts, filming.rng
    clips = await filming.clips if filming.clips is not None else None
    if clips is None:
        if posts:
            why = "could not make H.264 clips" if filming.clips is not None else "was not found"
            cast.note(f"short videos skipped: ffmpeg ({cast.settings.ffmpeg_binary}) {why}; the feed stays empty")
        cast.step("videos (skipped)", count)
        return
    audience = cast.rng("video plays")  # a stream of its own: the plays never move the likes
    for n, ((owner, cart, caption), clip) in enumerate(zip(posts, clips, strict=True)):
        async with cast.db.transaction() as s:
            video = await videos.upload_video(s, cast.settings, owner, clip, caption, [pid for pid, _ in cart])
        async with cast.db.transaction() as s:
            fans = rng.sample(cast.consumers, k=min(len(cast.consumers), rng.randint(2, 12)))
            for fan in fans:
                await videos.like_video(s, fan, video.id)
            if cast.consumers:
                await videos.comment_on_video(s, cast.settings, rng.choice(cast.consumers), video.id,
                                              VIDEO_COMMENTS[n % len(VIDEO_COMMENTS)])
            # The fans who liked it played it first; then other consumers and anonymous visitors.
            plays = max(1, len(fans)) * audience.randint(*PLAYS_PER_LIKE)
            for i in range(plays):
                viewer = fans[i] if i < len(fans) else (
                    audience.choice(cast.consumers) if cast.consumers and audience.random() < SIGNED_IN_PLAYS
                    else None)
                await videos.record_play(s, video.id, viewer)
            cast.counts["video_plays"] += plays
        cast.counts["videos"] += 1
        cast.step("videos", 1)
    cast.step("videos", count - len(posts))


# ---- deposits --------------------------------------------------------------------------------------

async def seed_deposits(cast: Cast) -> None:
    """The operator asks a deposit (保证金) of one category's shops; shops top up through the gateway.

    One shop in that category (never merchant1) pays only half, so the console and the
    publish guard show a shop frozen for new listings.
    """
    async with cast.db.transaction() as s:
        await deposits.set_category_deposit(s, cast.operator, cast.leaf_ids[DEPOSIT_CATEGORY], DEPOSIT_REQUIRED)
        needs = {m.id: await deposits.required(s, (await catalog.my_shop(s, m)).id) for m in cast.merchants}
    short = next((m.id for m in reversed(cast.merchants[1:]) if needs[m.id]), None)
    topped = 0
    for merchant in cast.merchants:
        need = needs[merchant.id]
        amount = need // 2 if merchant.id == short else need or DEPOSIT_STARTER
        async with cast.db.transaction() as s:
            topup = await deposits.open_topup(s, cast.settings, merchant, amount)
            await pay_in_sandbox(s, cast.settings, topup.payment_id, amount)
        topped += 1
        cast.step("deposits", 1)
    cast.counts["deposit_topups"] = topped


# ---- after-sales -----------------------------------------------------------------------------------

async def seed_aftersales(cast: Cast) -> None:
    """merchant1's shop gets after-sale requests in each state, and a counterfeit claim for the operator.

    consumer1 has a refunded instant refund (极速退款), a return it still has to ship, and a
    rejected return it took to the platform (a dispute for /operator/disputes); consumer2 a
    return that went back and was refunded with the return-shipping compensation (退货补运费).
    """
    settings = cast.settings
    if not cast.merchants or not cast.consumers:
        cast.step("after-sales", AFTERSALE_STEPS)
        return
    merchant = cast.merchants[0]
    first, second = cast.consumers[0], cast.consumers[1 % len(cast.consumers)]
    rng = cast.rng("aftersales")
    bought = 0

    async def buy(buyer: User, fate: str, max_total: int | None = None) -> int | None:
        nonlocal bought
        for sku_id, price in cast.skus.get(merchant.id, []):  # cheapest first
            if max_total is not None and price > max_total:
                break
            address = checkout_service.Address(buyer.display_name, f"139{rng.randrange(10**8):08d}",
                                               f"{rng.randint(1, 300)} Renmin Road")
            async with cast.db.transaction() as s:
                order_id = await place_order(s, settings, buyer, sku_id, 1, address, fate,
                                             f"ZT{cast.seed}{bought:06d}")
            bought += 1
            if order_id is not None:
                return order_id
        cast.note(f"after-sales: merchant1 had nothing left for a {fate} order")
        return None

    async def ask(buyer: User, order_id: int, kind: str, reason: str, why: str) -> int:
        async with cast.db.transaction() as s:
            return (await aftersales.request_aftersale(s, settings, buyer, order_id, kind=kind, reason=reason,
                                                       description=why)).id

    made = 0
    # A completed order first: guarantees need a buyer with one (see laotie.aftersales.standing).
    genuine = await buy(first, "completed")
    cast.step("after-sales", 1)
    if (order_id := await buy(first, "paid", max_total=settings.instant_refund_max)) is not None:
        await ask(first, order_id, "refund_only", "no_reason", "Ordered twice by mistake.")
        made += 1
    cast.step("after-sales", 1)
    if (order_id := await buy(first, "delivered")) is not None:
        aid = await ask(first, order_id, "return_refund", "not_as_described", "The colour is not the one pictured.")
        async with cast.db.transaction() as s:
            await aftersales.decide(s, settings, merchant, aid, approve=True)
        made += 1
    cast.step("after-sales", 1)
    if (order_id := await buy(first, "delivered")) is not None:
        aid = await ask(first, order_id, "return_refund", "quality", "The seam came apart on the first day.")
        async with cast.db.transaction() as s:
            await aftersales.decide(s, settings, merchant, aid, approve=False,
                                    reason="The photos show wear from use, not a defect.")
        async with cast.db.transaction() as s:
            await aftersales.escalate(s, first, aid)
        made += 1
    cast.step("after-sales", 1)
    if (order_id := await buy(second, "delivered")) is not None:
        aid = await ask(second, order_id, "return_refund", "wrong_item", "Sent the wrong size.")
        async with cast.db.transaction() as s:
            await aftersales.decide(s, settings, merchant, aid, approve=True)
        async with cast.db.transaction() as s:
            await aftersales.ship_return(s, settings, second, aid, carrier="YTO Express",
                                         tracking_no=f"YT{cast.seed}{order_id:08d}")
        async with cast.db.transaction() as s:
            await aftersales.confirm_return(s, settings, merchant, aid)
        cast.quality_returns.append(order_id)  # a wrong item is a quality reason: it bars 靠谱好货
        made += 1
    cast.step("after-sales", 1)
    cast.counts["aftersales"] = made
    cast.counts["claims"] = 0
    if genuine is not None:
        async with cast.db.transaction() as s:
            await claims.file_claim(s, settings, first, genuine,
                                    "The label and stitching are not the brand's, "
                                    "and the code on the tag is not on the brand's site.")
        cast.counts["claims"] = 1
    cast.step("after-sales", 1)


# ---- coins and gifts -------------------------------------------------------------------------------

async def seed_coins(cast: Cast, buyers: int) -> None:
    """A few consumers buy coins (快币) through the gateway.

    No gifts are sent: a gift goes to a live session, and the demo starts none (going live
    needs the media plane and an encoder), so the coins wait in the wallets for the first stream.
    """
    bought = 0
    for n, consumer in enumerate(cast.consumers[:buyers]):
        async with cast.db.transaction() as s:
            purchase = await gifts.buy_coins(s, cast.settings, consumer, COIN_PACKS[n % len(COIN_PACKS)])
            await pay_in_sandbox(s, cast.settings, purchase.payment_id, purchase.amount)
        bought += 1
        cast.step("coins", 1)
    cast.step("coins", buyers - bought)
    cast.counts["coin_purchases"] = bought


# ---- governance ------------------------------------------------------------------------------------

async def seed_case(cast: Cast) -> None:
    """The operator opens a late-shipping case (延迟发货, a warning) against merchant1, which may appeal it."""
    cast.counts["cases"] = 0
    if cast.merchants:
        merchant = cast.merchants[0]
        late = cast.unshipped.get(merchant.id, [])[:3]
        async with cast.db.transaction() as s:
            await cases.open_case(s, cast.operator, violation_code="late_shipping", subject_id=merchant.id,
                                  reason="Paid orders still unshipped past the promised 48 hours",
                                  evidence={"order_ids": late} if late else None)
        cast.counts["cases"] = 1
    cast.step("governance", 1)


# ---- the discovery feed ----------------------------------------------------------------------------

async def seed_feed(cast: Cast, viewers: int) -> None:
    """Consumers open the discovery feed, tap one item and watch a while: the impression log fills."""
    cast.counts["impressions"] = 0
    if not cast.counts.get("videos"):
        if viewers:
            cast.note("discovery feed skipped: there are no videos (and no live rooms) to serve")
        cast.step("feed (skipped)", viewers)
        return
    from laotie.app import _register_domains

    _register_domains()  # the trust policy's sources, as in the server, so pages rank as they would there
    feed = feed_of(cast.db)
    rng = cast.rng("feed")
    for viewer in cast.consumers[:viewers]:
        async with cast.db.transaction() as s:
            served = await feed.serve(s, viewer.id, None, FEED_PAGE, utcnow())
        cast.counts["impressions"] += len(served)
        if served:
            tapped = served[rng.randrange(min(len(served), 4))].impression_id  # people tap near the top
            async with cast.db.transaction() as s:
                await actions.record_click(s, feed, viewer, tapped)
                await actions.record_watch(s, feed, viewer, tapped, rng.randint(2, 45))
        cast.step("feed", 1)
    cast.step("feed", viewers - len(cast.consumers[:viewers]))
