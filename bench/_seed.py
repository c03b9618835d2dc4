"""Seeding shared by the live benches: one transaction, and a host who is live with one product.

    async with seeded(url, workdir, SECRET) as (s, user):
        room = await live_host(s, user, title="Linyi apples 5kg", price=9900, stock=1000)
        ...  # the bench's own viewers, cart and tokens, in the same transaction
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MakeUser = Callable[[str, set[str]], Awaitable[Any]]


@dataclass
class LiveHost:
    host: Any  # the merchant's User
    product_id: int
    sku_id: int
    session_id: int


@asynccontextmanager
async def seeded(url: str, workdir: Path, secret: str) -> AsyncIterator[tuple[Any, MakeUser]]:
    """The migrated database's one seeding transaction, and a maker of users (one password hash for all)."""
    from laotie.config import Settings
    from laotie.identity import service as identity
    from laotie.kit.db import Database
    from laotie.kit.migrate import upgrade_async

    await upgrade_async(url)
    settings = Settings(database_url=url, data_dir=workdir, media_dir=workdir / "media", secret_key=secret,
                        argon2_time_cost=1, argon2_memory_kib=64, jobs_enabled=False)
    db = Database.connect(settings)
    hashed = identity.hasher(settings).hash("bench-password")
    try:
        async with db.transaction() as s:

            async def user(name: str, roles: set[str]) -> Any:
                return await identity.register_user(s, settings, username=name, password="", roles=roles,
                                                    self_serve="operator" not in roles, password_hash=hashed)

            yield s, user
    finally:
        await db.dispose()


async def live_host(s: Any, user: MakeUser, *, title: str, price: int, stock: int,
                    attributes: dict[str, str] | None = None) -> LiveHost:
    """A category, a merchant whose shop sells one published product, and the merchant live (stream authorised)."""
    from laotie.catalog import service as catalog
    from laotie.live.service import sessions

    op = await user("bench-op", {"operator"})
    category = await catalog.create_category(s, op, name="Bench", commission_bps=500)
    host = await user("bench-host", {"merchant"})
    await catalog.open_shop(s, host, name="Bench shop")
    product = await catalog.create_product(s, host, catalog.ProductDraft(
        title=title, category_id=category.id,
        skus=[catalog.SkuDraft(price=price, stock=stock, attributes=attributes or {})]))
    await catalog.publish_product(s, host, product.id)
    sku = (await catalog.product_view(s, product.id)).skus[0]
    session = await sessions.authorize_publish(s, await sessions.rotate_stream_key(s, host))
    return LiveHost(host, product.id, sku.id, session.id)
