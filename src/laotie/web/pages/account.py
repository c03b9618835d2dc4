"""Sign in, register, sign out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from laotie.identity import service as identity
from laotie.kit.errors import DomainError, NotFound
from laotie.kit.http import Session, get_db
from laotie.social.follows import service as follows
from laotie.social.inbox import service as inbox
from laotie.web import i18n
from laotie.web.i18n import N_
from laotie.web.render import (
    SESSION_COOKIE,
    Form,
    MaybeUser,
    PageUser,
    attempt,
    redirect,
    refusal,
    render,
    text,
)

router = APIRouter(include_in_schema=False)


def _safe_next(url: str | None) -> str:
    # Only same-site paths: "//evil.example" and "https://..." would be open redirects.
    if url and url.startswith("/") and not url.startswith("//"):
        return url
    return "/"


def _signed_in(request: Request, raw: str, next_url: str) -> Response:
    response = redirect(_safe_next(next_url))
    settings = get_db(request).settings
    response.set_cookie(SESSION_COOKIE, raw, httponly=True, samesite="lax", secure=settings.cookie_secure,
                        max_age=settings.session_days * 86400)
    return response


@router.get("/lang/{code}")
async def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """The language switch: remember the choice in a cookie for a year and go back."""
    locale = i18n.normalise(code[:20])
    if locale is None:
        raise NotFound(f"laotie speaks {' and '.join(i18n.NAMES.values())}", code="unknown_language")
    response = redirect(_safe_next(next))
    response.set_cookie(i18n.COOKIE, locale, max_age=365 * 86400, samesite="lax",
                        secure=get_db(request).settings.cookie_secure)
    return response


@router.get("/login")
async def login_page(request: Request, user: MaybeUser, next: str = "/") -> Response:
    return render(request, "login.html", user=user, next=_safe_next(next))


@router.post("/login")
async def login(request: Request, s: Session, data: Form) -> Response:
    settings = get_db(request).settings
    next_url = data.get("next", "/")
    try:
        async with attempt(s):
            user = await identity.authenticate(s, settings, text(data, "username", 40),
                                               data.get("password", "")[:200])
    except DomainError as exc:
        return refusal(request, "login.html", exc, next=_safe_next(next_url), username=data.get("username", ""))
    if _safe_next(next_url) == "/" and user.has_role("merchant"):
        next_url = "/merchant"
    return _signed_in(request, await identity.start_web_session(s, settings, user), next_url)


@router.get("/register")
async def register_page(request: Request, user: MaybeUser) -> Response:
    return render(request, "register.html", user=user)


@router.post("/register")
async def register(request: Request, s: Session, data: Form) -> Response:
    settings = get_db(request).settings
    username, password = data.get("username", "").strip(), data.get("password", "")
    roles = {"consumer"} | ({"merchant"} if data.get("merchant") else set()) | (
        {"creator"} if data.get("creator") else set())
    problem = None
    if not (3 <= len(username) <= 40) or not all(c.isalnum() or c in "_.-" for c in username):
        problem = N_("Usernames are 3–40 letters, digits, '_', '.' or '-'.")
    elif not (8 <= len(password) <= 200):
        problem = N_("Passwords are at least 8 characters.")
    if problem:
        return render(request, "register.html", status_code=422, error=problem, username=username)
    try:
        async with attempt(s):
            user = await identity.register_user(
                s, settings, username=username, password=password,
                display_name=text(data, "display_name", 80) or None, roles=roles)
    except DomainError as exc:
        return refusal(request, "register.html", exc, username=username)
    next_url = "/merchant" if "merchant" in roles else "/"
    return _signed_in(request, await identity.start_web_session(s, settings, user), next_url)


@router.post("/logout")
async def logout(request: Request, s: Session, _data: Form) -> Response:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        await identity.end_web_session(s, raw)
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/me")
async def me_page(request: Request, s: Session, user: PageUser) -> Response:
    """Everything that is the signed-in account's, in one list a phone can scroll."""
    return render(request, "me.html", user=user, counts=await follows.counts(s, user.id),
                  unread=await inbox.unread_count(s, user.id))
