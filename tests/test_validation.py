"""Malformed input: 422 naming the field; never a 500, whatever is sent."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import ADDRESS, Api

HUGE = 2**70


async def test_malformed_requests_name_the_field(api: Api) -> None:
    buyer = await api.user()
    cases = [
        ("POST", "/api/v1/checkout", {"json": {"items": [], "address": ADDRESS}}, "items"),
        ("POST", "/api/v1/checkout", {"json": {"items": [{"sku_id": 1, "quantity": 0}], "address": ADDRESS}},
         "items.0.quantity"),
        ("POST", "/api/v1/checkout", {"json": {"items": [{"sku_id": HUGE, "quantity": 1}], "address": ADDRESS}},
         "items.0.sku_id"),
        ("POST", "/api/v1/checkout", {"json": {"items": [{"sku_id": 1, "quantity": 1}],
                                               "address": {**ADDRESS, "phone": "call me"}}}, "address.phone"),
        ("POST", "/api/v1/checkout", {"json": {"items": [{"sku_id": 1, "quantity": 1}],
                                               "address": {**ADDRESS, "recipient": "a\x00b"}}},
         "address.recipient"),
        ("POST", "/api/v1/checkout", {"content": b"{not json", "headers": {"content-type": "application/json"}},
         ""),
        ("GET", f"/api/v1/orders/{HUGE}", {}, "order_id"),
        ("GET", "/api/v1/orders/-1", {}, "order_id"),
        ("GET", "/api/v1/orders/abc", {}, "order_id"),
        ("GET", "/api/v1/products?page=0", {}, "page"),
        ("GET", "/api/v1/products?sort=evil", {}, "sort"),
        ("GET", "/api/v1/orders?status=lost", {}, "status"),
        ("POST", "/api/v1/auth/register", {"json": {"username": "ab", "password": "password123"}}, "username"),
        ("POST", "/api/v1/auth/register", {"json": {"username": "abc", "password": "short"}}, "password"),
    ]
    for method, url, kwargs, field in cases:
        r = await api.call(method, url, buyer, **kwargs)
        assert r.status_code == 422, (url, r.status_code, r.text)
        body = r.json()
        assert body["code"] == "invalid_request"
        if field:
            assert body["field"] == field, (url, body)
    r = await api.call("POST", "/api/v1/checkout", buyer, headers={"Idempotency-Key": "bad key with spaces"},
                       json={"items": [{"sku_id": 1, "quantity": 1}], "address": ADDRESS})
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
endpoint = st.sampled_from([
    ("POST", "/api/v1/checkout"), ("POST", "/api/v1/cart/items"), ("POST", "/api/v1/products"),
    ("POST", "/api/v1/shops"), ("POST", "/api/v1/categories"), ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/tokens"), ("PATCH", "/api/v1/skus/1"), ("POST", "/api/v1/orders/1/ship"),
    ("POST", "/api/v1/payments/sandbox/callback"), ("POST", "/api/v1/cart/checkout"),
])


async def test_fuzzed_bodies_never_500(api: Api) -> None:
    """Hypothesis draws the bodies (deterministically); the app must refuse each one cleanly."""
    token = await api.user("merchant")
    bodies: list[tuple[tuple[str, str], object]] = []

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(endpoint=endpoint, body=json_values)
    def draw(endpoint: tuple[str, str], body: object) -> None:
        bodies.append((endpoint, body))

    draw()
    assert len(bodies) >= 100
    for (method, url), body in bodies:
        r = await api.call(method, url, token, json=body)
        assert r.status_code < 500, (method, url, body, r.text)


async def test_unreadable_bodies_name_the_body(api: Api) -> None:
    """Not UTF-8, or cut off mid-way: 422 invalid_request on the field `body`, not a 400 or a byte offset."""
    buyer = await api.user()
    whole = b'{"items": [{"sku_id": 1, "quantity": 1}], "address": {"recipient": "Li"}}'
    for content in (b'{"items": "\xff\xfe"}', b"\xc3\x28" * 8, whole[:27], b'{"items": [', b"\x00"):
        for url in ("/api/v1/checkout", "/api/v1/auth/register"):
            r = await api.call("POST", url, buyer, content=content, headers={"content-type": "application/json"})
            assert r.status_code == 422, (url, content, r.status_code, r.text)
            body = r.json()
            assert (body["code"], body["field"]) == ("invalid_request", "body"), (url, content, body)
            assert body["message"].startswith("body: "), body
    # a broken multipart envelope is a body that cannot be read, too
    token = await api.user("merchant")
    r = await api.call("POST", "/api/v1/videos", token, content=b"--x\r\nbroken",
                       headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 422 and r.json()["field"] in {"body", "file"}, r.text
    # ...and an envelope the multipart parser itself rejects, on an upload route that reads its own form
    await api.call("POST", "/api/v1/shops", token, expect=201, json={"name": "multipart shop"})
    cat = await api.category(await api.operator())
    product = (await api.call("POST", "/api/v1/products", token, expect=201, json={
        "title": "t", "category_id": cat, "skus": [{"price": 100, "stock": 1}]})).json()["id"]
    r = await api.call("POST", f"/api/v1/products/{product}/images", token, content=b"--B\r\n324244.33--B--\r\n",
                       headers={"content-type": "multipart/form-data; boundary=B"})
    assert r.status_code == 422 and (r.json()["code"], r.json()["field"]) == ("invalid_request", "body"), r.text


def _unbounded(spec: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Every array (and free-form object) in a request schema that has no upper bound on its length."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _unbounded(spec, spec["components"]["schemas"][name], f"{where}>{name}", seen | {name})
    found = []
    if schema.get("type") == "array" and "maxItems" not in schema and schema.get("format") != "binary":
        items = schema.get("items", {})
        if items.get("format") != "binary":  # files are bounded by the body limit
            found.append(where)
    if isinstance(schema.get("additionalProperties"), dict) and "maxProperties" not in schema:
        found.append(where)
    for key, sub in schema.get("properties", {}).items():
        found += _unbounded(spec, sub, f"{where}.{key}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _unbounded(spec, schema[key], f"{where}[]", seen)
    for key in ("anyOf", "allOf", "oneOf", "prefixItems"):
        for sub in schema.get(key, []):
            found += _unbounded(spec, sub, where, seen)
    return found


async def test_every_list_in_a_request_is_bounded(api: Api) -> None:
    """A checkout with two million items is a 422, not 500 MB of memory: every list has a max_length."""
    spec = api.app.openapi()
    unbounded = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for content in op.get("requestBody", {}).get("content", {}).values():
                unbounded += _unbounded(spec, content["schema"], f"{method.upper()} {path}", set())
            for param in op.get("parameters", []):
                unbounded += _unbounded(spec, param.get("schema", {}), f"{method.upper()} {path} ?{param['name']}",
                                        set())
    assert unbounded == []
    buyer = await api.user()
    items = b'{"sku_id": 1, "quantity": 1},' * 200_000
    r = await api.call("POST", "/api/v1/checkout", buyer, content=b'{"items": [' + items[:-1] + b'], "address": {}}',
                       headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "items", r.text[:300]
