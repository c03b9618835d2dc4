"""Hot API routes served without FastAPI's routing and dependency solving.

A few routes run so often that the framework's general machinery — matching the path
against every route, solving the dependency graph, validating into models and serialising
back out — costs more than the work itself. Such a route keeps its FastAPI declaration (that
is its OpenAPI entry, its documented errors, and the fallback for the rare requests the fast
handler passes on), and registers a fast handler for the same method and path:

    @fastpath.route("POST", "/api/v1/checkout")
    async def checkout_fast(call: Call) -> None: ...

`FastPaths` (pure ASGI, inside the body limit) hands matching requests to the handler. The
handler answers exactly as the FastAPI route would: the same status codes, the same error
bodies (`invalid_request` with the field, domain refusals with their code), the same
order of checks (authentication before the body).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from laotie.kit.errors import DomainError
from laotie.kit.http import error_entry, invalid_body

Handler = Callable[["Call"], Awaitable[None]]
_routes: dict[tuple[str, str], Handler] = {}
# Paths with parameters ("/api/v1/live/flash/{flash_id}/buy"): each segment parameter matches one
# path segment of digits; the handler reads it from `call.params` and checks its range itself.
_patterned: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    """Serve `method path` with this handler (registered when its module is imported)."""

    def register(handler: Handler) -> Handler:
        if "{" in path:
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[0-9]{1,19})", re.escape(path))
            _patterned.append((method, re.compile(pattern), handler))
        _routes[(method, path)] = handler
        return handler

    return register


def find(method: str, path: str) -> tuple[Handler | None, dict[str, str]]:
    handler = _routes.get((method, path))
    if handler is not None or not _patterned:
        return handler, {}
    for wanted, pattern, patterned in _patterned:
        if wanted == method:
            found = pattern.fullmatch(path)
            if found is not None:
                return patterned, found.groupdict()
    return None, {}


def routes() -> dict[tuple[str, str], Handler]:
    return dict(_routes)


class Call:
    """One request on a fast path: its headers, its body, and ways to answer."""

    __slots__ = ("_body", "app", "params", "receive", "scope", "send")

    def __init__(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp,
                 params: dict[str, str] | None = None) -> None:
        self.scope, self.receive, self.send, self.app = scope, receive, send, app
        self.params = params or {}  # the path's parameters, as text
        self._body: bytes | None = None

    @property
    def state(self) -> Any:
        return self.scope["app"].state

    def header(self, name: bytes) -> str | None:
        for key, value in self.scope["headers"]:
            if key == name:
                return str(value.decode("latin-1"))
        return None

    def is_json(self) -> bool:
        kind = (self.header(b"content-type") or "").split(";", 1)[0].strip().lower()
        return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))

    async def body(self) -> bytes:
        if self._body is None:
            chunks = []
            while True:
                message = await self.receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            self._body = b"".join(chunks)
        return self._body

    async def fallback(self) -> None:
        """Let the FastAPI route answer (the body, if read, is handed on as it came)."""
        if self._body is None:
            await self.app(self.scope, self.receive, self.send)
            return
        body, sent = self._body, False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await self.receive()

        await self.app(self.scope, replay, self.send)

    async def answer(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        await self.send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            *(headers or [])]})
        await self.send({"type": "http.response.body", "body": body})

    async def refuse(self, exc: DomainError) -> None:
        headers = [(b"connection", b"close")] if exc.code == "body_too_large" else None
        await self.answer(exc.status, json.dumps(exc.to_dict()).encode(), headers)

    async def invalid(self, exc: ValidationError) -> None:
        """A malformed JSON body: the same 422 as the FastAPI route's, the field named."""
        errors = []
        for e in exc.errors(include_url=False):
            if e["type"] == "json_invalid":
                errors.append({"field": "body", "message": f"not valid JSON ({e['msg']})"})
            else:
                errors.append(error_entry({**e, "loc": ("body", *e["loc"])}))
        await self.invalid_fields(errors)

    async def invalid_fields(self, errors: list[dict[str, str]]) -> None:
        await self.answer(422, json.dumps(invalid_body(errors)).encode())


class FastPaths:
    """Pure ASGI: hands the registered routes to their fast handlers, everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler, params = find(scope["method"], scope["path"]) if scope["type"] == "http" else (None, {})
        if handler is None or not scope["app"].state.settings.fast_paths:
            await self.app(scope, receive, send)
            return
        call = Call(scope, receive, send, self.app, params)
        try:
            await handler(call)
        except DomainError as exc:
            await call.refuse(exc)
