"""Short videos (短视频): upload, the video's product cart (视频页购物车), plays, likes, comments, removal.

Who may put which product in a video's cart: a merchant, its own shop's published products;
a creator (达人), any published product on the platform. Until the affiliate alliance arrives
with its commission terms, a creator's cart is a plain recommendation: the order's source
(`video:<id>`) is recorded, but nothing is paid for it. Products that link out to another
channel are never in a cart: they cannot be bought here.

Files live under the media folder (`videos/<random>.mp4` and its `.jpg` poster); the bytes
are checked, never the file name or the browser's content type. Writing the file and taking
the poster frame touch no database: `stage_video` does that work, `publish_video` writes the
rows, so a request can keep its database connection (on SQLite, the one writer) free while a
large file is copied. A staged file is deleted again when the transaction that would have
published it rolls back.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import math
import re
import secrets
import shutil
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import delete, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session as SyncSession
from sqlalchemy.orm import SessionTransaction

from laotie.catalog.repository import skus_of
from laotie.config import Settings
from laotie.identity.errors import RoleRequired
from laotie.kit.db import AFTER_COMMIT_SENDS, dialect_insert
from laotie.kit.errors import DomainError, Message
from laotie.kit.events import record_event
from laotie.live.chat.service import clean_comment
from laotie.models import Product, Shop, Sku, User, Video, VideoComment, VideoLike, VideoProduct, utcnow
from laotie.social.videos.errors import (
    BadVideo,
    CaptionTooLong,
    NotYourProduct,
    NotYourVideo,
    ProductLinksOut,
    TooManyProducts,
    VideoNotFound,
    VideoOwnerNotFound,
    VideoProductNotFound,
    VideoTooLarge,
)
from laotie.trust.governance.service.penalties import ensure_cart_allowed

log = logging.getLogger("laotie.videos")

POSTING_ROLES = ("creator", "merchant")
MAX_CAPTION = 300
MAX_COMMENT = 300
MAX_CART_PRODUCTS = 20
VIDEO_FOLDER = "videos"
# ISO base media files start with an `ftyp` box: size, "ftyp", major brand, version, compatible brands.
MP4_BRANDS = frozenset({
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"iso9", b"mp41", b"mp42", b"avc1",
    b"M4V ", b"M4VP", b"M4VH", b"dash", b"msnv", b"mmp4", b"hvc1", b"av01", b"cmfc", b"MSNV",
})
HEAD_BYTES = 64
CHUNK_BYTES = 1 << 20
# The poster frame: half a second in (past a black first frame), at most 720 px wide.
POSTER_AT_SECONDS = ("0.5", "0")
POSTER_FILTER = r"scale=w=min(iw\,720):h=-2"
FFMPEG_TIMEOUT_SECONDS = 20.0
_DURATION = re.compile(rb"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


# ---- checks shared by upload and the cart --------------------------------------------------------

def ensure_may_post(user: User) -> None:
    if not any(user.has_role(role) for role in POSTING_ROLES):
        raise RoleRequired("posting videos needs the creator or merchant role")


def clean_caption(caption: str) -> str:
    # Newlines are kept (shown as typed); other control characters only break displays.
    text = "".join(c for c in caption if c == "\n" or unicodedata.category(c) != "Cc").strip()
    if len(text) > MAX_CAPTION:
        raise CaptionTooLong("captions are at most %(max_length)s characters", field="caption",
                             max_length=MAX_CAPTION)
    return text


async def check_cart(s: AsyncSession, owner: User, product_ids: Iterable[int]) -> list[int]:
    """The product ids in order without repeats, after checking the owner may show each of them."""
    ids = list(dict.fromkeys(product_ids))
    if len(ids) > MAX_CART_PRODUCTS:
        raise TooManyProducts("a video shows at most %(max_products)s products", field="product_ids",
                              max_products=MAX_CART_PRODUCTS)
    if not ids:
        return ids
    await ensure_cart_allowed(s, owner.id)  # a cart suspension (雷霆计划) covers the video cart too
    rows = (await s.execute(select(Product, Shop.owner_id).join(Shop, Shop.id == Product.shop_id)
                            .where(Product.id.in_(ids)))).all()
    found = {p.id: (p, shop_owner) for p, shop_owner in rows}
    any_shop = owner.has_role("creator")
    for product_id in ids:
        if product_id not in found or found[product_id][0].status != "published":
            raise VideoProductNotFound("product %(product_id)s is not for sale", field="product_ids",
                                       product_id=product_id)
        product, shop_owner = found[product_id]
        if product.is_external:
            raise ProductLinksOut(Message("“%(title)s” is sold on %(channel)s, not here",
                                          {"title": product.title, "channel": product.external_channel}),
                                  field="product_ids", product_id=product_id)
        if not any_shop and shop_owner != owner.id:
            raise NotYourProduct("product %(product_id)s is not from your shop", field="product_ids",
                                 product_id=product_id)
    return ids


def parse_product_ids(values: Iterable[str]) -> list[int]:
    """Product ids from form fields: each field one id or a comma-separated list; blanks are skipped."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isascii() or not part.isdigit() or len(part) > 18 or int(part) < 1:
                raise DomainError(f"product ids are whole numbers, not {part[:20]!r}", code="invalid_request",
                                  status=422, field="product_ids")
            ids.append(int(part))
            if len(ids) > MAX_CART_PRODUCTS * 5:  # far past the cart's limit: stop reading
                raise TooManyProducts("a video shows at most %(max_products)s products",
                                      field="product_ids", max_products=MAX_CART_PRODUCTS)
    return ids


async def check_upload(s: AsyncSession, owner: User, *, caption: str, product_ids: Iterable[int]
                       ) -> tuple[str, list[int]]:
    """Everything about an upload but the file: cheap, so a refusal comes before any byte is stored."""
    ensure_may_post(owner)
    return clean_caption(caption), await check_cart(s, owner, product_ids)


# ---- the file --------------------------------------------------------------------------------------

def sniff_video(head: bytes) -> None:
    """Accept an mp4 (ISO BMFF `ftyp` box with an mp4-family brand), whatever it is called."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        raise BadVideo("videos must be MP4 files", field="file")
    box_end = min(int.from_bytes(head[0:4], "big"), len(head))
    brands = [head[8:12]] + [head[i:i + 4] for i in range(16, box_end - 3, 4)]
    if not any(b in MP4_BRANDS for b in brands):
        raise BadVideo("videos must be MP4 files (H.264 in an MP4 container plays everywhere)", field="file")


@dataclass
class StagedVideo:
    """A checked file stored under the media folder, not yet published."""

    media_dir: Path
    file_name: str
    size_bytes: int
    poster_name: str | None = None
    duration_ms: int | None = None

    def discard(self) -> None:
        for name in (self.file_name, self.poster_name):
            if name:
                (self.media_dir / name).unlink(missing_ok=True)


def _store(source: BinaryIO, target: Path, max_bytes: int) -> int:
    """Copy after checking the type and the size; nothing is left behind on a refusal."""
    if source.seekable():
        source.seek(0)
    sniff_video(source.read(HEAD_BYTES))
    if source.seekable():
        total = source.seek(0, io.SEEK_END)
        if total > max_bytes:
            raise VideoTooLarge("videos may be at most %(max_mib)s MiB", field="file", max_bytes=max_bytes,
                                max_mib=max_bytes // (1024 * 1024) or 1)
        source.seek(0)
    target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        with target.open("xb") as out:
            while chunk := source.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:  # a stream whose length was not known up front
                    raise VideoTooLarge("videos may be at most %(max_mib)s MiB", field="file", max_bytes=max_bytes,
                                        max_mib=max_bytes // (1024 * 1024) or 1)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size


def _duration_ms(stderr: bytes) -> int | None:
    match = _DURATION.search(stderr)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)


async def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def _run(args: list[str]) -> tuple[int, bytes] | None:
    """Run ffmpeg; None when it cannot start or takes too long (then it is killed)."""
    try:
        proc = await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.PIPE)
    except OSError:
        return None
    try:
        async with asyncio.timeout(FFMPEG_TIMEOUT_SECONDS):
            _, stderr = await proc.communicate()
    except TimeoutError:
        await _kill(proc)
        return None
    except BaseException:  # the request was cancelled: never leave ffmpeg running behind it
        await _kill(proc)
        raise
    return proc.returncode or 0, stderr


async def probe_video(settings: Settings, video: Path) -> int:
    """The duration in ms of the file's first video stream, as ffprobe reads it; BadVideo when it cannot.

    An `ftyp` header is only a claim: ffprobe must find a video stream with a duration in the
    container, so zero-filled or truncated files never reach the feed.
    """
    binary = shutil.which(settings.ffprobe_binary)
    if binary is None:
        raise DomainError("videos cannot be checked on this server now (ffprobe is missing)",
                          code="video_check_unavailable", status=503)
    try:
        proc = await asyncio.create_subprocess_exec(
            binary, "-v", "error", "-select_streams", "v:0",
            "-show_entries", "stream=codec_type,duration:format=duration", "-of", "json", str(video),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    except OSError as exc:
        raise DomainError("videos cannot be checked on this server now", code="video_check_unavailable",
                          status=503) from exc
    try:
        async with asyncio.timeout(FFMPEG_TIMEOUT_SECONDS):
            stdout, _ = await proc.communicate()
    except TimeoutError:
        await _kill(proc)
        raise BadVideo("the video could not be read in time", field="file") from None
    except BaseException:  # the request was cancelled: never leave ffprobe running behind it
        await _kill(proc)
        raise
    duration = _probed_duration(stdout) if proc.returncode == 0 else None
    if duration is None:
        raise BadVideo("this file holds no playable video; upload an MP4 (H.264 plays everywhere)", field="file")
    return duration


def _probed_duration(stdout: bytes) -> int | None:
    """The duration (ms) from ffprobe's JSON when it found a video stream, else None."""
    try:
        data = json.loads(stdout)
        streams = [st for st in data.get("streams", []) if st.get("codec_type") == "video"]
        if not streams:
            return None
        raw = streams[0].get("duration") or data.get("format", {}).get("duration")
        seconds = float(raw)
    except (ValueError, TypeError, AttributeError):
        return None
    return round(seconds * 1000) if seconds > 0 and math.isfinite(seconds) else None


async def take_poster(settings: Settings, video: Path, poster: Path) -> tuple[bool, int | None]:
    """The poster frame (a JPEG) and the duration, with ffmpeg when it is installed; never an error."""
    binary = shutil.which(settings.ffmpeg_binary)
    if binary is None:
        return False, None
    duration: int | None = None
    for at in POSTER_AT_SECONDS:  # a clip shorter than the first offset has no frame there
        result = await _run([binary, "-hide_banner", "-nostdin", "-y", "-threads", "1", "-ss", at,
                             "-i", str(video), "-frames:v", "1", "-vf", POSTER_FILTER, "-q:v", "4", str(poster)])
        if result is None:
            break
        code, stderr = result
        duration = duration or _duration_ms(stderr)
        if _kept(poster, ok=code == 0):
            return True, duration
    _kept(poster, ok=False)
    return False, duration


def _kept(poster: Path, *, ok: bool) -> bool:
    """Whether ffmpeg wrote a poster; a failed attempt's leftovers are deleted."""
    if ok and poster.is_file() and poster.stat().st_size > 0:
        return True
    poster.unlink(missing_ok=True)
    return False


async def stage_video(settings: Settings, data: bytes | BinaryIO) -> StagedVideo:
    """Check and store the file, take its poster frame; touches no database."""
    source: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
    media_dir = settings.media_dir.resolve()
    stem = f"{VIDEO_FOLDER}/{secrets.token_hex(16)}"
    staged = StagedVideo(media_dir, f"{stem}.mp4", 0)
    staged.size_bytes = await asyncio.to_thread(_store, source, media_dir / staged.file_name,
                                                settings.video_max_bytes)
    poster = f"{stem}.jpg"
    try:
        probed = await probe_video(settings, media_dir / staged.file_name)
        has_poster, staged.duration_ms = await take_poster(settings, media_dir / staged.file_name,
                                                           media_dir / poster)
    except BaseException:  # refused, or cancelled mid-way: no file stays behind
        staged.poster_name = poster
        staged.discard()
        raise
    staged.duration_ms = staged.duration_ms or probed
    staged.poster_name = poster if has_poster else None
    return staged


def _on_rollback(s: AsyncSession, undo: Callable[[], None]) -> None:
    """Call `undo` if the current transaction (or savepoint), or one around it, is rolled back."""
    sync: SyncSession = s.sync_session
    current = sync.get_nested_transaction() or sync.get_transaction()

    def rolled_back(_session: SyncSession, previous: SessionTransaction) -> None:
        t = current
        while t is not None:
            if t is previous:
                undo()
                return
            t = t.parent

    event.listen(sync, "after_soft_rollback", rolled_back)


def _after_commit(s: AsyncSession, send: Callable[[], Awaitable[object]]) -> None:
    s.info.setdefault(AFTER_COMMIT_SENDS, []).append(send)


# ---- state changes ---------------------------------------------------------------------------------

async def publish_video(s: AsyncSession, owner: User, staged: StagedVideo, *, caption: str = "",
                        product_ids: Iterable[int] = ()) -> Video:
    """Publish a staged file with its caption and product cart; the file goes if this rolls back."""
    _on_rollback(s, staged.discard)
    try:
        text, ids = await check_upload(s, owner, caption=caption, product_ids=product_ids)
        video = Video(owner_id=owner.id, caption=text, file_name=staged.file_name, poster_name=staged.poster_name,
                      size_bytes=staged.size_bytes, duration_ms=staged.duration_ms, status="published",
                      plays=0, likes=0, comments=0)
        s.add(video)
        await s.flush()
        await _write_cart(s, video.id, ids)
        await record_event(s, "video.published", {"video_id": video.id, "owner_id": owner.id, "product_ids": ids,
                                                  "duration_ms": staged.duration_ms})
    except BaseException:
        staged.discard()
        raise
    return video


async def upload_video(s: AsyncSession, settings: Settings, owner: User, data: bytes | BinaryIO,
                       caption: str = "", product_ids: Iterable[int] = ()) -> Video:
    """Upload and publish in one call (the API and pages stage first, outside their transaction)."""
    ids = list(product_ids)
    await check_upload(s, owner, caption=caption, product_ids=ids)
    staged = await stage_video(settings, data)
    return await publish_video(s, owner, staged, caption=caption, product_ids=ids)


async def _write_cart(s: AsyncSession, video_id: int, product_ids: Sequence[int]) -> None:
    await s.execute(delete(VideoProduct).where(VideoProduct.video_id == video_id))
    if product_ids:
        await s.execute(dialect_insert(s, VideoProduct).values(
            [{"video_id": video_id, "product_id": pid, "position": i} for i, pid in enumerate(product_ids)]))


async def _published(s: AsyncSession, video_id: int, *, lock: bool = False) -> Video:
    if lock:  # a row lock (PostgreSQL; SQLite has one writer anyway) so writers of the cart take turns
        video = (await s.execute(select(Video).where(Video.id == video_id).with_for_update()
                                 .execution_options(populate_existing=True))).scalar_one_or_none()
    else:
        video = await s.get(Video, video_id)
    if video is None or video.status != "published":
        raise VideoNotFound("no such video")
    return video


async def set_video_products(s: AsyncSession, actor: User, video_id: int, product_ids: Iterable[int]) -> list[int]:
    """Replace the video's product cart, in the order given."""
    video = await _published(s, video_id, lock=True)
    if video.owner_id != actor.id:
        raise NotYourVideo("only the video's owner changes its products")
    ids = await check_cart(s, actor, product_ids)
    await _write_cart(s, video.id, ids)
    await record_event(s, "video.cart_changed", {"video_id": video.id, "owner_id": video.owner_id,
                                                 "product_ids": ids})
    return ids


async def remove_video(s: AsyncSession, actor: User, video_id: int) -> Video:
    """Take a video down (its owner, or an operator); its files are deleted once that is committed."""
    video = await s.get(Video, video_id)
    may_remove = video is not None and (actor.id == video.owner_id or actor.has_role("operator"))
    if video is None or (video.status != "published" and not may_remove):
        raise VideoNotFound("no such video")
    if not may_remove:
        raise NotYourVideo("only the video's owner or an operator removes it")
    # Conditional, so two removals at once record one event.
    changed = (await s.execute(update(Video).where(Video.id == video.id, Video.status == "published")
                               .values(status="removed").returning(Video.id))).first()
    if changed is None:
        return video
    await record_event(s, "video.removed", {"video_id": video.id, "owner_id": video.owner_id, "by": actor.id})
    db = s.info.get("db")
    if db is not None:
        files = [db.settings.media_dir / name for name in (video.file_name, video.poster_name) if name]
        undone: list[bool] = []
        _on_rollback(s, lambda: undone.append(True))

        async def delete_files() -> None:
            if not undone:
                for path in files:
                    await asyncio.to_thread(path.unlink, True)

        _after_commit(s, delete_files)
    return video


async def record_play(s: AsyncSession, video_id: int, viewer: User | None) -> int:
    """Count one play (the page sends one when the video starts); returns the new count."""
    row = (await s.execute(update(Video).where(Video.id == video_id, Video.status == "published")
                           .values(plays=Video.plays + 1).returning(Video.plays, Video.owner_id))).first()
    if row is None:
        raise VideoNotFound("no such video")
    plays, owner_id = int(row[0]), int(row[1])
    await record_event(s, "video.played", {"video_id": video_id, "owner_id": owner_id,
                                           "viewer_id": viewer.id if viewer else None})
    return plays


async def _count(s: AsyncSession, video_id: int, column: Any, delta: int) -> int:
    """Move a counter by a conditional update, so concurrent likes never lose one or go below zero."""
    stmt = update(Video).where(Video.id == video_id)
    if delta < 0:
        stmt = stmt.where(column > 0)
    row = (await s.execute(stmt.values({column: column + delta}).returning(column))).first()
    if row is None:
        return int((await s.execute(select(column).where(Video.id == video_id))).scalar_one())
    return int(row[0])


async def like_video(s: AsyncSession, user: User, video_id: int) -> int:
    """Like once; liking again changes nothing. Returns the video's likes."""
    video = await _published(s, video_id)
    added = (await s.execute(dialect_insert(s, VideoLike)
                             .values(video_id=video.id, user_id=user.id, created_at=utcnow())
                             .on_conflict_do_nothing().returning(VideoLike.user_id))).first()
    if added is None:
        return int((await s.execute(select(Video.likes).where(Video.id == video.id))).scalar_one())
    likes = await _count(s, video.id, Video.likes, +1)
    await record_event(s, "video.liked", {"video_id": video.id, "owner_id": video.owner_id, "user_id": user.id})
    return likes


async def unlike_video(s: AsyncSession, user: User, video_id: int) -> int:
    video = await _published(s, video_id)
    gone = (await s.execute(delete(VideoLike).where(VideoLike.video_id == video.id, VideoLike.user_id == user.id)
                            .returning(VideoLike.user_id))).first()
    if gone is None:
        return int((await s.execute(select(Video.likes).where(Video.id == video.id))).scalar_one())
    likes = await _count(s, video.id, Video.likes, -1)
    await record_event(s, "video.unliked", {"video_id": video.id, "owner_id": video.owner_id, "user_id": user.id})
    return likes


async def comment_on_video(s: AsyncSession, settings: Settings, user: User, video_id: int, text: str) -> VideoComment:
    """A comment under the video, through the live chat's word lists (masked and blocked words)."""
    video = await _published(s, video_id)
    try:
        body = clean_comment(settings.model_copy(update={"chat_max_length": MAX_COMMENT}), text)
    except DomainError as exc:
        exc.field = "text"  # the live chat calls it "body"; here it is the comment's text
        raise
    comment = VideoComment(video_id=video.id, user_id=user.id, body=body, hidden=False)
    s.add(comment)
    await s.flush()
    await _count(s, video.id, Video.comments, +1)
    await record_event(s, "video.commented", {"video_id": video.id, "owner_id": video.owner_id,
                                              "user_id": user.id, "comment_id": comment.id})
    return comment


# ---- reading ---------------------------------------------------------------------------------------

@dataclass
class CommentView:
    id: int
    user_id: int
    user_name: str
    body: str
    created_at: datetime


@dataclass
class CartProduct:
    product: Product
    skus: list[Sku]

    @property
    def buy_sku(self) -> Sku | None:
        """The option the Buy link starts with: the first in stock, else the first."""
        return next((k for k in self.skus if k.stock > 0), self.skus[0] if self.skus else None)

    @property
    def sold_out(self) -> bool:
        return all(k.stock <= 0 for k in self.skus)


@dataclass
class VideoView:
    video: Video
    owner: User
    products: list[CartProduct] = field(default_factory=list)
    liked: bool = False


async def video_comments(s: AsyncSession, video_id: int, *, limit: int = 50, before_id: int | None = None
                         ) -> list[CommentView]:
    """Newest first; `before_id` pages back."""
    await _published(s, video_id)
    stmt = (select(VideoComment, User.display_name).join(User, User.id == VideoComment.user_id)
            .where(VideoComment.video_id == video_id, VideoComment.hidden.is_(False))
            .order_by(VideoComment.id.desc()).limit(limit))
    if before_id is not None:
        stmt = stmt.where(VideoComment.id < before_id)
    return [CommentView(c.id, c.user_id, name, c.body, c.created_at) for c, name in (await s.execute(stmt)).all()]


async def cart_of(s: AsyncSession, video_id: int) -> list[CartProduct]:
    """The products a buyer can buy from the video now (unpublished ones drop out until republished)."""
    stmt = (select(Product).join(VideoProduct, VideoProduct.product_id == Product.id)
            .where(VideoProduct.video_id == video_id, Product.status == "published",
                   Product.external_url.is_(None))
            .order_by(VideoProduct.position, Product.id))
    products = list((await s.execute(stmt)).scalars())
    skus = await skus_of(s, [p.id for p in products])
    return [CartProduct(p, skus[p.id]) for p in products if skus[p.id]]


async def video_view(s: AsyncSession, video_id: int, viewer: User | None = None) -> VideoView:
    video = await _published(s, video_id)
    owner = await s.get(User, video.owner_id)
    assert owner is not None
    liked = False
    if viewer is not None:
        liked = (await s.execute(select(VideoLike.user_id).where(VideoLike.video_id == video.id,
                                                                 VideoLike.user_id == viewer.id))).first() is not None
    return VideoView(video, owner, await cart_of(s, video.id), liked)


async def videos_of(s: AsyncSession, owner_id: int, *, limit: int = 30, before_id: int | None = None
                    ) -> list[Video]:
    """An account's published videos, newest first (for its profile and its "my videos")."""
    if await s.get(User, owner_id) is None:
        raise VideoOwnerNotFound("no such account", field="user_id")
    stmt = (select(Video).where(Video.owner_id == owner_id, Video.status == "published")
            .order_by(Video.id.desc()).limit(limit))
    if before_id is not None:
        stmt = stmt.where(Video.id < before_id)
    return list((await s.execute(stmt)).scalars())


def media_url(name: str | None) -> str | None:
    return f"/media/{name}" if name else None
