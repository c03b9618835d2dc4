"""Short-video pages: the player with its product cart, upload for creators and merchants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.service import promotions
from laotie.catalog import service as catalog
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.limits import upload, uploaded_files
from laotie.kit.types import PathId
from laotie.models import User
from laotie.social.videos import service as videos
from laotie.social.videos.errors import BadVideo
from laotie.web.i18n import N_
from laotie.web.render import Form, LoginRequired, MaybeUser, PageUser, attempt, form, page_user, redirect, render

router = APIRouter(include_in_schema=False)


def _hx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# ---- upload and "my videos" (registered before /videos/{video_id}) ---------------------------------

async def _upload_page(request: Request, s: AsyncSession, user: User, status_code: int = 200,
                       **extra: Any) -> Response:
    videos.ensure_may_post(user)
    products = None
    if user.has_role("merchant"):
        try:
            _, rows, _ = await catalog.shop_products(s, user)
            products = [p for p in rows if p.status == "published" and not p.is_external]
        except DomainError:  # no shop yet
            products = []
    # A creator's showcase (橱窗): library products whose sales from the video are theirs (好物联盟).
    promoted = ([p for _, _, p in await promotions.showcase(s, user.id) if not p.is_external]
                if user.has_role("creator") else [])
    extra.setdefault("caption", "")
    extra.setdefault("chosen", [])
    return render(request, "videos/upload.html", status_code=status_code, user=user, products=products,
                  promoted=promoted,
                  is_creator=user.has_role("creator"), mine=await videos.videos_of(s, user.id, limit=50),
                  max_mib=max(1, get_db(request).settings.video_max_bytes // (1024 * 1024)),
                  max_products=videos.MAX_CART_PRODUCTS, **extra)


@router.get("/videos/upload")
async def upload_page(request: Request, s: Session, user: PageUser) -> Response:
    return await _upload_page(request, s, user)


async def _signed_in(request: Request, s: AsyncSession) -> User:
    user = await page_user(request, s)
    if user is None:
        raise LoginRequired("/videos/upload")
    return user


@router.post("/videos/upload")
@upload("video")
async def post_video(request: Request) -> Response:
    """Post a video. Like the API, it checks first, stages the file with no database connection
    held, then writes the rows in a short transaction of their own (see video_endpoints.upload_video).
    The visitor is signed in and the CSRF token checked (from the action URL) before the body is read."""
    db = get_db(request)
    async with db.transaction() as s:
        user = await _signed_in(request, s)
        videos.ensure_may_post(user)
    data = await form(request)
    posted = await request.form()  # parsed once, cached: the checkboxes repeat product_ids
    files = await uploaded_files(request, "file", required=False)
    raw_ids = [v for v in posted.getlist("product_ids") if isinstance(v, str)]
    caption = data.get("caption", "")

    async def refuse(exc: DomainError) -> Response:
        async with db.transaction() as s:
            user = await _signed_in(request, s)
            return await _upload_page(request, s, user, status_code=exc.status, error=exc.message,
                                      error_code=exc.code, caption=caption[:videos.MAX_CAPTION],
                                      chosen=[v.strip() for v in raw_ids])

    try:
        ids = videos.parse_product_ids(raw_ids)
        async with db.transaction() as s:
            await videos.check_upload(s, user, caption=caption, product_ids=ids)
        if not files:
            raise BadVideo(N_("choose an MP4 file to upload"), field="file")
        staged = await videos.stage_video(db.settings, files[0].file)
        async with db.transaction() as s:
            video = await videos.publish_video(s, user, staged, caption=caption, product_ids=ids)
    except DomainError as exc:
        return await refuse(exc)
    return redirect(f"/videos/{video.id}")


# ---- the video page ----------------------------------------------------------------------------------

async def _comments_context(s: AsyncSession, video_id: int) -> dict[str, Any]:
    rows = await videos.video_comments(s, video_id, limit=50)
    return {"comments": rows}


@router.get("/videos/{video_id}")
async def video_page(request: Request, video_id: PathId, s: Session, user: MaybeUser) -> Response:
    view = await videos.video_view(s, video_id, user)
    return render(request, "videos/video.html", user=user, view=view, v=view.video, video_id=video_id,
                  liked=view.liked,
                  likes=view.video.likes, comment_count=view.video.comments,
                  **await _comments_context(s, video_id))


@router.post("/videos/{video_id}/play")
async def play(video_id: PathId, s: Session, user: MaybeUser, _data: Form) -> Response:
    """Sent by video.js when the video starts playing, once per page view."""
    return JSONResponse({"plays": await videos.record_play(s, video_id, user)})


@router.post("/videos/{video_id}/{action}")
async def video_action(request: Request, video_id: PathId, action: str, s: Session, user: PageUser,
                       data: Form) -> Response:
    """Like, unlike and comment (htmx: the answer is the fragment, so the video keeps playing), remove."""
    if action in ("like", "unlike"):
        likes = await (videos.like_video if action == "like" else videos.unlike_video)(s, user, video_id)
        if not _hx(request):
            return redirect(f"/videos/{video_id}")
        return render(request, "videos/_like.html", user=user, video_id=video_id, liked=action == "like",
                      likes=likes)
    if action == "comments":
        body = data.get("text", "")
        error: DomainError | None = None
        try:
            async with attempt(s):
                await videos.comment_on_video(s, get_db(request).settings, user, video_id, body)
        except DomainError as exc:
            if not _hx(request):
                raise
            error = exc
        if not _hx(request):
            return redirect(f"/videos/{video_id}#comments")
        view = await videos.video_view(s, video_id, user)
        return render(request, "videos/_comments.html", user=user, video_id=video_id,
                      comment_count=view.video.comments,
                      comment_error=error.message if error else None, comment_code=error.code if error else None,
                      draft=body[:videos.MAX_COMMENT] if error else "", **await _comments_context(s, video_id))
    if action == "remove":
        await videos.remove_video(s, user, video_id)
        may_post = any(user.has_role(role) for role in videos.POSTING_ROLES)
        return redirect("/videos/upload" if may_post else "/")
    raise DomainError(N_("unknown action"), code="not_found", status=404)
