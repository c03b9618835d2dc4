"""Unknown ids: every route with an id in its path or body answers 4xx with a code, and writes nothing.

The routes come from the app itself (the OpenAPI operations and the page routes), so a new
route is covered the day it is added. Each is called as a user who holds every role and owns
a shop, so a refusal for the role never hides a missing existence check.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select

from laotie.identity import service as identity
from laotie.models import Base
from tests.support import ENGLISH, Api, both_databases
from tests.web.test_pages import sign_in

UNKNOWN = 999_999
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ALL_ROLES = {"consumer", "creator", "merchant", "provider", "operator"}
# Path parameters that are not ids: a plausible value, so the id beside them is what is unknown.
NAMED = {"item_kind": "video", "channel": "sandbox", "role": "merchant", "kind": "product"}
# Values a schema constrains by pattern (the generator does not invert regexes).
PATTERNED = {"phone": "13800000000", "tracking_no": "SF1234567890", "carrier": "SF", "color": "#ff0000",
             "currency": "CNY", "code": "abc123", "email": "a@example.com"}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example(spec: dict[str, Any], schema: dict[str, Any], name: str = "", *, optional_ids: bool) -> Any:
    """A value the schema accepts, with every id field set to an id that does not exist."""
    schema = _resolve(spec, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(spec, o).get("type") != "null"]
            return example(spec, options[0], name, optional_ids=optional_ids) if options else None
    if "allOf" in schema:
        return example(spec, schema["allOf"][0], name, optional_ids=optional_ids)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and not name.endswith(("_id", "_ids")) and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        out = {}
        for key, sub in props.items():
            if key in required or (optional_ids and key.endswith(("_id", "_ids"))):
                out[key] = example(spec, sub, key, optional_ids=optional_ids)
        return out
    if kind == "array":
        n = max(1, schema.get("minItems", 1))
        return [example(spec, schema.get("items", {}), name.removesuffix("s"), optional_ids=optional_ids)
                for _ in range(n)]
    if kind == "integer":
        if name.endswith(("_id", "_ids", "_i")) or name == "id":
            return UNKNOWN
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1)
        return max(low, 1) if schema.get("maximum", 10**9) >= 1 else low
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("format") == "binary" or "contentMediaType" in schema:
            return PNG
        if name.endswith(("_id", "_ids")):
            return str(UNKNOWN)
        if re.fullmatch(r"\^\((\w+)\|.*\)\$", schema.get("pattern", "")):
            return schema["pattern"][2:].split("|")[0]
        if schema.get("format") == "date-time":
            return (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        if name in PATTERNED:
            return PATTERNED[name]
        return "x" * max(schema.get("minLength", 1), 8)
    return None


def api_calls(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, request kwargs) for every operation that names an id in its path or body."""
    spec = api.app.openapi()
    calls = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            params = [p for p in op.get("parameters", []) if p["in"] == "path"]
            content = op.get("requestBody", {}).get("content", {})
            bodies: list[dict[str, Any]] = [{}]
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                bodies = [{"json": example(spec, schema, optional_ids=True)},
                          {"json": example(spec, schema, optional_ids=False)}]
            elif "multipart/form-data" in content or "application/x-www-form-urlencoded" in content:
                schema = _resolve(spec, next(iter(content.values()))["schema"])
                data, files = {}, {}
                for key, sub in schema.get("properties", {}).items():
                    value = example(spec, sub, key, optional_ids=True)
                    if isinstance(value, bytes) or (isinstance(value, list) and value and isinstance(value[0], bytes)):
                        files[key] = ("a.png", PNG, "image/png")
                    else:
                        data[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
                bodies = [{"data": data, "files": files or None}]
            if (method, path) == ("post", "/api/v1/products"):  # a product sold here needs a SKU
                for b in bodies:
                    b["json"]["skus"] = [{"price": 100, "stock": 1}]
            bodies = [b for b in bodies if params or str(UNKNOWN) in repr(b)]
            url = path
            for p in params:
                value = NAMED.get(p["name"], UNKNOWN)
                url = url.replace("{" + p["name"] + "}", str(value))
            for body in bodies:
                if body not in [c[2] for c in calls if c[:2] == (method.upper(), url)]:
                    calls.append((method.upper(), url, body))
    return calls


def page_calls(api: Api) -> list[tuple[str, str]]:
    """(method, url) for every page route with an id in its path."""
    out = []
    for ctx in iter_route_contexts(api.app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute) or ctx.include_in_schema or "{" not in (ctx.path_format or ""):
            continue
        path = ctx.path_format or ""
        if path.startswith(("/api/", "/media/hooks")):
            continue
        url = re.sub(r"\{[^}]+\}", str(UNKNOWN), path)
        out += [(m, url) for m in sorted(ctx.methods or ()) if m in {"GET", "POST"}]
    return out


async def row_counts(api: Api) -> dict[str, int]:
    async with api.db.transaction() as s:
        counts = {}
        for table in Base.metadata.sorted_tables:
            counts[table.name] = int((await s.execute(select(func.count()).select_from(table))).scalar_one())
        return counts


async def everyone(api: Api) -> tuple[str, str]:
    """A user holding every role with a shop, and their web session cookie."""
    async with api.db.transaction() as s:
        user = await identity.register_user(s, api.db.settings, username="allroles", password="password123",
                                            roles=ALL_ROLES, self_serve=False)
        token = await identity.issue_api_token(s, user)
    await api.call("POST", "/api/v1/shops", token, expect=201, json={"name": "everyone's shop"})
    return token, ""


async def call(api: Api, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request, with a server error answered as a 500 rather than raised, so every route is seen."""
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://laotie.test", headers=ENGLISH,
                                 cookies=api.client.cookies) as client:
        return await client.request(method, url, **kwargs)


@both_databases
async def test_unknown_ids_in_the_api_are_refused_with_a_code(api: Api) -> None:
    token, _ = await everyone(api)
    op = await api.operator()
    await api.merchant_with_product(await api.category(op))
    await api.settle()
    before = await row_counts(api)
    problems = []
    for method, url, kwargs in api_calls(api):
        r = await call(api, method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        body = r.json() if r.content and r.headers.get("content-type", "").startswith("application/json") else {}
        if not (400 <= r.status_code < 500) or not body.get("code") or body.get("code") == "invalid_request":
            problems.append((method, url, kwargs, r.status_code, r.text[:200]))
    assert problems == [], "\n".join(map(str, problems))
    await api.settle()
    assert await row_counts(api) == before


@both_databases
async def test_unknown_ids_on_pages_are_refused_with_a_page(api: Api) -> None:
    await everyone(api)
    op = await api.operator()
    await api.merchant_with_product(await api.category(op))
    csrf = await sign_in(api, "allroles")
    await api.settle()
    before = await row_counts(api)
    problems = []
    for method, url in page_calls(api):
        kwargs: dict[str, Any] = {}
        if method == "POST":
            kwargs = {"data": {"csrf_token": csrf, "quantity": "1", "text": "hello", "reason": "because",
                               "amount": "1", "label": "x", "stars": "5", "line_id": str(UNKNOWN)},
                      "headers": {"X-CSRF-Token": csrf}}
        r = await call(api, method, url, **kwargs)
        html = r.headers.get("content-type", "").startswith("text/html")
        if not (400 <= r.status_code < 500 and html and "data-code=" in r.text):
            problems.append((method, url, r.status_code, r.headers.get("location"), r.text[:120]))
    assert problems == [], "\n".join(map(str, problems))
    await api.settle()
    after = await row_counts(api)
    assert {k: (before[k], after[k]) for k in before if before[k] != after[k] and k != "web_sessions"} == {}
