"""Queries of share links and link-outs: channels, clicks, nonces, external conversions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.db import dialect_insert
from laotie.models import (
    AllianceChannel,
    AllianceExternalConversion,
    AllianceListing,
    AlliancePostbackNonce,
    AlliancePromotion,
)


async def channel_by_code(s: AsyncSession, code: str) -> AllianceChannel | None:
    return (await s.execute(select(AllianceChannel).where(AllianceChannel.code == code))).scalar_one_or_none()


async def channel_named(s: AsyncSession, external_channel: str) -> AllianceChannel | None:
    """The registered channel a product's `external_channel` names, by code or display name, in any case."""
    folded = external_channel.strip().lower()
    q = (select(AllianceChannel)
         .where(or_(AllianceChannel.code == folded, func.lower(AllianceChannel.name) == folded))
         .order_by(AllianceChannel.id).limit(1))
    return (await s.execute(q)).scalar_one_or_none()


async def channels(s: AsyncSession) -> list[AllianceChannel]:
    return list((await s.execute(select(AllianceChannel).order_by(AllianceChannel.code))).scalars())


async def approved_promotion(s: AsyncSession, creator_id: int, product_id: int
                             ) -> tuple[AllianceListing, AlliancePromotion] | None:
    """The creator's approved promotion of the product's active listing, if any."""
    q = (select(AllianceListing, AlliancePromotion)
         .join(AlliancePromotion, AlliancePromotion.listing_id == AllianceListing.id)
         .where(AllianceListing.product_id == product_id, AllianceListing.status == "active",
                AlliancePromotion.creator_id == creator_id, AlliancePromotion.status == "approved"))
    row = (await s.execute(q)).first()
    return (row[0], row[1]) if row is not None else None


async def take_nonce(s: AsyncSession, channel_id: int, nonce: str, now: datetime) -> bool:
    """Record the nonce; False when the channel used it before (the unique constraint says so)."""
    done = await s.execute(dialect_insert(s, AlliancePostbackNonce)
                           .values(channel_id=channel_id, nonce=nonce, seen_at=now)
                           .on_conflict_do_nothing(index_elements=["channel_id", "nonce"])
                           .returning(AlliancePostbackNonce.id))
    return done.scalar() is not None


async def prune_nonces(s: AsyncSession, before: datetime) -> int:
    done: Any = await s.execute(delete(AlliancePostbackNonce).where(AlliancePostbackNonce.seen_at < before))
    return int(done.rowcount or 0)


async def insert_conversion(s: AsyncSession, values: dict[str, Any]) -> int | None:
    """The new conversion's id; None when the channel reported this external order already."""
    done = await s.execute(dialect_insert(s, AllianceExternalConversion).values(**values)
                           .on_conflict_do_nothing(index_elements=["channel_id", "external_order_id"])
                           .returning(AllianceExternalConversion.id))
    found = done.scalar()
    return int(found) if found is not None else None


async def conversion_of(s: AsyncSession, channel_id: int, external_order_id: str) -> AllianceExternalConversion | None:
    q = select(AllianceExternalConversion).where(AllianceExternalConversion.channel_id == channel_id,
                                                 AllianceExternalConversion.external_order_id == external_order_id)
    return (await s.execute(q)).scalar_one_or_none()


async def external_totals(s: AsyncSession, creator_id: int) -> dict[str, tuple[int, int]]:
    """(conversions, commission) by status for one creator."""
    c = AllianceExternalConversion
    rows = await s.execute(select(c.status, func.count(), func.coalesce(func.sum(c.commission), 0))
                           .where(c.creator_id == creator_id).group_by(c.status))
    return {str(status): (int(n), int(total)) for status, n, total in rows.all()}


async def external_conversions(s: AsyncSession, creator_id: int, limit: int = 50
                               ) -> list[tuple[AllianceExternalConversion, str]]:
    c = AllianceExternalConversion
    rows = await s.execute(select(c, AllianceChannel.code).join(AllianceChannel, AllianceChannel.id == c.channel_id)
                           .where(c.creator_id == creator_id).order_by(c.id.desc()).limit(limit))
    return [(conv, str(code)) for conv, code in rows.all()]
