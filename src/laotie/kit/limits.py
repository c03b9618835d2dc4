"""Request body limits: refused by Content-Length at once, or counted as a streamed body arrives.

Each route belongs to one class — JSON API, form, image upload, video upload — whose limit is
a setting. A route that takes uploads says so with `@upload("image")` or `@upload("video")`;
every other route under /api/ is a JSON route, and the rest are forms. A route whose body is a
few fields sent often (a player's beacon) caps it lower with `@body_at_most(bytes)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from fastapi.routing import iter_route_contexts
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from laotie.kit.errors import DomainError

UploadKind = Literal["image", "video"]
F = TypeVar("F", bound=Callable[..., Any])
_MARK = "__laotie_upload__"
# Starlette's form parser refuses more parts than this (its default), so a repeated field is bounded too.
MAX_FORM_FIELDS = 1000


class BodyTooLarge(DomainError):
    code = "body_too_large"
    status = 413

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "field": None}


def body_at_most(max_bytes: int) -> Callable[[F], F]:
    """Mark an endpoint whose body is always small, so a larger one is refused before it is read."""

    def mark(fn: F) -> F:
        setattr(fn, _MARK, max_bytes)
        return fn

    return mark


def upload(kind: UploadKind) -> Callable[[F], F]:
    """Mark an endpoint as taking an upload of this kind, so its body may be that large."""

    def mark(fn: F) -> F:
        setattr(fn, _MARK, kind)
        return fn

    return mark


def _too_large(limit: int) -> BodyTooLarge:
    mib = limit / (1024 * 1024)
    size = f"{mib:.0f} MiB" if mib >= 1 else f"{limit // 1024} KiB"
    return BodyTooLarge(f"the request body is larger than this route takes ({size})", max_bytes=limit)


class BodyLimit:
    """Pure ASGI (it wraps `receive`), so nothing reads a byte past the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._uploads: list[tuple[re.Pattern[str], frozenset[str], UploadKind | int]] | None = None

    def _upload_routes(self, root: Any) -> list[tuple[re.Pattern[str], frozenset[str], UploadKind | int]]:
        if self._uploads is None:
            found = []
            for ctx in iter_route_contexts(root.routes):
                kind = getattr(getattr(ctx, "endpoint", None), _MARK, None)
                if kind is not None:
                    found.append((ctx.path_regex, frozenset(ctx.methods or ()), kind))
            self._uploads = found
        return self._uploads

    def limit_for(self, scope: Scope) -> int:
        settings = scope["app"].state.settings
        path, method = scope["path"], scope["method"]
        for regex, methods, kind in self._upload_routes(scope["app"]):
            if method in methods and regex.match(path):
                return kind if isinstance(kind, int) else int(settings.body_limit(kind))
        return int(settings.body_limit("json" if path.startswith("/api/") else "form"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, _too_large(limit))
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # a chunked body, or one longer than it said
                    raise _too_large(limit)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: BodyTooLarge) -> None:
    """Answer as the app answers this refusal elsewhere: JSON for the API, the error page for pages."""
    request = Request(scope, receive)
    handler = scope["app"].exception_handlers[DomainError]
    response = await handler(request, exc)
    response.headers["Connection"] = "close"  # the unread body must not be taken for the next request
    await response(scope, receive, send)


def multipart_body(files: dict[str, str], fields: dict[str, dict[str, Any]] | None = None, *,
                   required: tuple[str, ...] = (), many: tuple[str, ...] = ()) -> dict[str, Any]:
    """`openapi_extra` describing a multipart body that the endpoint reads itself, after authenticating."""
    props: dict[str, Any] = {}
    for name, description in files.items():
        item = {"type": "string", "format": "binary", "description": description}
        props[name] = {"type": "array", "items": item} if name in many else item
    props.update(fields or {})
    schema = {"type": "object", "properties": props, "required": list(required)}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


async def uploaded_files(request: Request, name: str, *, required: bool = True) -> list[UploadFile]:
    """The files posted under `name`; read only once the caller has authenticated the request."""
    form = await request.form()
    files = [f for f in form.getlist(name) if isinstance(f, UploadFile) and (f.filename or f.size)]
    if required and not files:
        raise DomainError(f"{name}: attach a file", code="invalid_request", status=422, field=name)
    return files
