"""Governance reacts to other domains' findings: an upheld counterfeit claim opens a violation case."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.kit.events import bus
from laotie.trust.service import cases


@bus.on("claim.upheld", "trust.counterfeit_case")
async def counterfeit_case(s: AsyncSession, payload: dict[str, Any]) -> None:
    """假一赔十 upheld: the shop's owner faces a 售假 case (appealable like any other)."""
    shop = await catalog.get_shop(s, int(payload["shop_id"]))
    await cases.open_case(s, None, violation_code="counterfeit", subject_id=shop.owner_id, shop_id=shop.id,
                          reason=f"counterfeit claim {payload['claim_id']} upheld on order {payload['order_id']}",
                          evidence={"claim_id": payload["claim_id"], "order_id": payload["order_id"]},
                          source="claim")
