"""The whole purchase through the API, on each SQLite driver laotie offers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from laotie.app import create_app
from tests.conftest import make_settings
from tests.support import ENGLISH, Api


async def _purchase(api: Api) -> tuple[int, int]:
    """Buy, pay, ship, confirm; returns the merchant's (pending, available) balances."""
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    merchant, _, sku_id = await api.merchant_with_product(cat, price=10000, stock=5)
    buyer = await api.user()
    body = (await api.buy(buyer, sku_id, 2)).json()
    assert body["amount"] == 20000
    await api.pay(buyer, body["payment_id"])
    order_id = body["order_ids"][0]
    assert (await api.call("GET", f"/api/v1/orders/{order_id}", buyer, expect=200)).json()["status"] == "paid"
    await api.call("POST", f"/api/v1/orders/{order_id}/ship", merchant, expect=200,
                   json={"carrier": "SF", "tracking_no": "SF12345"})
    await api.call("POST", f"/api/v1/orders/{order_id}/confirm-receipt", buyer, expect=200)
    balances = (await api.call("GET", "/api/v1/shops/mine/balances", merchant, expect=200)).json()
    return balances["pending"], balances["available"]


@pytest.fixture(params=["inloop", "thread"])
async def driver_api(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[Api]:
    import shutil

    shutil.copy(migrated_sqlite, tmp_path / "d.db")
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'd.db'}", sqlite_driver=request.param)
    app = create_app(settings)
    assert app.state.db.engine.dialect.driver == ("inloop" if request.param == "inloop" else "aiosqlite")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://laotie.test", headers=ENGLISH) as client:
            yield Api(client, app)


async def test_buy_pay_ship_confirm(driver_api: Api) -> None:
    assert await _purchase(driver_api) == (0, 19000)  # ¥200 less 5% commission, all available
    assert await driver_api.ledger_ok()
