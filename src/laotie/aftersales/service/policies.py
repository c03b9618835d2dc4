"""A shop's guarantee settings and its after-sales queue."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.aftersales import repository
from laotie.catalog import service as catalog
from laotie.kit.events import record_event
from laotie.models import Aftersale, ShopPolicy, User


async def my_policy(s: AsyncSession, merchant: User) -> ShopPolicy:
    shop = await catalog.my_shop(s, merchant)
    return await repository.policy(s, shop.id)


async def set_policy(s: AsyncSession, merchant: User, *, refund_without_return: bool, no_return_threshold: int,
                     return_shipping_funded_by: str) -> ShopPolicy:
    """Opt in or out of refund without return (退款不退货) and choose who funds 退货补运费."""
    shop = await catalog.my_shop(s, merchant)
    policy = await s.get(ShopPolicy, shop.id)
    if policy is None:
        policy = ShopPolicy(shop_id=shop.id)
        s.add(policy)
    policy.refund_without_return = refund_without_return
    policy.no_return_threshold = no_return_threshold
    policy.return_shipping_funded_by = return_shipping_funded_by
    await s.flush()
    await record_event(s, "shop.policy_changed", {"shop_id": shop.id, "refund_without_return": refund_without_return,
                                                  "no_return_threshold": no_return_threshold,
                                                  "return_shipping_funded_by": return_shipping_funded_by})
    return policy


async def shop_queue(s: AsyncSession, merchant: User, statuses: Sequence[str] | None) -> Sequence[Aftersale]:
    shop = await catalog.my_shop(s, merchant)
    return await repository.of_shop(s, shop.id, statuses)
