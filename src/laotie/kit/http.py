"""HTTP plumbing shared by every domain's endpoints: the unit of work and error rendering."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import Database
from laotie.kit.errors import DomainError


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_db(request).transaction() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed
# commit can never be reported to the client as a success.
Session = Annotated[AsyncSession, Depends(_session, scope="function")]


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    return [{"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        return JSONResponse(
            {"code": "invalid_request", "message": f"{first['field']}: {first['message']}",
             "field": first["field"], "errors": errors},
            status_code=422,
        )
