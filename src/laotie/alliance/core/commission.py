"""A promoted line's commission: how much the merchant gives up, who gets what, and how refunds move it.

**The split.** The merchant gives up the commission C = rate × base (basis points, rounded
half up) of what the buyer paid for the line. Platform and seller coupons are already out of
that base; a platform subsidy paid on top of the buyer's money (百亿补贴) is not in it, so the
merchant's commission never grows with the platform's spending. C is shared, in this order:

- the group leader (团长) takes `leader_bps` of C — a share of the commission, not a rate of
  the line, so the merchant's cost is the rate it listed whoever brings the creator, and the
  library can show a creator exactly what they keep;
- the platform keeps its technical service fee, `platform_fee_bps` of each party's gross
  (creator's and group leader's alike);
- the MCN takes `mcn_bps` of what the creator keeps after the platform's fee;
- the creator keeps the rest.

All parts come from one exact split (`kit.money.split_exact`) of C by the products of those
rates, so for every line, at every step, merchant's cost = creator + group leader + MCN +
platform, to the fen.

**Refunds.** After refunds totalling R of a line of base B, the commission is C·(B−R) // B
(so a full refund leaves nothing, and partial refunds in any order end where one refund of
the same total would). Each party's amount is the split of that commission; what moved is the
difference from before — a reversal before settlement, a clawback after. Estimated = what
stands now + reversed + clawed back, for every party.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from laotie.kit.money import rate_of, split_exact

BPS = 10_000
PARTIES = ("creator", "leader", "mcn", "platform")


@dataclass(frozen=True)
class SharePlan:
    """The rates a line was sold under, frozen at checkout."""

    rate_bps: int
    leader_bps: int = 0
    mcn_bps: int = 0
    platform_fee_bps: int = 1_000

    def __post_init__(self) -> None:
        for name in ("rate_bps", "leader_bps", "mcn_bps", "platform_fee_bps"):
            value = getattr(self, name)
            if not 0 <= value <= BPS:
                raise ValueError(f"{name} must be between 0 and {BPS}")

    def weights(self) -> list[int]:
        """Each party's part of the commission, in units of 1 / BPS³, in PARTIES order."""
        g, f, m = self.leader_bps, self.platform_fee_bps, self.mcn_bps
        creator_gross = BPS - g
        return [
            creator_gross * (BPS - f) * (BPS - m),  # creator
            g * (BPS - f) * BPS,                    # group leader
            creator_gross * (BPS - f) * m,          # MCN
            (creator_gross + g) * f * BPS,          # platform: its fee on both gross amounts
        ]


@dataclass(frozen=True)
class Shares:
    """An amount per party, in fen."""

    creator: int = 0
    leader: int = 0
    mcn: int = 0
    platform: int = 0

    @property
    def total(self) -> int:
        return self.creator + self.leader + self.mcn + self.platform

    def as_dict(self) -> dict[str, int]:
        return {p: getattr(self, p) for p in PARTIES}

    def __add__(self, other: Shares) -> Shares:
        return Shares(*(a + b for a, b in zip(self.as_dict().values(), other.as_dict().values(), strict=True)))

    def __sub__(self, other: Shares) -> Shares:
        return Shares(*(a - b for a, b in zip(self.as_dict().values(), other.as_dict().values(), strict=True)))


def effective_rate(listing_rate_bps: int, rate_cut_at: datetime | None, promoter_rate_bps: int,
                   now: datetime) -> int:
    """The rate a promoter earns now: theirs while a cut is still in its notice period, else the listing's.

    A raise lifts every promoter's own rate at once; a cut lowers the listing's rate for newcomers
    at once and reaches promoters already on a higher rate only at `rate_cut_at`.
    """
    if rate_cut_at is not None and now < rate_cut_at and promoter_rate_bps > listing_rate_bps:
        return promoter_rate_bps
    return listing_rate_bps


def commission_of(base: int, plan: SharePlan) -> int:
    return rate_of(base, plan.rate_bps)


def split_commission(commission: int, plan: SharePlan) -> Shares:
    """The commission shared between the parties, exactly."""
    if commission == 0:
        return Shares()
    return Shares(*split_exact(commission, plan.weights()))


def commission_after_refunds(base: int, plan: SharePlan, refunded: int) -> int:
    if not 0 <= refunded <= base:
        raise ValueError("refunded must be between 0 and the line's base")
    return commission_of(base, plan) * (base - refunded) // base if base else 0


@dataclass
class CommissionLine:
    """One promoted line's commission through its life: estimated on payment, settled once, clawed back after."""

    base: int
    plan: SharePlan
    refunded: int = 0
    settled: bool = False
    estimated: Shares = field(init=False)
    standing: Shares = field(init=False)
    reversed: Shares = field(default_factory=Shares)
    clawed_back: Shares = field(default_factory=Shares)

    def __post_init__(self) -> None:
        if self.base < 0:
            raise ValueError("a line's base cannot be negative")
        self.estimated = split_commission(commission_of(self.base, self.plan), self.plan)
        self.standing = self.estimated

    @property
    def merchant_cost(self) -> int:
        """What the merchant gives up now: the commission after refunds."""
        return commission_after_refunds(self.base, self.plan, self.refunded)

    def refund(self, amount: int) -> Shares:
        """A refund of `amount` more of the line: what moves back from each party (reversal or clawback)."""
        if amount < 0 or self.refunded + amount > self.base:
            raise ValueError("a refund must be positive and within what is left of the line")
        self.refunded += amount
        now = split_commission(self.merchant_cost, self.plan)
        moved = self.standing - now
        self.standing = now
        if self.settled:
            self.clawed_back = self.clawed_back + moved
        else:
            self.reversed = self.reversed + moved
        return moved

    def settle(self) -> Shares:
        """Settlement after completion and the after-sale window: what stands becomes the parties' money."""
        if self.settled:
            raise ValueError("a line settles once")
        self.settled = True
        return self.standing
