"""A library product, a group leader, a creator taking it through them, an MCN: the alliance's worked case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from laotie.alliance.service import commissions
from laotie.identity import service as identity
from laotie.ledger import accounts as acct
from laotie.ledger import repository as ledger_repo
from laotie.ledger import service as ledger
from laotie.models import CommissionLine, User, utcnow
from laotie.orders.service import refunds
from laotie.orders.service.checkout import Address, LineRequest, checkout
from tests.support import ADDRESS, Api


@dataclass
class World:
    op: str
    merchant: str
    product: int
    sku: int
    listing: int
    leader: str
    leader_id: int
    creator: str
    creator_id: int
    mcn: str
    mcn_id: int


async def user_of(api: Api, token: str) -> User:
    async with api.db.transaction() as s:
        user = await identity.user_for_token(s, token)
    assert user is not None
    return user


async def provider(api: Api, op: str) -> tuple[str, int]:
    """An MCN: a user an operator granted the provider role."""
    token = await api.user()
    user = await user_of(api, token)
    await api.call("POST", f"/api/v1/users/{user.id}/roles", op, expect=200, json={"role": "provider"})
    return token, user.id


async def world(api: Api, rate_bps: int = 2_000, price: int = 10_000) -> World:
    op = await api.operator()
    cat = await api.category(op, rate_bps=500)
    merchant, product, sku = await api.merchant_with_product(cat, price=price, stock=50)
    r = await api.call("POST", "/api/v1/alliance/listings", merchant, expect=201,
                       json={"product_id": product, "rate_bps": rate_bps})
    leader, creator = await api.user("creator"), await api.user("creator")
    mcn, mcn_id = await provider(api, op)
    return World(op, merchant, product, sku, int(r.json()["id"]), leader, (await user_of(api, leader)).id,
                 creator, (await user_of(api, creator)).id, mcn, mcn_id)


async def offer(api: Api, w: World, fee_bps: int, *, accept: bool = True) -> int:
    r = await api.call("POST", "/api/v1/alliance/leaders/offers", w.leader, expect=201,
                       json={"listing_id": w.listing, "fee_bps": fee_bps})
    offer_id = int(r.json()["id"])
    if accept:
        await api.call("POST", f"/api/v1/alliance/leaders/offers/{offer_id}/decision", w.merchant, expect=200,
                       json={"accept": True})
    return offer_id


async def take_through_leader(api: Api, w: World) -> None:
    await api.call("POST", f"/api/v1/alliance/leaders/{w.leader_id}/library/{w.listing}/take", w.creator,
                   expect=201)


async def contract(api: Api, w: World, share_bps: int, *, days: int = 365, accept: bool = True) -> int:
    r = await api.call("POST", "/api/v1/alliance/mcn/contracts", w.mcn, expect=201, json={
        "creator_id": w.creator_id, "share_bps": share_bps, "ends_at": (utcnow() + timedelta(days=days)).isoformat()})
    contract_id = int(r.json()["id"])
    if accept:
        await api.call("POST", f"/api/v1/alliance/mcn/contracts/{contract_id}/accept", w.creator, expect=200)
    return contract_id


async def buy(api: Api, w: World, buyer: str | None = None) -> int:
    buyer = buyer or await api.user()
    user = await user_of(api, buyer)
    async with api.db.transaction() as s:
        result = await checkout(s, api.db.settings, user, [LineRequest(w.sku, 1)], Address(**ADDRESS),
                                source=f"profile:{w.creator_id}")
    await api.pay(buyer, result.payment_id)
    return result.order_ids[0]


async def line_of(api: Api, order_id: int) -> CommissionLine:
    async with api.db.transaction() as s:
        return (await s.execute(select(CommissionLine).where(CommissionLine.order_id == order_id))).scalar_one()


async def lines_count(api: Api) -> int:
    async with api.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(CommissionLine))).scalar_one())


async def refund(api: Api, order_id: int, amount: int, ref: str) -> None:
    async with api.db.transaction() as s:
        await refunds.refund_order(s, api.db.settings, order_id, amount, reason="test", ref=ref)
    await api.settle()


async def complete(api: Api, w: World, order_id: int, buyer: str) -> None:
    await api.call("POST", f"/api/v1/orders/{order_id}/ship", w.merchant, expect=200,
                   json={"carrier": "SF", "tracking_no": f"SF{order_id:08d}"})
    await api.call("POST", f"/api/v1/orders/{order_id}/confirm-receipt", buyer, expect=200)
    await api.settle()


async def settle_all(api: Api) -> int:
    async with api.db.transaction() as s:
        return await commissions.settle_due(s, utcnow() + timedelta(days=30))


async def balances(api: Api, *user_ids: int) -> list[tuple[int, int]]:
    """(pending, available) commission of each user."""
    out = []
    async with api.db.transaction() as s:
        for user_id in user_ids:
            b = await ledger.commission_balances(s, user_id)
            out.append((b.pending, b.available))
    return out


async def platform_fee(api: Api) -> int:
    code = acct.ALLIANCE_FEE_REVENUE[0]
    async with api.db.transaction() as s:
        return -(await ledger_repo.balances(s, [code])).get(code, 0)
