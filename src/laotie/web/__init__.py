"""Pages: server-rendered Jinja2 with htmx, phone-width first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from laotie.kit.errors import DomainError
from laotie.web.render import LoginRequired, login_redirect, render

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
        live,
        live_watch,
        merchant,
        operator,
        scores,
        social,
        storefront,
        traffic,
        videos,
    )

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (account, aftersales, storefront, live, gifts, buyer, merchant, operator, live_watch, social, videos,
                   feedback, scores, traffic,
                   governance, fraud):
        app.include_router(module.router)

    api_handler = cast(Callable[[Request, Exception], Awaitable[Response]], app.exception_handlers[DomainError])

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        # The API answers in JSON; a page answers with a page.
        if request.url.path.startswith("/api/"):
            return await api_handler(request, exc)
        return render(request, "error.html", status_code=exc.status, error=exc.message, error_code=exc.code)

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        return login_redirect(exc.next_url)
