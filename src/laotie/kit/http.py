"""HTTP plumbing shared by every domain's endpoints: the unit of work and error rendering."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from laotie.kit.db import Database, in_retried_transaction, is_retryable
from laotie.kit.errors import DomainError
from laotie.kit.limits import BodyLimit


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_db(request).transaction() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed
# commit can never be reported to the client as a success.
Session = Annotated[AsyncSession, Depends(_session, scope="function")]

T = TypeVar("T")


async def retried_unit_of_work(request: Request, step: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """The unit of work of a callback from a gateway or carrier: a deadlock or serialization
    failure is retried in a fresh transaction, and if it persists the sender is told to try
    again later (503), never a 500. Such senders retry on their own, and replays are no-ops.
    """
    try:
        return await in_retried_transaction(get_db(request), step, what=request.url.path)
    except Exception as exc:
        if is_retryable(exc):
            raise DomainError("busy: send the notification again shortly", code="busy", status=503) from exc
        raise


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def error_entry(e: Any) -> dict[str, str]:
    if e.get("type") == "json_invalid":
        # FastAPI puts the byte offset where a field name goes: the body as a whole is the culprit.
        reason = (e.get("ctx") or {}).get("error") or e.get("msg", "invalid")
        return {"field": "body", "message": f"not valid JSON ({reason} at byte {e['loc'][-1]})"}
    return {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    return [error_entry(e) for e in exc.errors()]


def invalid_request(exc: RequestValidationError) -> dict[str, object]:
    """The 422 body of a malformed request: the first field at fault, and every error."""
    return invalid_body(validation_errors(exc))


def invalid_body(errors: list[dict[str, str]]) -> dict[str, object]:
    """The 422 body for these errors ({"field", "message"} each), the first one named."""
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    return {"code": "invalid_request", "message": f"{first['field']}: {first['message']}",
            "field": first["field"], "errors": errors}


# FastAPI's answer when a body cannot be decoded at all (not UTF-8, a broken multipart envelope).
_UNPARSABLE_BODY = "There was an error parsing the body"
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type"}


def http_error(exc: StarletteHTTPException) -> tuple[int, dict[str, object]]:
    """Status and body for an error the framework raised (no route, wrong method, unreadable body)."""
    # The framework answers 400 only when it cannot read a body: FastAPI's "error parsing the
    # body", or Starlette's multipart parser ("Invalid multipart data.", a missing boundary) when
    # an upload route reads its form. All are the same refusal of a malformed body.
    if exc.status_code == 400:
        detail = "" if exc.detail == _UNPARSABLE_BODY else f" ({exc.detail})"
        return 422, {"code": "invalid_request", "field": "body",
                     "message": f"body: the body could not be read (not UTF-8, or a malformed form){detail}"}
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return exc.status_code, {"code": code, "message": str(exc.detail), "field": None}


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(BodyLimit)

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(invalid_request(exc), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc.__cause__, DomainError):  # raised while FastAPI read the body (its size limit)
            handler = request.app.exception_handlers[DomainError]
            response: Response = await handler(request, exc.__cause__)
            return response
        status, body = http_error(exc)
        return JSONResponse(body, status_code=status, headers=exc.headers)
