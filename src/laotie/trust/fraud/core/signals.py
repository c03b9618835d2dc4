"""Behavioural signals of fake orders, per order (vectorised) and per suspected block (evidence)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from laotie.trust.fraud.core.batch import OrderBatch

DAY = 86_400.0
SIGNALS = ("new_accounts", "shared_fingerprints", "bursts", "tiny_instant", "short_five_star")


@dataclass(frozen=True, slots=True)
class SignalSettings:
    """Where each signal's line is drawn. Defaults follow how 刷单 is usually described by
    platforms: fresh accounts, device farms and drop addresses, organised ordering sessions,
    cheap "empty parcel" listings confirmed at once, and templated "好评" reviews."""

    new_account_days: float = 7.0  # account younger than this at its first order in the batch
    shared_fp_min_buyers: int = 3  # a device/address used by this many accounts is a farm or a drop
    burst_window_seconds: float = 1_800.0  # near-identical orders closer than this chain into a burst
    burst_min_buyers: int = 3  # ... and count when this many accounts took part
    tiny_amount_fen: int = 1_000  # ¥10
    instant_confirm_seconds: float = DAY
    short_review_chars: int = 10

    def __post_init__(self) -> None:
        if self.new_account_days <= 0 or self.burst_window_seconds <= 0 or self.instant_confirm_seconds <= 0:
            raise ValueError("day, window and delay settings must be positive")
        if self.shared_fp_min_buyers < 2 or self.burst_min_buyers < 2:
            raise ValueError("sharing and bursts need at least two accounts")
        if self.tiny_amount_fen < 0 or self.short_review_chars < 0:
            raise ValueError("tiny_amount_fen and short_review_chars must not be negative")


@dataclass(frozen=True, slots=True, eq=False)
class OrderSignals:
    """One boolean per order and signal, plus what the block evidence needs again."""

    new_account: NDArray[np.bool_]  # the buyer was younger than new_account_days at its first order
    shared_fingerprint: NDArray[np.bool_]  # the order's device or address is shared by many accounts
    burst: NDArray[np.bool_]  # part of a burst of near-identical orders by several accounts
    tiny_instant: NDArray[np.bool_]  # tiny amount and receipt confirmed almost at once
    short_five_star: NDArray[np.bool_]  # five stars with (almost) no text
    account_age_days: NDArray[np.float64]  # per order: the buyer's age at its first order, days

    def count(self) -> NDArray[np.int64]:
        """How many signals each order shows (0-5)."""
        return (self.new_account.astype(np.int64) + self.shared_fingerprint + self.burst + self.tiny_instant
                + self.short_five_star)


def _shared_fp(fp: NDArray[np.int64], buyer_row: NDArray[np.intp], min_buyers: int) -> NDArray[np.bool_]:
    known = fp != 0
    out = np.zeros(len(fp), dtype=bool)
    if known.any():
        # Sort (fp, buyer) pairs once: distinct buyers per fp without a 2-D unique.
        order = np.lexsort((buyer_row[known], fp[known]))
        f, b = fp[known][order], buyer_row[known][order]
        new_pair = np.ones(len(f), dtype=bool)
        new_pair[1:] = (f[1:] != f[:-1]) | (b[1:] != b[:-1])
        starts = np.flatnonzero(np.r_[True, f[1:] != f[:-1]])
        per_fp = np.add.reduceat(new_pair.astype(np.int64), starts)
        sizes = np.diff(np.r_[starts, len(f)])
        shared_sorted = np.repeat(per_fp >= min_buyers, sizes)
        result = np.empty(len(f), dtype=bool)
        result[order] = shared_sorted
        out[known] = result
    return out


def burst_runs(shop: NDArray[np.int64], product: NDArray[np.int64], amount: NDArray[np.int64],
               created_at: NDArray[np.float64], window_seconds: float) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Chain orders of the same shop, product and amount less than `window_seconds` apart.

    Returns the sort order used and, in that order, a run id per order. A run is one sitting of
    near-identical orders: an organised session, or an honest flash sale.
    """
    order = np.lexsort((created_at, amount, product, shop))
    s, p, a, t = shop[order], product[order], amount[order], created_at[order]
    breaks = np.ones(len(order), dtype=bool)
    breaks[1:] = (s[1:] != s[:-1]) | (p[1:] != p[:-1]) | (a[1:] != a[:-1]) | (t[1:] - t[:-1] > window_seconds)
    return order, np.cumsum(breaks) - 1


def _burst_orders(order: NDArray[np.intp], run: NDArray[np.int64], buyer_row: NDArray[np.intp],
                  min_buyers: int) -> NDArray[np.bool_]:
    """Per order (in the original order): is it in a run with at least `min_buyers` accounts?"""
    n = len(order)
    if n == 0:
        return np.zeros(0, dtype=bool)
    b = buyer_row[order]
    # Distinct buyers per run: sort each run's buyers, count changes.
    inner = np.lexsort((b, run))
    r_sorted, b_sorted = run[inner], b[inner]
    first = np.ones(n, dtype=bool)
    first[1:] = (r_sorted[1:] != r_sorted[:-1]) | (b_sorted[1:] != b_sorted[:-1])
    buyers_per_run = np.bincount(r_sorted, weights=first, minlength=int(run[-1]) + 1)
    in_burst = np.empty(n, dtype=bool)
    in_burst[order] = buyers_per_run[run] >= min_buyers
    return in_burst


def order_signals(batch: OrderBatch, buyer_row: NDArray[np.intp], settings: SignalSettings) -> OrderSignals:
    """Every per-order signal for the whole batch, in a handful of sorts (no Python loops).

    `buyer_row` numbers the buyers 0..n-1 (the graph's rows), so per-buyer facts are bincounts.
    """
    n_buyers = int(buyer_row.max()) + 1
    first_order = np.full(n_buyers, np.inf)
    np.minimum.at(first_order, buyer_row, batch.created_at)
    # One registration per account; should rows disagree, the earliest wins (the older account,
    # so a loader's inconsistency never makes an account look new).
    registered = np.full(n_buyers, np.inf)
    np.minimum.at(registered, buyer_row, batch.buyer_created_at)
    age_days = ((first_order - registered) / DAY)[buyer_row]
    new_account = age_days < settings.new_account_days
    shared = (_shared_fp(batch.device_fp, buyer_row, settings.shared_fp_min_buyers)
              | _shared_fp(batch.address_fp, buyer_row, settings.shared_fp_min_buyers))
    order, run = burst_runs(batch.shop_id, batch.product_id, batch.amount, batch.created_at,
                            settings.burst_window_seconds)
    burst = _burst_orders(order, run, buyer_row, settings.burst_min_buyers)
    with np.errstate(invalid="ignore"):
        instant = batch.confirm_delay <= settings.instant_confirm_seconds  # NaN (unconfirmed) is False
    tiny_instant = (batch.amount <= settings.tiny_amount_fen) & instant
    short_five_star = (batch.review_stars == 5) & (batch.review_chars <= settings.short_review_chars)
    return OrderSignals(new_account=new_account, shared_fingerprint=shared, burst=burst,
                        tiny_instant=tiny_instant, short_five_star=short_five_star, account_age_days=age_days)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One finding about a suspected ring, for an operator to read and check.

    ``signal`` is a stable key (one of `SIGNALS`, or ``"density"``), ``value`` its strength:
    the share of the ring's accounts or orders that show it (0-1), or for density the ratio
    to the whole graph's; ``explanation`` says it in words with the counts behind it.
    """

    signal: str
    value: float
    explanation: str


def _fp_label(fp: int) -> str:
    return f"{fp & 0xFFFFFFFFFFFFFFFF:016x}"[:8]


def _yuan(fen: float) -> str:
    return f"¥{fen / 100:,.2f}"


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.3g} h" if seconds < 2 * DAY else f"{seconds / DAY:.3g} days"


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def block_evidence(batch: OrderBatch, signals: OrderSignals, members: NDArray[np.intp],
                   member_orders: NDArray[np.intp], block_orders: NDArray[np.intp], buyer_row: NDArray[np.intp],
                   settings: SignalSettings) -> dict[str, Evidence]:
    """The five behavioural signals for one block, each as a strength in [0, 1] with its story.

    `members` are the block's buyer rows, `member_orders` all their orders (camouflage too: a
    shared device shows there as well), `block_orders` their orders at the block's shops and
    creators. Account signals are shares of accounts; order signals shares of block orders.
    """
    n_members, n_orders = len(members), len(block_orders)
    found: dict[str, Evidence] = {}

    # New accounts: age at first order, per member.
    ages = np.full(int(buyer_row.max()) + 1, np.nan)
    ages[buyer_row[member_orders]] = signals.account_age_days[member_orders]
    member_ages = ages[members]
    young = int(np.sum(member_ages < settings.new_account_days))
    found["new_accounts"] = Evidence(
        "new_accounts", young / n_members,
        f"{young} of {n_members} accounts were less than {settings.new_account_days:g} days old at their "
        f"first order (median age {np.nanmedian(member_ages):.1f} days)")

    # Shared device or address among the members themselves.
    sharing = np.zeros(n_members, dtype=bool)
    member_index = np.full(len(ages), -1, dtype=np.intp)
    member_index[members] = np.arange(n_members)
    parts: list[str] = []
    for label, plural, column in (("device", "devices", batch.device_fp), ("address", "addresses", batch.address_fp)):
        fp = column[member_orders]
        who = member_index[buyer_row[member_orders]]
        known = fp != 0
        pairs = np.unique(np.stack([fp[known], who[known]]), axis=1)
        if pairs.shape[1] == 0:
            continue
        keys, per_fp = np.unique(pairs[0], return_counts=True)
        shared_keys = keys[per_fp >= 2]
        if len(shared_keys) == 0:
            continue
        on_shared = np.isin(pairs[0], shared_keys)
        accounts = np.unique(pairs[1][on_shared])
        sharing[accounts] = True
        top = shared_keys[np.argsort(-per_fp[per_fp >= 2], kind="stable")][:3]
        parts.append(f"{len(accounts)} share {_count(len(shared_keys), label, plural)} "
                     f"(fp {', '.join(_fp_label(int(k)) for k in top)}{', …' if len(shared_keys) > 3 else ''})")
    share_count = int(sharing.sum())
    found["shared_fingerprints"] = Evidence(
        "shared_fingerprints", share_count / n_members,
        f"{share_count} of {n_members} accounts share a device or address with another member"
        + (": " + "; ".join(parts) if parts else ""))

    # Bursts of near-identical orders within the block.
    if n_orders:
        order, run = burst_runs(batch.shop_id[block_orders], batch.product_id[block_orders],
                                batch.amount[block_orders], batch.created_at[block_orders],
                                settings.burst_window_seconds)
        in_burst = _burst_orders(order, run, buyer_row[block_orders], settings.burst_min_buyers)
        n_bursts = len(np.unique(run[in_burst[order]]))
        bursting = int(in_burst.sum())
    else:
        n_bursts = bursting = 0
    found["bursts"] = Evidence(
        "bursts", bursting / max(n_orders, 1),
        f"{bursting} of {n_orders} orders came in {_count(n_bursts, 'burst')} of near-identical orders (same item and "
        f"amount, {settings.burst_min_buyers}+ accounts, gaps under {settings.burst_window_seconds / 60:g} min)")

    # Tiny amounts confirmed at once.
    tiny = signals.tiny_instant[block_orders]
    n_tiny = int(tiny.sum())
    detail = ""
    if n_tiny:
        detail = (f" (median {_yuan(float(np.median(batch.amount[block_orders][tiny])))}, confirmed after "
                  f"{_hours(float(np.median(batch.confirm_delay[block_orders][tiny])))})")
    found["tiny_instant"] = Evidence(
        "tiny_instant", n_tiny / max(n_orders, 1),
        f"{n_tiny} of {n_orders} orders paid at most {_yuan(settings.tiny_amount_fen)} and confirmed receipt "
        f"within {_hours(settings.instant_confirm_seconds)}{detail}")

    # Short five-star reviews.
    short = int(signals.short_five_star[block_orders].sum())
    found["short_five_star"] = Evidence(
        "short_five_star", short / max(n_orders, 1),
        f"{short} of {n_orders} orders got a five-star review of at most {settings.short_review_chars} characters")
    return found
