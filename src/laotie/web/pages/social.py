"""Social pages: profiles with their shop, the following feed, the inbox and its live push."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from laotie.alliance.service import promotions
from laotie.catalog import service as catalog
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.social.follows import service as follows
from laotie.social.inbox import service as inbox
from laotie.social.service import following_feed, profiles
from laotie.web.i18n import N_
from laotie.web.render import Form, MaybeUser, PageUser, attempt, redirect, render

router = APIRouter(include_in_schema=False)

# An idle stream still says something this often, so proxies keep it open and a dead one is noticed.
HEARTBEAT_SECONDS = 20.0


@router.get("/u/{user_id}")
async def profile_page(request: Request, user_id: PathId, s: Session, user: MaybeUser) -> Response:
    view = await profiles.profile_view(s, user_id, user)
    # The showcase (橱窗): library products the person promotes, bought here with the profile as source.
    promoted = []
    for _, _, product in await promotions.showcase(s, user_id):
        if not product.is_external:
            skus = (await catalog.product_view(s, product.id)).skus
            promoted.append((product, next(iter(skus), None)))
    return render(request, "social/profile.html", user=user, p=view, promoted=promoted)


@router.post("/u/{user_id}/{action}")
async def follow_action(request: Request, user_id: PathId, action: str, s: Session, user: PageUser,
                        data: Form) -> Response:
    """Follow or unfollow from a profile; with htmx only the button and the fan count are swapped."""
    if action not in ("follow", "unfollow"):
        raise DomainError(N_("unknown action"), code="not_found", status=404)
    try:
        async with attempt(s):
            if action == "follow":
                await follows.follow(s, user, user_id)
            else:
                await follows.unfollow(s, user, user_id)
    except DomainError as exc:
        if not request.headers.get("hx-request"):
            raise
        return render(request, "social/_follow.html", user=user, error=exc.message,
                      p=await profiles.profile_view(s, user_id, user))
    if request.headers.get("hx-request"):
        return render(request, "social/_follow.html", user=user, p=await profiles.profile_view(s, user_id, user))
    return redirect(f"/u/{user_id}")


@router.get("/following")
async def following_page(request: Request, s: Session, user: PageUser) -> Response:
    return render(request, "social/following.html", user=user, feed=await following_feed.following_feed(s, user))


@router.get("/inbox")
async def inbox_page(request: Request, s: Session, user: PageUser) -> Response:
    """The inbox; opening it reads everything in it."""
    got = await inbox.inbox(s, user, limit=50)
    await inbox.mark_all_read(s, user)
    return render(request, "social/inbox.html", user=user, items=got.items)


@router.get("/inbox/stream")
async def inbox_stream(request: Request, s: Session, user: PageUser) -> StreamingResponse:
    """Server-sent events for an open page: "someone you follow is live", as it happens."""
    followed = set(await follows.following_ids(s, user.id))
    subscription = get_db(request).hub.subscribe(inbox.GOLIVE_CHANNEL)

    async def events() -> AsyncIterator[str]:
        try:
            yield ": connected\n\n"
            while True:
                try:
                    raw = await asyncio.wait_for(subscription.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": heartbeat\n\n"
                    continue
                message = json.loads(raw)
                if int(message.get("host_id", 0)) in followed:
                    yield f"event: live\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"
        finally:
            subscription.close()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
