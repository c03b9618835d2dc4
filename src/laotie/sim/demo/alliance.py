"""The demo's alliance (好物联盟): listings, creators promoting them, attributed orders, a payout.

Shops list a few products in the selection library at believable rates (5–30%); creator1 takes
some directly and works under an MCN; creator2 takes one from a group leader's sub-library;
consumers buy from the creators' profiles, so the orders are theirs; some complete and settle,
some stay estimated, one is refunded; creator1 withdraws settled commission and the sandbox
gateway pays it. Everything goes through the services, as the pages and the API would.
"""

from __future__ import annotations

from datetime import timedelta

# Importing the alliance's handlers registers its order hooks (attribution at checkout, commission on
# payment, refund and receipt): the demo seeds before any app is made, and an order placed without
# them would carry no commission.
from laotie.alliance import handlers as _order_hooks  # noqa: F401
from laotie.alliance.leaders import service as leaders
from laotie.alliance.mcn import service as mcn
from laotie.alliance.payouts import service as payouts
from laotie.alliance.samples import service as samples
from laotie.alliance.service import commissions, listings, promotions
from laotie.catalog import service as catalog
from laotie.identity import service as identity
from laotie.kit.errors import DomainError
from laotie.ledger import service as ledger
from laotie.models import AllianceListing, User, utcnow
from laotie.orders.gateway import gateway_for
from laotie.orders.service import checkout as checkout_service
from laotie.orders.service import lifecycle, refunds
from laotie.sim.demo.platform import DEMO_PASSWORD, Cast, place_order

RATES = (500, 1_000, 1_500, 2_000, 2_500, 3_000)  # basis points: 5% to 30%
LISTING_SHOPS = 3  # the first shops admitted to the library list two products each
LISTED_PER_SHOP = 2
LEADER_FEE_BPS = 1_000  # the group leader's fee: 10% of the commission
MCN_SHARE_BPS = 2_000  # the MCN's share: 20% of what creator1 keeps
# The attributed orders, in order: who sold it (0 = creator1, 1 = creator2 through the leader) and how far it went.
ORDERS = (("completed", 0), ("completed", 0), ("completed", 1), ("completed", 0), ("shipped", 0), ("paid", 1),
          ("paid", 0), ("paid", 0))
REFUNDED = 6  # the index in ORDERS of the paid order the shop refunds in full before shipping
STEPS = 3 + len(ORDERS) + 2  # listings, leader and MCN, promotions; the orders; settlement; the payout


def step_count() -> int:
    """The progress steps the alliance reports (see `laotie.sim.demo.progress_total`)."""
    return STEPS


async def _partner(cast: Cast, username: str, roles: set[str], display: str) -> User:
    async with cast.db.transaction() as s:
        return await identity.register_user(s, cast.settings, username=username, password=DEMO_PASSWORD,
                                            display_name=display, roles=roles, self_serve=False,
                                            password_hash=cast.password_hash)


async def seed_alliance(cast: Cast) -> None:
    rng = cast.rng("alliance")
    step = cast.step
    cast.counts["alliance_listings"] = cast.counts["alliance_orders"] = cast.counts["alliance_payouts"] = 0
    if not cast.creators or not cast.merchants:
        step("alliance", STEPS)
        return
    listed: list[tuple[AllianceListing, User]] = []
    for merchant in cast.merchants:
        if len({m.id for _, m in listed}) >= LISTING_SHOPS:
            break
        for product_id, _ in cast.products.get(merchant.id, [])[:LISTED_PER_SHOP]:
            terms = listings.ListingTerms(rate_bps=rng.choice(RATES), needs_approval=len(listed) == 1,
                                          sample_min_fans=0 if listed else 1)
            try:
                async with cast.db.transaction() as s:
                    listed.append((await listings.list_product(s, cast.settings, merchant, product_id, terms),
                                   merchant))
            except DomainError:  # a shop whose score band keeps it out of the library, or a rate under the floor
                continue
    step("alliance listings", 1)
    cast.counts["alliance_listings"] = len(listed)
    if not listed:
        cast.note("no shop was admitted to the alliance, so the demo has no alliance sales")
        step("alliance", STEPS - 1)
        return

    # A group leader recruits the first listing; its merchant accepts. An MCN contracts creator1.
    creator1 = cast.creators[0]
    creator2 = cast.creators[1] if len(cast.creators) > 1 else creator1
    leader = await _partner(cast, "leader1", {"creator"}, "Group leader 团长 1")
    agency = await _partner(cast, "mcn1", {"provider"}, "Star MCN 机构")
    first, first_merchant = listed[0]
    async with cast.db.transaction() as s:
        offer = await leaders.propose_offer(s, leader, first.id, LEADER_FEE_BPS)
        await leaders.decide_offer(s, first_merchant, offer.id, accept=True)
        contract = await mcn.offer_contract(s, agency, creator1.id, MCN_SHARE_BPS, utcnow() + timedelta(days=180))
        await mcn.accept_contract(s, creator1, contract.id)
    step("alliance partners", 1)

    # creator1 takes every listing but the first (one needs the shop's approval, which it gives) and
    # asks for a sample; creator2 takes the first through the leader.
    async with cast.db.transaction() as s:
        for listing, merchant in listed[1:]:
            promotion = await promotions.take_product(s, creator1, listing.id)
            if promotion.status == "applied":
                await promotions.decide(s, merchant, promotion.id, approve=True)
        if creator2.id != creator1.id:
            await leaders.take_through_leader(s, creator2, leader.id, first.id)
        else:
            await promotions.take_product(s, creator1, first.id)
        if len(listed) > 2:
            sample = await samples.request_sample(s, cast.settings, creator1, listed[2][0].id, samples.Recipient(
                creator1.display_name, "13800000001", "8 Studio Road, Hangzhou"))
            await samples.decide_sample(s, listed[2][1], sample.id, approve=True)
    step("alliance promotions", 1)

    sold: list[int | None] = []
    for n, (fate, who) in enumerate(ORDERS):
        creator = creator2 if who == 1 else creator1
        listing = first if who == 1 or len(listed) == 1 else listed[1 + n % (len(listed) - 1)][0]
        buyer = cast.consumers[(n * 7 + 3) % len(cast.consumers)] if cast.consumers else creator
        address = checkout_service.Address(buyer.display_name, f"139{n:08d}", f"{n + 1} Alliance Road, Chengdu")
        async with cast.db.transaction() as s:
            sku = (await catalog.product_view(s, listing.product_id)).skus[0].id
            sold.append(await place_order(s, cast.settings, buyer, sku, 1, address, fate, f"YT{cast.seed}{n:06d}",
                                          source=f"profile:{creator.id}"))
        step("alliance orders", 1)
    cast.counts["alliance_orders"] = sum(1 for o in sold if o is not None)

    # The shop refunds one paid order in full; the settlement job runs as it would after the window.
    async with cast.db.transaction() as s:
        refunded = sold[REFUNDED]
        if refunded is not None:
            order = await lifecycle.get_order(s, refunded)
            await refunds.refund_order(s, cast.settings, refunded, order.total - order.refunded, reason="out of stock",
                                       ref=f"demo:alliance:{refunded}")
        later = utcnow() + timedelta(days=cast.settings.alliance_settle_days + 1)
        cast.counts["alliance_settled"] = await commissions.settle_due(s, later)
    step("alliance settlement", 1)

    # creator1 withdraws half of what settled; the sandbox gateway pays it by its signed callback.
    async with cast.db.transaction() as s:
        available = (await ledger.commission_balances(s, creator1.id)).available
    amount = max(available // 2, cast.settings.alliance_payout_min)
    if available >= amount:
        async with cast.db.transaction() as s:
            payout = await payouts.request_payout(s, cast.settings, creator1, amount)
            await payouts.send_payout(s, cast.settings, payout.id)
            body, signature = gateway_for(cast.settings).payout_notification(
                payout_id=payout.id, amount=payout.amount, currency=payout.currency, status="paid", reason="",
                gateway_ref=payout.gateway_ref)
            await payouts.handle_payout_notification(s, cast.settings, body, signature)
        cast.counts["alliance_payouts"] = 1
    step("alliance payout", 1)

