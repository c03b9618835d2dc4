"""Helpers that drive laotie through its public API, as a client would."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

_names = itertools.count(1)

# Run a test once on SQLite and once on PostgreSQL (which must be there under CI=true).
both_databases = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
ADDRESS = {"recipient": "Li Lei", "phone": "13800000000", "address": "1 Test Road, Linyi"}


# Tests read the English pages (zh-CN is the default for a visitor who states no language).
ENGLISH = {"accept-language": "en"}



async def flushed_redis(url: str) -> str:
    """The Redis database at `url`, emptied for this test; skipped without Redis (a failure under CI=true)."""
    import redis.asyncio as redis

    client = redis.from_url(url)
    try:
        await client.flushdb()
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(f"needs Redis at {url}: {exc}")
    finally:
        await client.aclose()
    return url

@dataclass
class Api:
    client: httpx.AsyncClient
    app: Any

    @property
    def db(self) -> Any:
        return self.app.state.db

    async def settle(self) -> None:
        """Dispatch every outbox event now, and those its handlers record (the server does this after commit).

        Draining until nothing more goes out makes a test independent of whether the app's own
        dispatcher or this call happens to take each event first.
        """
        while await self.app.state.dispatcher.drain():
            pass

    async def call(self, method: str, url: str, token: str | None = None, expect: int | None = None,
                   **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        r = await self.client.request(method, url, headers=headers, **kwargs)
        if expect is not None:
            assert r.status_code == expect, f"{method} {url}: {r.status_code} {r.text}"
        return r

    async def user(self, *roles: str, name: str | None = None) -> str:
        name = name or f"user{next(_names)}"
        r = await self.call("POST", "/api/v1/auth/register", expect=201,
                            json={"username": name, "password": "password123", "roles": list(roles) or ["consumer"]})
        return str(r.json()["token"])

    async def operator(self) -> str:
        """Operators are never self-registered: create one the way the CLI does."""
        from laotie.identity import service

        name = f"op{next(_names)}"
        async with self.db.transaction() as s:
            user = await service.register_user(s, self.db.settings, username=name, password="password123",
                                               roles={"operator"}, self_serve=False)
            return await service.issue_api_token(s, user)

    async def category(self, op: str, rate_bps: int = 500, name: str | None = None) -> int:
        r = await self.call("POST", "/api/v1/categories", op, expect=201,
                            json={"name": name or f"cat{next(_names)}", "commission_bps": rate_bps})
        return int(r.json()["id"])

    async def merchant_with_product(self, category_id: int, *, price: int = 9900, stock: int = 10,
                                    limit: int | None = None) -> tuple[str, int, int]:
        token = await self.user("merchant")
        await self.call("POST", "/api/v1/shops", token, expect=201, json={"name": f"shop{next(_names)}"})
        sku: dict[str, Any] = {"price": price, "stock": stock, "attributes": {"size": "M"}}
        if limit:
            sku["purchase_limit"] = limit
        r = await self.call("POST", "/api/v1/products", token, expect=201,
                            json={"title": "Linyi apples 5kg", "category_id": category_id, "skus": [sku]})
        product = r.json()
        await self.call("POST", f"/api/v1/products/{product['id']}/publish", token, expect=200)
        return token, int(product["id"]), int(product["skus"][0]["id"])

    async def buy(self, token: str, sku_id: int, quantity: int = 1, expect: int | None = 201,
                  key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return await self.call("POST", "/api/v1/checkout", token, expect=expect, headers=headers,
                               json={"items": [{"sku_id": sku_id, "quantity": quantity}], "address": ADDRESS})

    async def pay(self, token: str, payment_id: int) -> None:
        """Approve in the sandbox, the way the pay page does, and let the callback land."""
        from laotie.identity import service as identity
        from laotie.orders.service import payment

        async with self.db.transaction() as s:
            user = await identity.user_for_token(s, token)
            assert user is not None
            await payment.sandbox_decide(s, self.db.settings, user, payment_id, approve=True)
        await self.settle()

    async def ledger_ok(self) -> bool:
        from laotie.ledger import service as ledger

        async with self.db.transaction() as s:
            report = await ledger.check(s)
        return report.ok and report.unbalanced == [] and report.drifted == []
