"""HTTP for short videos: upload, the video cart, plays, likes and comments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.identity.auth import CurrentUser, api_user
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.limits import MAX_FORM_FIELDS, multipart_body, upload, uploaded_files
from laotie.kit.types import MAX_ID, PathId
from laotie.models import User, Video
from laotie.social.videos import service as videos
from laotie.social.videos.schemas import (
    CartProductOut,
    CommentIn,
    CommentListOut,
    CommentOut,
    LikeOut,
    PlayOut,
    ProductIdsOut,
    VideoListOut,
    VideoOut,
    VideoProductsIn,
)

router = APIRouter(prefix="/api/v1", tags=["videos"])


async def maybe_api_user(request: Request, s: Session) -> User | None:
    """The caller when a token is sent; anonymous viewers may watch and count a play."""
    if not request.headers.get("authorization"):
        return None
    return await api_user(request, s)


MaybeApiUser = Annotated[User | None, Depends(maybe_api_user)]
BeforeId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=100)]


def cart_product_out(video_id: int, item: videos.CartProduct) -> CartProductOut | None:
    sku = item.buy_sku
    if sku is None:
        return None
    p = item.product
    return CartProductOut(product_id=p.id, title=p.title, min_price=p.min_price,
                          image_url=videos.media_url(p.cover_image), sku_id=sku.id, sold_out=item.sold_out,
                          buy_url=f"/checkout?sku={sku.id}&src=video:{video_id}")


def video_out(video: Video, owner: User, products: list[videos.CartProduct] | None = None,
              liked: bool = False) -> VideoOut:
    items = [cart_product_out(video.id, p) for p in products or []]
    return VideoOut(
        id=video.id, owner_id=video.owner_id, owner_name=owner.display_name, caption=video.caption,
        video_url=f"/media/{video.file_name}", poster_url=videos.media_url(video.poster_name),
        size_bytes=video.size_bytes, duration_ms=video.duration_ms, status=video.status, plays=video.plays,
        likes=video.likes, comments=video.comments, created_at=video.created_at,
        products=[i for i in items if i is not None], liked=liked, page_url=f"/videos/{video.id}",
    )


async def _view_out(s: AsyncSession, video_id: int, viewer: User | None) -> VideoOut:
    view = await videos.video_view(s, video_id, viewer)
    return video_out(view.video, view.owner, view.products, view.liked)


@router.post("/videos", status_code=201, openapi_extra=multipart_body(
    {"file": "an MP4 file"},
    {"caption": {"type": "string", "maxLength": videos.MAX_CAPTION, "default": ""},
     "product_ids": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_FORM_FIELDS,
                     "description": "repeat the field, or give a comma-separated list"}},
    required=("file",)))
@upload("video")
async def upload_video(request: Request) -> VideoOut:
    """Upload an MP4 with its caption and product cart (视频页购物车).

    No request-wide transaction here: copying a large file and taking its poster frame
    must not hold a database connection (on SQLite, the one writer). The caller, the caption
    and the products are checked first, so a refused upload stores nothing; the file is
    staged with no database in use; the rows are written in a second, short transaction
    that deletes the staged file if it rolls back.
    """
    db = get_db(request)
    async with db.transaction() as s:  # who is asking, before a byte of the body is read
        user = await api_user(request, s)
        videos.ensure_may_post(user)
    form = await request.form()
    raw_caption = form.get("caption")
    caption = raw_caption if isinstance(raw_caption, str) else ""
    if len(caption) > videos.MAX_CAPTION:
        raise DomainError(f"caption: at most {videos.MAX_CAPTION} characters", code="invalid_request",
                          status=422, field="caption")
    ids = videos.parse_product_ids([v for v in form.getlist("product_ids") if isinstance(v, str)])
    file = (await uploaded_files(request, "file"))[0]
    async with db.transaction() as s:
        await videos.check_upload(s, user, caption=caption, product_ids=ids)
    staged = await videos.stage_video(db.settings, file.file)
    async with db.transaction() as s:
        video = await videos.publish_video(s, user, staged, caption=caption, product_ids=ids)
        return await _view_out(s, video.id, user)


@router.get("/videos/{video_id}")
async def get_video(video_id: PathId, s: Session, viewer: MaybeApiUser) -> VideoOut:
    return await _view_out(s, video_id, viewer)


@router.put("/videos/{video_id}/products")
async def set_products(video_id: PathId, body: VideoProductsIn, user: CurrentUser, s: Session) -> ProductIdsOut:
    return ProductIdsOut(product_ids=await videos.set_video_products(s, user, video_id, body.product_ids))


@router.delete("/videos/{video_id}", status_code=204)
async def remove_video(video_id: PathId, user: CurrentUser, s: Session) -> Response:
    await videos.remove_video(s, user, video_id)
    return Response(status_code=204)


@router.post("/videos/{video_id}/play")
async def play(video_id: PathId, s: Session, viewer: MaybeApiUser) -> PlayOut:
    """Count a play: clients send one when the video starts playing, once per view."""
    return PlayOut(plays=await videos.record_play(s, video_id, viewer))


@router.post("/videos/{video_id}/like")
async def like(video_id: PathId, user: CurrentUser, s: Session) -> LikeOut:
    return LikeOut(liked=True, likes=await videos.like_video(s, user, video_id))


@router.delete("/videos/{video_id}/like")
async def unlike(video_id: PathId, user: CurrentUser, s: Session) -> LikeOut:
    return LikeOut(liked=False, likes=await videos.unlike_video(s, user, video_id))


@router.get("/videos/{video_id}/comments")
async def comments(video_id: PathId, s: Session, before_id: BeforeId = None, limit: Limit = 50) -> CommentListOut:
    rows = await videos.video_comments(s, video_id, limit=limit, before_id=before_id)
    return CommentListOut(items=[CommentOut(id=c.id, user_id=c.user_id, user_name=c.user_name, text=c.body,
                                            created_at=c.created_at) for c in rows],
                          next_before_id=rows[-1].id if len(rows) == limit else None)


@router.post("/videos/{video_id}/comments", status_code=201)
async def comment(video_id: PathId, body: CommentIn, request: Request, user: CurrentUser, s: Session) -> CommentOut:
    c = await videos.comment_on_video(s, get_db(request).settings, user, video_id, body.text)
    return CommentOut(id=c.id, user_id=user.id, user_name=user.display_name, text=c.body, created_at=c.created_at)


@router.get("/users/{user_id}/videos")
async def videos_of(user_id: PathId, s: Session, before_id: BeforeId = None, limit: Limit = 30) -> VideoListOut:
    rows = await videos.videos_of(s, user_id, limit=limit, before_id=before_id)
    owner = await s.get(User, user_id)
    assert owner is not None  # videos_of refuses unknown accounts
    return VideoListOut(items=[video_out(v, owner) for v in rows],
                        next_before_id=rows[-1].id if len(rows) == limit else None)
