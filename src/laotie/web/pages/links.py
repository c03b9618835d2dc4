"""Links creators hand out: a share link sets the share cookie; a tracking link records the click, then leaves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from laotie.alliance.links import service as links
from laotie.kit.http import Session, get_db
from laotie.models import utcnow
from laotie.web.render import redirect

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=1, max_length=links.MAX_TOKEN)]


@router.get("/s/{token}")
async def open_share_link(request: Request, token: Token) -> Response:
    """Remember the link (the newest one replaces any other) and show the product."""
    settings = get_db(request).settings
    link, cookie = links.open_share_link(settings, token, utcnow())
    response = redirect(f"/products/{link.product_id}")
    response.set_cookie(links.SHARE_COOKIE, cookie, max_age=settings.alliance_share_link_hours * 3600,
                        httponly=True, samesite="lax", secure=settings.cookie_secure)
    return response


@router.get("/go/{token}")
async def follow_tracking_link(request: Request, token: Token, s: Session) -> Response:
    """On to the product on its own channel, with the click's signed id for the channel's postback."""
    return RedirectResponse(await links.record_click(s, get_db(request).settings, token), status_code=302)
