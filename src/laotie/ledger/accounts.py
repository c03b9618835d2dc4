"""The chart of accounts: names and kinds, in one place."""

from __future__ import annotations

# asset: what the platform holds (money at the gateway); grows with debits.
# liability: what the platform owes (to merchants, to buyers); grows with credits.
# revenue: what the platform earned; grows with credits.
# expense: what the platform spent (on guarantees it funds); grows with debits.
ASSET, LIABILITY, REVENUE, EXPENSE = "asset", "liability", "revenue", "expense"

GATEWAY_CLEARING = ("platform:gateway_clearing", ASSET)
COMMISSION_REVENUE = ("platform:commission_revenue", REVENUE)
GIFT_REVENUE = ("platform:gift_revenue", REVENUE)
PENALTY_REVENUE = ("platform:penalty_revenue", REVENUE)
# The platform's technical service fee on alliance commissions (技术服务费).
ALLIANCE_FEE_REVENUE = ("platform:alliance_fee_revenue", REVENUE)
# What the platform spends on buyers' behalf (return-shipping compensation it funds).
GUARANTEE_EXPENSE = ("platform:guarantee_expense", EXPENSE)


def shop_pending(shop_id: int) -> tuple[str, str]:
    """Owed to a merchant for orders not yet completed (待结算)."""
    return (f"shop:{shop_id}:pending", LIABILITY)


def shop_available(shop_id: int) -> tuple[str, str]:
    """Owed to a merchant and free to withdraw (可提现)."""
    return (f"shop:{shop_id}:available", LIABILITY)


def buyer_refund_payable(buyer_id: int) -> tuple[str, str]:
    return (f"buyer:{buyer_id}:refund_payable", LIABILITY)


def user_coins(user_id: int) -> tuple[str, str]:
    """Coins a viewer bought and has not spent yet, at their purchase value (快币)."""
    return (f"user:{user_id}:coins", LIABILITY)


def creator_gift_earnings(user_id: int) -> tuple[str, str]:
    """A creator's share of the gifts sent in their rooms (音浪收益)."""
    return (f"creator:{user_id}:gift_earnings", LIABILITY)


def shop_deposit(shop_id: int) -> tuple[str, str]:
    """A merchant's deposit (保证金): held for it, drawn on for compensation and penalty fees."""
    return (f"shop:{shop_id}:deposit", LIABILITY)


def commission_pending(user_id: int) -> tuple[str, str]:
    """Alliance commission owed to a creator, group leader or MCN, not yet settled (待结算佣金)."""
    return (f"user:{user_id}:commission_pending", LIABILITY)


def commission_available(user_id: int) -> tuple[str, str]:
    """Settled alliance commission, free to withdraw; below zero after a clawback it is owed back."""
    return (f"user:{user_id}:commission_available", LIABILITY)


def payout_in_flight(user_id: int) -> tuple[str, str]:
    """Commission a user withdrew that the gateway has not yet confirmed paid (提现中)."""
    return (f"user:{user_id}:payout_in_flight", LIABILITY)
