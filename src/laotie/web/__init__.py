"""Pages: server-rendered Jinja2 with htmx, phone-width first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from laotie.kit.errors import DomainError
from laotie.kit.http import http_error, invalid_request
from laotie.web.i18n import N_
from laotie.web.middleware import BlankQueryFields
from laotie.web.render import LoginRequired, error_page, is_page_path, login_redirect

STATIC = Path(__file__).resolve().parent / "static"


def install_pages(app: FastAPI) -> None:
    from laotie.web.pages import (
        account,
        aftersales,
        buyer,
        feedback,
        fraud,
        gifts,
        governance,
        links,
        live,
        live_watch,
        merchant,
        operator,
        payouts,
        scores,
        social,
        storefront,
        traffic,
        videos,
    )
    from laotie.web.pages.alliance import creator as alliance_creator
    from laotie.web.pages.alliance import merchant as alliance_merchant
    from laotie.web.pages.alliance import operator as alliance_operator
    from laotie.web.pages.alliance import partners as alliance_partners

    app.add_middleware(BlankQueryFields)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (account, aftersales, storefront, live, gifts, buyer, merchant, operator, live_watch, social, videos,
                   feedback, scores, traffic,
                   governance, fraud, links, payouts, alliance_creator,
                   alliance_merchant, alliance_partners, alliance_operator):
        app.include_router(module.router)

    api_handlers = {kind: cast(Callable[[Request, Exception], Awaitable[Response]], app.exception_handlers[kind])
                    for kind in (DomainError, RequestValidationError, StarletteHTTPException)}

    # The API answers in JSON; a page answers with a page, whatever went wrong.
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if not is_page_path(request.url.path):
            return await api_handlers[DomainError](request, exc)
        return await error_page(request, exc.status, exc.message, exc.code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not is_page_path(request.url.path):
            return await api_handlers[RequestValidationError](request, exc)
        body = invalid_request(exc)
        return await error_page(request, 422, str(body["message"]), "invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_page_path(request.url.path):
            return await api_handlers[StarletteHTTPException](request, exc)
        if isinstance(exc.__cause__, DomainError):
            return await _domain(request, exc.__cause__)
        status, body = http_error(exc)
        messages = {404: N_("this page does not exist"), 405: N_("this page cannot be used that way")}
        return await error_page(request, status, messages.get(status, str(body["message"])), str(body["code"]))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        # Starlette still logs the exception; the visitor sees the page, the API a JSON body.
        if not is_page_path(request.url.path):
            return JSONResponse({"code": "internal_error", "message": "something went wrong on our side",
                                 "field": None}, status_code=500)
        return await error_page(request, 500, N_("something went wrong on our side; please try again"),
                                "internal_error")

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        return login_redirect(exc.next_url)
