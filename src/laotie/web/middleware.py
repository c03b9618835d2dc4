"""ASGI middleware for page routes: an empty query field means the field is not set."""

from __future__ import annotations

from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Receive, Scope, Send

from laotie.web.render import is_page_path


def drop_blank_fields(query_string: bytes) -> bytes:
    """The query string without its empty fields (`category=&q=tea` → `q=tea`), the rest byte for byte."""
    kept = [pair for pair in query_string.split(b"&")
            if pair and unquote_plus(pair.partition(b"=")[2].decode("latin-1")).strip()]
    return b"&".join(kept)


class BlankQueryFields:
    """A GET form sends every field, filled or not ("All categories" is an empty value).

    On a page an empty field means "not set", so the route's default applies instead of a
    422 for an empty number. The API is left alone: there an empty value is an error to name.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string") and is_page_path(scope["path"]):
            scope = dict(scope, query_string=drop_blank_fields(scope["query_string"]))
        await self.app(scope, receive, send)
