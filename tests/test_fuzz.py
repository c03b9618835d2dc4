"""Schema-driven fuzzing of the whole JSON API: no 5xx, and every answer is one the OpenAPI documents.

Schemathesis generates valid and invalid requests for every operation from the app's own OpenAPI
and sends them in-process, each with the bearer token of a role drawn with the example (consumer,
creator, merchant or operator), against a database with a shop, a live room, orders and an
after-sale request; half the generated ids are small, so they reach those rows. Seeded and derandomised: CI sees the
same requests every run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from laotie.app import create_app
from laotie.config import Settings
from laotie.kit.migrate import upgrade
from tests.conftest import PG_URL, make_settings, reset_postgres
from tests.support import ENGLISH, Api

pytestmark = pytest.mark.fuzz

ROLES = ("consumer", "creator", "merchant", "operator")
# Per operation, over all roles: small enough for CI on two cores, large enough to reach the bounds.
# A longer hunt by hand: LAOTIE_FUZZ_EXAMPLES=200 LAOTIE_FUZZ_SEED=7 pytest tests/test_fuzz.py
MAX_EXAMPLES = int(os.environ.get("LAOTIE_FUZZ_EXAMPLES", "15"))
SEED = int(os.environ.get("LAOTIE_FUZZ_SEED", "20260401"))
# The seeded world's ids are all small; a generated id is replaced by one of these half the time.
SEEDED_IDS = st.integers(min_value=1, max_value=6)

# Not fuzzed, and why:
# - DELETE /auth/tokens/current revokes the very token the run sends, which would leave every later
#   operation answering 401 for that role (identity tests cover log-out).
# WebSockets (live chat) and server-sent events (the inbox push) are not in the OpenAPI at all.
# The sandbox gateway and carrier callbacks stay in: without a valid signature they must refuse
# with a 4xx, never a 500.
EXCLUDED = [("DELETE", "/api/v1/auth/tokens/current")]


async def _seed_world(app_settings: Settings) -> dict[str, str]:
    """One user per role and something for each to act on, all with small ids.

    A shop with a published product; a merchant live with it in the live cart; a creator who
    follows the merchant; a paid order with a refund request and a message; a second order shipped.
    """
    from laotie.live.media.endpoints import callback_token

    app = create_app(app_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://laotie.test", headers=ENGLISH) as client:
            api = Api(client, app)
            operator = await api.operator()
            category = await api.category(operator)
            merchant, product, sku = await api.merchant_with_product(category, stock=50)
            consumer = await api.user("consumer")
            creator = await api.user("creator")
            me = (await api.call("GET", "/api/v1/me", merchant, expect=200)).json()
            await api.call("POST", f"/api/v1/users/{me['id']}/follow", creator, expect=200)

            key = (await api.call("POST", "/api/v1/live/keys", merchant, expect=201)).json()["stream_key"]
            hook = callback_token(app_settings.secret("media-hooks"))
            r = await client.post(f"/media/hooks/publish?token={hook}", data={"call": "publish", "name": key})
            assert r.status_code == 302, r.text
            session = (await api.call("GET", "/api/v1/live/sessions?status=live", expect=200)).json()[0]
            await api.call("POST", f"/api/v1/live/sessions/{session['id']}/cart", merchant, expect=204,
                           json={"product_id": product})

            orders = []
            for _ in range(2):
                checkout = (await api.buy(consumer, sku)).json()
                await api.pay(consumer, checkout["payment_id"])
                orders.append(checkout["order_ids"][0])
            await api.call("POST", "/api/v1/aftersales", consumer, expect=201,
                           json={"order_id": orders[0], "kind": "refund_only", "reason": "quality"})
            await api.call("POST", f"/api/v1/orders/{orders[0]}/messages", consumer, expect=201,
                           json={"text": "When will it ship?"})
            await api.call("POST", f"/api/v1/orders/{orders[1]}/ship", merchant, expect=200,
                           json={"carrier": "SF", "tracking_no": "SF000002"})
            await api.settle()
    return {"consumer": consumer, "creator": creator, "merchant": merchant, "operator": operator}


def _loosen_tuples(node: Any) -> None:
    """Turn each OpenAPI 3.1 tuple (`prefixItems`) into an array of any of its element types.

    Schemathesis 4.32.5 rewrites `prefixItems` into draft-4 `items: [...]` for response checks,
    then validates with a 2020-12 validator that refuses such a schema (/me/traffic's by_day pairs).
    The looser array keeps the rest of the response checked.
    """
    if isinstance(node, dict):
        if "prefixItems" in node:
            node["items"] = {"anyOf": node.pop("prefixItems")}
        for value in node.values():
            _loosen_tuples(value)
    elif isinstance(node, list):
        for value in node:
            _loosen_tuples(value)


def _settings(tmp: Path, migrated_sqlite: Path) -> Settings:
    if os.environ.get("LAOTIE_TEST_BACKEND", "sqlite") == "postgres":
        if not PG_URL:
            pytest.skip("PostgreSQL tests need LAOTIE_TEST_POSTGRES_URL (CI sets it)")
        asyncio.run(reset_postgres(PG_URL))
        upgrade(PG_URL)
        return make_settings(tmp, PG_URL, db_pool_size=10)
    db = tmp / "laotie.db"
    shutil.copy(migrated_sqlite, db)
    return make_settings(tmp, f"sqlite+aiosqlite:///{db}")


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[dict[str, Any]]:
    app_settings = _settings(tmp_path_factory.mktemp("fuzz"), migrated_sqlite)
    tokens = asyncio.run(_seed_world(app_settings))
    app = create_app(app_settings)
    # Loading the schema starts the app's lifespan in Schemathesis's event-loop thread, where every
    # generated request then runs.
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    _loosen_tuples(schema.raw_schema)
    schema.config.seed = SEED
    schema.config.phases.update(phases=["examples", "fuzzing"])
    schema.config.generation.update(max_examples=MAX_EXAMPLES, no_shrink=True, deterministic=True)

    @schema.hook
    def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any]) -> Any:
        """Random ids almost never name a row: half the time, aim at the seeded world's rows instead."""
        ids = {name: st.one_of(st.just(value), SEEDED_IDS)
               for name, value in (path_parameters or {}).items() if isinstance(value, int) and value > 0}
        if not ids:
            return st.just(path_parameters)
        return st.fixed_dictionaries(ids).map(lambda chosen: {**path_parameters, **chosen})

    try:
        yield {"schema": schema, "tokens": tokens}
    finally:
        shutdown_lifespans()


@pytest.fixture(scope="module")
def api_schema(fuzz_world: dict[str, Any]) -> Any:
    return fuzz_world["schema"]


schema = schemathesis.pytest.from_fixture("api_schema")
for _method, _path in EXCLUDED:
    schema = schema.exclude(method=_method, path=_path)


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES))
@settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_api_answers_every_request_as_documented(case: Any, role: str, fuzz_world: dict[str, Any]) -> None:
    # call_and_validate raises on any failed check: a 5xx, a body or a status the schema does not list.
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_world['tokens'][role]}"},
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )
    assert response.status_code < 500
