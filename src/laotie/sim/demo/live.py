"""The demo's live rooms: real video from ffmpeg through the media plane, a filled cart, sales and chatter.

When nginx with the RTMP module and ffmpeg are installed, `laotie demo` starts the media
plane (the code path of `laotie media up`), opens a room for a fruit shop and one for a
clothes shop, and, beside the web server, runs per room an ffmpeg publisher that streams a
generated portrait clip (the room's colours, name and a ticking clock) into the host's
stream key. Once nginx's on_publish has put the room on air, the room gets a coupon, a
lucky bag (a new one after each draw), a "3-2-1 上车" flash sale every few minutes, and a
few demo viewers who comment and like. Everything goes through the same services as the
pages and the API; the only queries of its own are reads (which shops fit, who watches).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.config import Settings
from laotie.identity import service as identity
from laotie.kit.db import Database
from laotie.kit.errors import DomainError
from laotie.live import repository as live_repository
from laotie.live.chat import service as chat
from laotie.live.media import plane
from laotie.live.sale.service import cart, coupons, flash, lucky_bags
from laotie.live.service import presence, sessions
from laotie.models import Category, Product, Shop, Sku, User, utcnow
from laotie.sim.demo import publisher

log = logging.getLogger("laotie.demo")
T = TypeVar("T")

# Flash sales: the first countdown is long, so whoever opens the room in the first minute sees it.
FIRST_COUNTDOWN = 60
COUNTDOWN = 30
FLASH_SECONDS = 90
FLASH_GAP = 60
FLASH_STOCK = 20
LUCKY_BAG_MINUTES = 5
LUCKY_BAG_KEYWORD = "老铁666"
VIEWERS_PER_ROOM = 4
CART_SIZE = 8
DEMO_MARKER = "demo-started"  # in the media prefix while a demo runs the media plane it started


@dataclass(frozen=True)
class Theme:
    """What kind of room: which shops fit it, how its clip looks and sounds, what its viewers say."""

    slug: str
    title: str  # the session's title, seeded data like the product titles (both languages)
    category_words: tuple[str, ...]  # a leaf category whose name holds one of these fits the room
    colours: tuple[str, str, str]  # the clip's moving gradient
    tone: int  # Hz
    question: str  # the first comment: a purchase question, which the room answers with a product card
    chat: tuple[str, ...]


THEMES = (
    Theme("fruit", "鲜果直播 Fresh fruit live", ("Fruit", "水果"), ("0xff7a1a", "0xd81b60", "0xffc107"), 440,
          "这个多少钱？", ("主播好！老铁报到", "这个苹果甜吗？", "多少钱一箱", "已拍 ✔", LUCKY_BAG_KEYWORD, "发货快吗",
           "上车上车！", "Is it fresh? 新鲜吗", "给爸妈也买一箱", "芒果熟了吗", "怎么买", LUCKY_BAG_KEYWORD)),
    Theme("clothes", "服饰上新 New clothes live", ("Women", "Men", "女装", "男装", "Apparel", "服饰"),
          ("0x3949ab", "0x00897b", "0x8e24aa"), 523, "这件多少钱？",
          ("有没有XL码", "这件显瘦吗", "多少钱", "已下单 ✔", "颜色好看", LUCKY_BAG_KEYWORD, "主播穿的是M吗",
           "上车上车！", "Love this colour 颜色太美了", "面料怎么样", "求链接", LUCKY_BAG_KEYWORD)),
)


# ---- the terminal's language -------------------------------------------------------------------

def _terminal_locale() -> str:
    """zh_CN when the terminal's locale is Chinese, else English (a C locale says nothing of the reader)."""
    from laotie.web.i18n import normalise

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return normalise(value.split(".", 1)[0]) or "en"
    return "en"


def _(message: str, **values: object) -> str:
    """Text for the terminal through the pages' catalogs (extracted by pybabel like `_()` in templates)."""
    from laotie.web.i18n import translations

    text = translations(_terminal_locale()).gettext(message)
    return text % values if values else text


# ---- what is needed ------------------------------------------------------------------------------

def missing_tools(settings: Settings) -> list[str]:
    """What the live rooms need and this machine lacks, in words for the terminal (empty: all there)."""
    missing = []
    try:
        plane.nginx_binary(settings)
    except plane.MediaPlaneError:
        missing.append(_("nginx with the RTMP module"))
    if shutil.which(settings.ffmpeg_binary) is None:
        missing.append("ffmpeg")
    return missing


def callback_settings(settings: Settings, host: str, port: int) -> Settings:
    """The settings with nginx calling back to this demo's own address, unless one was configured."""
    if "callback_base_url" in settings.model_fields_set:
        return settings
    reach = "127.0.0.1" if host in ("", "0.0.0.0", "::", "localhost") else host  # noqa: S104 - read, not bound
    if ":" in reach:
        reach = f"[{reach}]"
    return settings.model_copy(update={"callback_base_url": f"http://{reach}:{port}"})


# ---- rooms ---------------------------------------------------------------------------------------

@dataclass
class Room:
    theme: Theme
    host_id: int
    host_login: str
    shop_name: str
    session_id: int = 0
    key: str = field(default="", repr=False)  # the host's secret stream key: never logged or written


async def _candidates(s: AsyncSession) -> dict[str, list[tuple[int, int, str]]]:
    """Per theme, shops that fit it: (products of the theme, owner id, shop name), best first."""
    rows = (await s.execute(
        select(Shop.owner_id, Shop.name, Category.name)
        .join(Product, Product.shop_id == Shop.id).join(Category, Category.id == Product.category_id)
        .where(Product.status == "published", Product.external_channel.is_(None), Shop.status == "open")
    )).all()
    fits: dict[str, dict[tuple[int, str], int]] = {t.slug: {} for t in THEMES}
    for owner_id, shop_name, category in rows:
        for theme in THEMES:
            if any(word in category for word in theme.category_words):
                key = (int(owner_id), str(shop_name))
                fits[theme.slug][key] = fits[theme.slug].get(key, 0) + 1
    return {slug: sorted(((n, owner, name) for (owner, name), n in shops.items()), key=lambda x: (-x[0], x[1]))
            for slug, shops in fits.items()}


async def _cart_products(s: AsyncSession, theme: Theme, owner_id: int) -> list[int]:
    """The host's products for sale, those of the room's theme first."""
    rows = (await s.execute(
        select(Product.id, Category.name).join(Shop, Shop.id == Product.shop_id)
        .join(Category, Category.id == Product.category_id)
        .where(Shop.owner_id == owner_id, Product.status == "published", Product.external_channel.is_(None))
        .order_by(Product.id))).all()
    themed = [int(p) for p, c in rows if any(w in c for w in theme.category_words)]
    return (themed + [int(p) for p, _c in rows if int(p) not in themed])[:CART_SIZE]


async def _end_leftovers(s: AsyncSession, host: User) -> None:
    """Sessions a previous demo left open (it was killed): ended, so the new room is the one on air."""
    for old in await live_repository.sessions(s, None, limit=20, host_id=host.id):
        if old.status != "ended":
            for flash_id in await flash.open_for_session(s, old.id):
                await flash.close_flash(s, flash_id, reason="live_ended")
            await sessions.end_session(s, host, old.id)
    await s.flush()  # the session has no autoflush: scheduling the next room must see these ended


async def _open_room(s: AsyncSession, theme: Theme, host: User, shop_name: str) -> Room:
    """A scheduled session with the cart filled and a fresh stream key; on air once ffmpeg publishes."""
    await _end_leftovers(s, host)
    session = await sessions.schedule_session(s, host, title=theme.title)
    products = await _cart_products(s, theme, host.id)
    for product_id in products:
        await cart.add_to_live_cart(s, host, session.id, product_id)
    if products:
        await cart.pin_product(s, host, session.id, products[0])
    key = await sessions.rotate_stream_key(s, host)
    return Room(theme, host.id, host.username, shop_name, session.id, key)


async def open_rooms(db: Database) -> list[Room]:
    """One room per theme, each hosted by the demo merchant whose shop fits it best (a shop under a
    penalty that stops it going live or filling a cart is passed over for the next)."""
    rooms: list[Room] = []
    async with db.transaction() as s:
        candidates = await _candidates(s)
        taken: set[int] = set()
        for theme in THEMES:
            for _n, owner_id, shop_name in candidates[theme.slug]:
                if owner_id in taken:
                    continue
                host = await identity.get_user(s, owner_id)
                try:
                    async with s.begin_nested():
                        room = await _open_room(s, theme, host, shop_name)
                except DomainError as exc:
                    log.info("demo room %s: %s passed over (%s)", theme.slug, host.username, exc.code)
                    continue
                rooms.append(room)
                taken.add(owner_id)
                break
    return rooms


async def _reopen(db: Database, room: Room) -> None:
    async with db.transaction() as s:
        host = await identity.get_user(s, room.host_id)
        again = await _open_room(s, room.theme, host, room.shop_name)
    room.session_id, room.key = again.session_id, again.key


async def close_rooms(db: Database, rooms: list[Room]) -> None:
    """End the demo's sessions: open flash sales give their live stock back, the rooms go off air."""
    async with db.transaction() as s:
        for room in rooms:
            await _end_leftovers(s, await identity.get_user(s, room.host_id))


# ---- beside the web server ---------------------------------------------------------------------------

class LiveStage:
    """Runs the rooms' publishers and loops inside the web server's lifespan, and stops them with it.

    The shutdown happens in the lifespan too: uvicorn re-raises SIGTERM once it has shut down,
    which ends the process before anything after `uvicorn.run` could run.
    """

    def __init__(self, settings: Settings, rooms: list[Room], base_url: str, console: Console, *,
                 owns_plane: bool) -> None:
        self.settings = settings
        self.rooms = rooms
        self.base_url = base_url.rstrip("/")
        self.console = console
        self.owns_plane = owns_plane
        self.closed = False
        self.layout = plane.Layout.of(settings)
        self.encoders: set[asyncio.subprocess.Process] = set()
        self.log_tasks: set[asyncio.Task[None]] = set()

    def attach(self, app: Any) -> None:
        """Wrap the app's lifespan: the rooms start once it is up and stop before it shuts down."""
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(a: Any) -> AsyncIterator[Any]:
            async with inner(a) as state:
                runner = asyncio.create_task(self.run(a.state.db), name="demo-live")
                try:
                    yield state
                finally:
                    runner.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await runner
                    await self.close(a.state.db, settle=a.state.dispatcher.drain)

        app.router.lifespan_context = lifespan

    async def close(self, db: Database, settle: Callable[[], Awaitable[object]] | None = None) -> None:
        """Encoders stopped, the rooms' sessions ended, the media plane stopped if the demo started it.

        `settle` dispatches the events of the ending (the app's outbox) before nginx goes: ending a
        room asks the media plane to drop its encoder, which must not race nginx shutting down.
        """
        if self.closed:
            return
        self.closed = True
        try:
            for proc in list(self.encoders):  # should the cancellation have missed one
                await publisher.stop(proc)
            await close_rooms(db, self.rooms)
            if settle is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(settle(), timeout=10)
        finally:
            if self.owns_plane:
                await asyncio.to_thread(plane.stop, self.settings)
                (self.layout.prefix / DEMO_MARKER).unlink(missing_ok=True)

    async def run(self, db: Database) -> None:
        if not await self._server_up():
            return
        texts = await publisher.has_drawtext(self.settings.ffmpeg_binary)
        await asyncio.gather(*(self._keep_on_air(db, room, texts) for room in self.rooms))

    async def _server_up(self) -> bool:
        """nginx asks the server before it lets a stream in: publish once the server answers."""
        async with httpx.AsyncClient(timeout=1.0) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.settings.callback_base_url.rstrip('/')}/healthz")).text == "ok":
                        return True
                await asyncio.sleep(0.1)
        log.warning("demo live rooms: the server did not answer at %s", self.settings.callback_base_url)
        return False

    async def _keep_on_air(self, db: Database, room: Room, with_text: bool) -> None:
        """Keep the room on air: if ffmpeg stops (the session ends with it), open a new room and publish again."""
        pause = 2.0
        while True:
            try:
                was_live = await self._on_air(db, room, with_text)
            except Exception:
                log.exception("demo room %s failed", room.theme.slug)
                was_live = False
            pause = 2.0 if was_live else min(pause * 2, 60.0)
            await asyncio.sleep(pause)
            await _guard(room, "reopen", _reopen(db, room))

    async def _on_air(self, db: Database, room: Room, with_text: bool) -> bool:
        """Publish; while the room is live run its sales and viewers; return when ffmpeg stops (was it live?)."""
        texts = publisher.write_texts(
            self.layout.prefix / "demo" / room.theme.slug, room.theme.title, room.shop_name) if with_text else None
        proc = await self._publish(room, texts)
        loops: list[asyncio.Task[None]] = []
        live = False
        try:
            live = await self._until_live(db, room, proc)
            if live:
                self.console.print("● " + _("%(room)s is live: %(url)s", room=room.theme.title,
                                            url=f"{self.base_url}/live/{room.session_id}"), highlight=False)
                loops = [asyncio.create_task(fn(db, room), name=f"demo-{fn.__name__}-{room.theme.slug}")
                         for fn in (self._flash_sales, self._promotions, self._viewers)]
            await proc.wait()
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await publisher.stop(proc)
            self.encoders.discard(proc)
        log.warning("demo room %s: ffmpeg exited with %s; see %s", room.theme.slug, proc.returncode,
                    self._log_path(room))
        return live

    def _log_path(self, room: Room) -> Path:
        return self.layout.logs / f"demo-{room.theme.slug}.log"

    async def _publish(self, room: Room, texts: Path | None) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            *publisher.command(self.settings, room.theme.colours, room.theme.tone, room.key, texts),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            # Its own session: a Ctrl-C in the terminal reaches the demo, which stops ffmpeg in order.
            start_new_session=True, preexec_fn=publisher.die_with_parent)
        self.encoders.add(proc)
        logging_task = asyncio.create_task(self._keep_log(proc, room), name=f"demo-ffmpeg-log-{room.theme.slug}")
        self.log_tasks.add(logging_task)
        logging_task.add_done_callback(self.log_tasks.discard)
        return proc

    async def _keep_log(self, proc: asyncio.subprocess.Process, room: Room) -> None:
        """ffmpeg's warnings, with the stream key (part of the URL it names in errors) blanked out."""
        assert proc.stderr is not None
        path = self._log_path(room)
        path.parent.mkdir(parents=True, exist_ok=True)
        key = room.key
        with path.open("a", encoding="utf-8") as out:
            async for line in proc.stderr:
                out.write(line.decode(errors="replace").replace(key, "<stream key>"))
                out.flush()

    async def _until_live(self, db: Database, room: Room, proc: asyncio.subprocess.Process) -> bool:
        """True once on_publish has put the session on air; False if ffmpeg gives up first."""
        for _ in range(600):
            if proc.returncode is not None:
                return False
            async with db.transaction() as s:
                if (await sessions.get_session(s, room.session_id)).status == "live":
                    return True
            await asyncio.sleep(0.1)
        return False

    async def _flash_sales(self, db: Database, room: Room) -> None:
        """A flash sale, then a pause, then the next (the first with a long countdown)."""
        rng = random.Random(f"demo-live:{room.theme.slug}:{room.session_id}:flash")
        countdown = FIRST_COUNTDOWN
        turn = 0
        while True:
            scheduled = await _guard(room, "flash", self.schedule_flash(db, room, countdown, turn))
            turn += 1
            countdown = COUNTDOWN
            if scheduled is None:
                await asyncio.sleep(FLASH_GAP)
                continue
            flash_id, seconds = scheduled
            await asyncio.sleep(seconds)
            await _guard(room, "flash", self._close_flash(db, flash_id))
            await asyncio.sleep(FLASH_GAP + rng.uniform(0, 20))

    async def schedule_flash(self, db: Database, room: Room, countdown: int, turn: int) -> tuple[int, float]:
        async with db.transaction() as s:
            host = await identity.get_user(s, room.host_id)
            view = await cart.room_view(s, room.session_id)
            skus: list[Sku] = [k for _p, ks in view.cart for k in ks if k.stock >= 10]
            if not skus:
                raise DomainError("nothing in the cart has stock for a flash sale", code="no_stock")
            sku = skus[turn % len(skus)]
            stock = min(FLASH_STOCK, sku.stock // 2)
            cap = min(2, sku.purchase_limit or 2)
            live_price = max(10, sku.price * 7 // 10 // 10 * 10)  # 30% off, whole jiao
            made = await flash.schedule_flash(s, self.settings, host, room.session_id, flash.FlashTerms(
                sku_id=sku.id, live_price=live_price, live_stock=stock, per_buyer_cap=cap,
                countdown_seconds=countdown, duration_seconds=FLASH_SECONDS))
            await cart.pin_product(s, host, room.session_id, sku.product_id)
            return made.id, countdown + FLASH_SECONDS + 2.0

    async def _close_flash(self, db: Database, flash_id: int) -> None:
        """The jobs close a sale when its time is up; this makes sure of it when jobs are off."""
        async with db.transaction() as s:
            await flash.close_flash(s, flash_id, reason="time_up")

    async def _promotions(self, db: Database, room: Room) -> None:
        """A coupon pushed once; a lucky bag open all the time (a new one once the last is drawn)."""
        await _guard(room, "coupon", self.push_coupon(db, room))
        while True:
            ends = await _guard(room, "lucky bag", self.open_lucky_bag(db, room))
            await asyncio.sleep(LUCKY_BAG_MINUTES * 60 + 3 if ends else 60)

    async def push_coupon(self, db: Database, room: Room) -> None:
        async with db.transaction() as s:
            host = await identity.get_user(s, room.host_id)
            coupon = await coupons.create_coupon(s, host, room.session_id, coupons.CouponTerms(
                amount_off=1_000, min_spend=9_900, total=200, valid_until=utcnow() + timedelta(hours=12),
                live_cart_only=True))
            await coupons.push_coupon(s, host, coupon.id)

    async def open_lucky_bag(self, db: Database, room: Room) -> bool:
        async with db.transaction() as s:
            if any(b.status == "open" for b in await lucky_bags.session_bags(s, room.session_id)):
                return True
            host = await identity.get_user(s, room.host_id)
            view = await cart.room_view(s, room.session_id)
            prize = min((k for _p, ks in view.cart for k in ks if k.stock >= 10), key=lambda k: (k.price, k.id),
                        default=None)
            if prize is None:
                return False
            await lucky_bags.create_lucky_bag(s, host, room.session_id, lucky_bags.BagTerms(
                sku_id=prize.id, prizes=3, condition="comment", keyword=LUCKY_BAG_KEYWORD,
                ends_at=utcnow() + timedelta(minutes=LUCKY_BAG_MINUTES)))
            return True

    async def _viewers(self, db: Database, room: Room) -> None:
        """A few demo consumers in the room: present, commenting now and then, tapping likes."""
        rng = random.Random(f"demo-live:{room.theme.slug}:{room.session_id}:chat")
        async with db.transaction() as s:
            viewer_ids = await _viewer_ids(s, room)
        if not viewer_ids:
            return
        seen = -float(presence.HEARTBEAT_SECONDS)
        clock = asyncio.get_running_loop()
        line = room.theme.question
        while True:
            if clock.time() - seen >= presence.HEARTBEAT_SECONDS:
                seen = clock.time()
                async with db.transaction() as s:
                    for viewer_id in viewer_ids:
                        await presence.touch_presence(s, room.session_id, viewer_id, utcnow())
            viewer_id = rng.choice(viewer_ids)
            await _guard(room, "chat", comment(db, room, viewer_id, line))
            chat.like(db, room.session_id, rng.randint(1, 6))
            line = rng.choice(room.theme.chat)
            await asyncio.sleep(rng.uniform(3.0, 9.0))


async def _viewer_ids(s: AsyncSession, room: Room) -> list[int]:
    """Demo consumers from the end of the list (consumer1 is the one a visitor signs in as)."""
    slot = [t.slug for t in THEMES].index(room.theme.slug)
    stmt = (select(User.id).where(User.username.like("consumer%")).order_by(User.id.desc())
            .offset(slot * VIEWERS_PER_ROOM).limit(VIEWERS_PER_ROOM))
    return [int(u) for u in (await s.execute(stmt)).scalars()]


async def comment(db: Database, room: Room, viewer_id: int, line: str) -> None:
    """A demo viewer, in the room, says something (as the room's socket would have it said)."""
    async with db.transaction() as s:
        viewer = await identity.get_user(s, viewer_id)
        await presence.touch_presence(s, room.session_id, viewer.id, utcnow())
        await chat.post_comment(s, db.settings, viewer, room.session_id, line)


async def _guard(room: Room, what: str, step: Awaitable[T]) -> T | None:
    """A refused step (sold out, rate-limited, a penalty) is logged and skipped; the room carries on."""
    try:
        return await step
    except asyncio.CancelledError:
        raise
    except DomainError as exc:
        log.info("demo room %s, %s: %s", room.theme.slug, what, exc.code)
    except Exception:
        log.exception("demo room %s, %s failed", room.theme.slug, what)
    return None


# ---- the demo command's side ------------------------------------------------------------------------

async def _with_db(settings: Settings, act: Callable[[Database], Awaitable[T]]) -> T:
    db = Database.connect(settings)
    try:
        return await act(db)
    finally:
        await db.dispose()


def serve_demo(settings: Settings, host: str, port: int, console: Console,
               serve: Callable[[Settings, Any], None]) -> None:
    """Serve the demo (`serve(settings, app)`), with live rooms on air when the tools are there.

    The media plane is started before the server and stopped after it (unless it was running
    already, e.g. from `laotie media up`); the rooms' sessions end when the demo stops.
    """
    base_url = f"http://{host}:{port}"
    settings = callback_settings(settings, host, port)
    missing = missing_tools(settings)
    if missing:
        console.print(_("No live rooms: %(missing)s not found. Install them with: bash scripts/system-deps.sh",
                        missing=", ".join(missing)), style="yellow", highlight=False)
        serve(settings, None)
        return
    # A media plane already running is left running, unless a demo started it (one killed outright).
    marker = plane.Layout.of(settings).prefix / DEMO_MARKER
    owns = plane.running_pid(settings) is None or marker.is_file()
    try:
        plane.start(settings)
        if owns:
            marker.write_text("started by laotie demo; it stops this media plane when it ends\n")
    except plane.MediaPlaneError as exc:
        console.print(_("No live rooms: the media plane (nginx with the RTMP module) did not start."),
                      style="yellow", highlight=False)
        console.print(str(exc), highlight=False, markup=False)
        serve(settings, None)
        return
    stage = LiveStage(settings, [], base_url, console, owns_plane=owns)
    try:
        stage.rooms = asyncio.run(_with_db(settings, open_rooms))
        if not stage.rooms:
            console.print(_("No live rooms: no shop in this demo world sells fruit or clothes."),
                          style="yellow", highlight=False)
            asyncio.run(_with_db(settings, stage.close))
            serve(settings, None)
            return
        table = Table(title=_("Live rooms (on air once the server is up)"))
        for column in (_("Room"), _("Host"), _("Web address")):
            table.add_column(column, overflow="fold")
        for room in stage.rooms:
            table.add_row(room.theme.title, room.host_login, f"{base_url}/live/{room.session_id}")
        console.print(table)
        from laotie.app import create_app

        app = create_app(settings)
        stage.attach(app)
        serve(settings, app)
    finally:
        # When the server never got as far as its lifespan (it could not start).
        if not stage.closed:
            asyncio.run(_with_db(settings, stage.close))
