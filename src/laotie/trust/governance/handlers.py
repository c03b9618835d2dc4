"""Governance meets other domains: an upheld counterfeit claim opens a case; penalties limit feed traffic."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.kit.events import bus
from laotie.traffic.service import policy
from laotie.trust.governance.service import cases, penalties

# Governance fills its part of the discovery feed's policy interface: penalties' traffic limits.
policy.register_limits(penalties.traffic_limits)


@bus.on("claim.upheld", "trust.counterfeit_case")
async def counterfeit_case(s: AsyncSession, payload: dict[str, Any]) -> None:
    """假一赔十 upheld: the shop's owner faces a 售假 case (appealable like any other)."""
    shop = await catalog.get_shop(s, int(payload["shop_id"]))
    await cases.open_case(s, None, violation_code="counterfeit", subject_id=shop.owner_id, shop_id=shop.id,
                          reason=f"counterfeit claim {payload['claim_id']} upheld on order {payload['order_id']}",
                          evidence={"claim_id": payload["claim_id"], "order_id": payload["order_id"]},
                          source="claim")


@bus.on("fraud.ring_confirmed", "trust.fake_order_cases")
async def fake_order_cases(s: AsyncSession, payload: dict[str, Any]) -> None:
    """A confirmed 刷单 ring: each of its shops faces a 虚假交易 case (its orders already stopped counting)."""
    for shop_id in payload["shop_ids"]:
        shop = await catalog.get_shop(s, int(shop_id))
        why = f"fake-order ring {payload['ring_id']} confirmed: {payload.get('reason', '')}"
        await cases.open_case(s, None, violation_code="fake_orders", subject_id=shop.owner_id, shop_id=shop.id,
                              reason=why[:300],
                              evidence={"ring_id": payload["ring_id"], "orders": len(payload["order_ids"])},
                              source="fraud_ring")
