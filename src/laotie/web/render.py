"""Rendering pages: templates, the signed-in user, CSRF (double-submit cookie), refusals."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.identity import service as identity
from laotie.kit.errors import DomainError, Forbidden
from laotie.kit.http import Session, get_db
from laotie.kit.signing import same_secret
from laotie.models import User
from laotie.web import i18n

SESSION_COOKIE = "laotie_session"
CSRF_COOKIE = "laotie_csrf"

templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=jinja2.select_autoescape(), extensions=["jinja2.ext.i18n"]))
templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
templates.env.filters["yuan"] = i18n.yuan
templates.env.filters["number"] = i18n.number
templates.env.filters["when"] = i18n.when
# A message chosen in Python (an N_-marked notice, a refusal), translated as text: `_(message)` would mark
# it safe HTML and %-format it, so a refusal quoting the visitor's input could inject markup or fail on "%".
templates.env.filters["translate"] = i18n.translate
templates.env.globals["LOCALE_NAMES"] = i18n.NAMES


def _replace_page(params: Any, page: int) -> str:
    items = [(k, v) for k, v in params.multi_items() if k != "page"] + [("page", str(page))]
    return urlencode(items)


templates.env.filters["replace_page"] = _replace_page
# Labels defined in Python are marked with N_ for extraction and translated in the template: _(label).
templates.env.globals["STATUS_LABELS"] = {
    "pending_payment": i18n.N_("Awaiting payment"), "paid": i18n.N_("Paid · to ship"),
    "shipped": i18n.N_("Shipped"), "delivered": i18n.N_("Delivered"), "completed": i18n.N_("Completed"),
    "cancelled": i18n.N_("Cancelled"),
}


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


async def page_user(request: Request, s: Session) -> User | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    return await identity.user_for_web_session(s, raw)


async def signed_in(request: Request, user: Annotated[User | None, Depends(page_user)]) -> User:
    if user is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return user


MaybeUser = Annotated[User | None, Depends(page_user)]
PageUser = Annotated[User, Depends(signed_in)]


def csrf_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE) or request.state.__dict__.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.csrf = token
    return token


def _check_csrf(request: Request, sent: object) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not isinstance(sent, str) or not same_secret(cookie, sent):
        raise Forbidden("the form expired or came from another site; reload the page and try again",
                        code="csrf_failed")


async def form(request: Request) -> dict[str, str]:
    """The posted form, after checking its CSRF token against the cookie.

    The token comes from the X-CSRF-Token header (htmx sends it), the query string, or the
    form itself. A multipart body (an upload) is not read at all until the token checks out,
    so it must come in the header or the query (the upload forms put it in their action URL).
    """
    sent: object = request.headers.get("x-csrf-token") or request.query_params.get("csrf_token")
    if sent is None and request.headers.get("content-type", "").startswith("multipart/"):
        _check_csrf(request, None)
    if sent is not None:
        _check_csrf(request, sent)
    data = await request.form()
    if sent is None:
        _check_csrf(request, data.get("csrf_token"))
    return {k: v for k, v in data.items() if isinstance(v, str)}


Form = Annotated[dict[str, str], Depends(form)]


def page_locale(request: Request) -> str:
    """The visitor's locale: the language switch's cookie, else Accept-Language, else zh-CN."""
    return i18n.negotiate(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    token = csrf_token(request)
    context.setdefault("user", None)
    locale = page_locale(request)
    with i18n.using(locale):
        response = templates.TemplateResponse(
            request, template, {"csrf": token, "settings": get_db(request).settings, "locale": locale,
                                "html_lang": i18n.HTML_LANG[locale], **context},
            status_code=status_code,
        )
    response.headers["Content-Language"] = i18n.HTML_LANG[locale]
    response.headers["Vary"] = "Cookie, Accept-Language"
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="lax",
                            secure=get_db(request).settings.cookie_secure)
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def refusal(request: Request, template: str, exc: DomainError, **context: Any) -> HTMLResponse:
    """Show a business refusal as a friendly message on the page the user was on."""
    return render(request, template, status_code=exc.status, error=exc.message, error_code=exc.code, **context)


def is_page_path(path: str) -> bool:
    """Pages answer in HTML; the API, nginx's hooks and the HLS files do not."""
    return not path.startswith(("/api/", "/media/hooks/", "/hls/"))


async def error_page(request: Request, status_code: int, message: str, code: str) -> HTMLResponse:
    """The HTML error page, with the signed-in header when the visitor is signed in.

    It looks the user up in a short transaction of its own: the request's may have been
    rolled back, or never opened (a refusal before any dependency ran).
    """
    user: User | None = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            async with get_db(request).transaction() as s:
                user = await identity.user_for_web_session(s, raw)
        except Exception:  # the page still says what went wrong when the database cannot
            user = None
    return render(request, "error.html", status_code=status_code, user=user, error=message, error_code=code)


def login_redirect(next_url: str) -> RedirectResponse:
    return redirect(f"/login?next={quote(next_url, safe='')}")


def text(data: dict[str, str], name: str, max_len: int = 200) -> str:
    """A form field as clean text: trimmed, length-bounded, no NUL characters."""
    return data.get(name, "").replace("\x00", "").strip()[:max_len]


def number(data: dict[str, str], name: str, *, lo: int = 0, hi: int = 10**12) -> int | None:
    """A whole number from a form field, or None when empty or outside [lo, hi]."""
    raw = data.get(name, "").strip()
    if not raw or not raw.lstrip("-").isdigit() or len(raw) > 15:
        return None
    value = int(raw)
    return value if lo <= value <= hi else None


@asynccontextmanager
async def attempt(s: AsyncSession) -> AsyncIterator[None]:
    """Run a service call that the page may refuse in place.

    A page that catches a refusal still commits its request transaction, so the
    call runs in a savepoint: a refusal rolls back everything the call wrote.
    """
    async with s.begin_nested():
        yield
