"""Seeding a browser test's database through the services, before its server starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.config import Settings
from laotie.identity import service as identity
from laotie.kit.migrate import upgrade_async
from laotie.models import User

PASSWORD = "password123"


def browser_settings(tmp: Path, url: str) -> Settings:
    return Settings(database_url=url, data_dir=tmp, media_dir=tmp / "media", secret_key="test",
                    argon2_time_cost=1, argon2_memory_kib=64, jobs_enabled=False)


@dataclass
class Merchant:
    user: User
    product_id: int
    sku_id: int


async def account(s: AsyncSession, settings: Settings, username: str, *roles: str) -> User:
    return await identity.register_user(s, settings, username=username, password=PASSWORD,
                                        roles=set(roles) or {"consumer"}, self_serve=False)


async def merchant_with_product(s: AsyncSession, settings: Settings, username: str, *, title: str,
                                price: int = 6800, stock: int = 50) -> Merchant:
    """An operator's category, a merchant with a shop and one published product."""
    operator = await account(s, settings, f"{username}_op", "operator")
    category = await catalog.create_category(s, operator, name=f"{username} 类目", commission_bps=500)
    user = await account(s, settings, username, "merchant")
    await catalog.open_shop(s, user, name=f"{username} shop", description="")
    product = await catalog.create_product(s, user, catalog.ProductDraft(
        title=title, category_id=category.id, description="",
        skus=[catalog.SkuDraft(price=price, stock=stock, attributes={"size": "std"})]))
    await catalog.publish_product(s, user, product.id)
    view = await catalog.product_view(s, product.id)
    return Merchant(user, product.id, view.skus[0].id)


async def live_host(s: AsyncSession, settings: Settings, username: str, *, title: str) -> tuple[Merchant, int]:
    """A merchant with one product, live (the stream authorised) with the product in the live cart; the session id."""
    from laotie.live.sale.service import cart
    from laotie.live.service import sessions

    host = await merchant_with_product(s, settings, username, title=title)
    session = await sessions.authorize_publish(s, await sessions.rotate_stream_key(s, host.user))
    await cart.add_to_live_cart(s, host.user, session.id, host.product_id)
    return host, session.id


async def fresh_database(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Settings]:
    """A browser test's own migrated SQLite database and settings (Chromium required: skip or fail)."""
    from tests.serving import CHROMIUM, require

    require(CHROMIUM.is_file(), f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    monkeypatch.setenv("LAOTIE_CONFIG", str(tmp / "absent.toml"))
    url = f"sqlite+aiosqlite:///{tmp / 'laotie.db'}"
    await upgrade_async(url)
    return url, browser_settings(tmp, url)
