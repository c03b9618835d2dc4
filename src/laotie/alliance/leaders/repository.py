"""Group-leader queries: offers, the sub-library, the sales of the leader's creators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.models import AllianceLeaderOffer, AllianceListing, CommissionLine, Product, Shop


async def offer_of(s: AsyncSession, leader_id: int, listing_id: int) -> AllianceLeaderOffer | None:
    return (await s.execute(select(AllianceLeaderOffer).where(AllianceLeaderOffer.leader_id == leader_id,
                                                              AllianceLeaderOffer.listing_id == listing_id))
            ).scalar_one_or_none()


@dataclass(frozen=True)
class OfferRow:
    offer: AllianceLeaderOffer
    listing: AllianceListing
    product: Product
    shop_name: str


def _offers() -> Any:
    return (select(AllianceLeaderOffer, AllianceListing, Product, Shop.name)
            .join(AllianceListing, AllianceListing.id == AllianceLeaderOffer.listing_id)
            .join(Product, Product.id == AllianceListing.product_id)
            .join(Shop, Shop.id == AllianceLeaderOffer.shop_id))


async def offers_of_leader(s: AsyncSession, leader_id: int, statuses: Sequence[str], limit: int, offset: int
                           ) -> list[OfferRow]:
    rows = await s.execute(_offers().where(AllianceLeaderOffer.leader_id == leader_id,
                                           AllianceLeaderOffer.status.in_(statuses))
                           .order_by(AllianceLeaderOffer.id.desc()).limit(limit).offset(offset))
    return [OfferRow(o, listing, p, str(name)) for o, listing, p, name in rows.all()]


async def offers_to_shop(s: AsyncSession, shop_id: int, statuses: Sequence[str], limit: int, offset: int
                         ) -> list[OfferRow]:
    rows = await s.execute(_offers().where(AllianceLeaderOffer.shop_id == shop_id,
                                           AllianceLeaderOffer.status.in_(statuses))
                           .order_by(AllianceLeaderOffer.id.desc()).limit(limit).offset(offset))
    return [OfferRow(o, listing, p, str(name)) for o, listing, p, name in rows.all()]


async def sub_library(s: AsyncSession, leader_id: int, limit: int, offset: int) -> list[OfferRow]:
    """Accepted offers on products in the library now, newest acceptance first."""
    rows = await s.execute(
        _offers().where(AllianceLeaderOffer.leader_id == leader_id, AllianceLeaderOffer.status == "accepted",
                        AllianceListing.status == "active", Product.status == "published", Shop.status == "open")
        .order_by(AllianceLeaderOffer.decided_at.desc(), AllianceLeaderOffer.id.desc()).limit(limit).offset(offset))
    return [OfferRow(o, listing, p, str(name)) for o, listing, p, name in rows.all()]


SOLD = ("estimated", "settled")


async def sales_by_creator(s: AsyncSession, leader_id: int) -> list[dict[str, int]]:
    """Per creator, the paid lines carrying this leader's fee: count, value, refunds, the fee as it went."""
    c = CommissionLine
    rows = await s.execute(
        select(c.promoter_id, func.count(), func.sum(c.base), func.sum(c.refunded), func.sum(c.est_leader),
               func.sum(c.cur_leader), func.sum(func.coalesce(c.set_leader, 0)))
        .where(c.leader_id == leader_id, c.status.in_(SOLD))
        .group_by(c.promoter_id).order_by(func.sum(c.base).desc(), c.promoter_id))
    keys = ("creator_id", "lines", "gmv", "refunded", "fee_estimated", "fee_standing", "fee_settled")
    return [dict(zip(keys, (int(v or 0) for v in row), strict=True)) for row in rows.all()]
