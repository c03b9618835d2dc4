"""Behavioural signals of fake orders, on hand-made orders whose answer is known."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from laotie.trust.fraud.core import OrderBatch, SignalSettings, order_signals
from laotie.trust.fraud.core.signals import block_evidence

T0 = 1_735_689_600.0
DAY = 86_400.0
MINUTE = 60.0


def order(buyer: int, shop: int, **fields: Any) -> dict[str, Any]:
    """An old account buying a ¥50 item, confirmed after five days, no review, unless told."""
    row: dict[str, Any] = dict(
        buyer_id=buyer, shop_id=shop, creator_id=0, product_id=shop * 100, amount=5_000,
        created_at=T0 + 30 * DAY, confirm_delay=5 * DAY, buyer_created_at=T0 - 400 * DAY,
        address_fp=0, device_fp=0, review_stars=0, review_chars=0)
    row.update(fields)
    return row


def batch_of(rows: list[dict[str, Any]]) -> OrderBatch:
    return OrderBatch.from_columns({
        name: [row[name] for row in rows] if name != "order_id" else list(range(1, len(rows) + 1))
        for name in OrderBatch.FIELDS})


def signals_of(rows: list[dict[str, Any]], **settings: Any) -> Any:
    batch = batch_of(rows)
    _, buyer_row = np.unique(batch.buyer_id, return_inverse=True)
    return order_signals(batch, buyer_row, SignalSettings(**settings))


def test_tiny_amount_counts_only_with_instant_confirmation() -> None:
    s = signals_of([
        order(1, 1, amount=500, confirm_delay=3 * 3600),  # ¥5, confirmed after 3 h
        order(2, 1, amount=500, confirm_delay=math.nan),  # ¥5, never confirmed
        order(3, 1, amount=500, confirm_delay=3 * DAY),  # ¥5, confirmed days later
        order(4, 1, amount=5_000, confirm_delay=3600),  # ¥50, same-day delivery
        order(5, 1, amount=1_000, confirm_delay=DAY),  # exactly on both lines
    ])
    assert s.tiny_instant.tolist() == [True, False, False, False, True]


def test_short_five_star_reviews() -> None:
    s = signals_of([
        order(1, 1, review_stars=5, review_chars=2),  # "好评"
        order(2, 1, review_stars=5, review_chars=0),  # stars only
        order(3, 1, review_stars=5, review_chars=40),  # a real review
        order(4, 1, review_stars=4, review_chars=2),  # short but not five stars
        order(5, 1, review_stars=0, review_chars=0),  # no review
    ])
    assert s.short_five_star.tolist() == [True, True, False, False, False]


def test_new_account_is_judged_at_the_buyers_first_order() -> None:
    first = T0 + 30 * DAY
    s = signals_of([
        order(1, 1, created_at=first, buyer_created_at=first - 2 * DAY),
        order(1, 2, created_at=first + 40 * DAY, buyer_created_at=first - 2 * DAY),  # later, same account
        order(2, 1, created_at=first, buyer_created_at=first - 30 * DAY),
    ])
    assert s.new_account.tolist() == [True, True, False]
    assert s.account_age_days.tolist() == [2.0, 2.0, 30.0]


def test_an_account_registered_twice_is_taken_as_the_older() -> None:
    first = T0 + 30 * DAY
    s = signals_of([order(1, 1, created_at=first, buyer_created_at=first - DAY),
                    order(1, 2, created_at=first, buyer_created_at=first - 90 * DAY)])
    assert s.new_account.tolist() == [False, False]


def test_shared_fingerprint_needs_enough_accounts() -> None:
    s = signals_of([
        order(1, 1, device_fp=77), order(2, 2, device_fp=77), order(3, 3, device_fp=77),  # a farm phone
        order(4, 1, device_fp=88), order(5, 1, device_fp=88),  # a couple's tablet
        order(6, 1, address_fp=5), order(6, 2, address_fp=5), order(6, 3, address_fp=5),  # one buyer, 3 orders
        order(7, 1), order(8, 1), order(9, 1),  # unknown fingerprints (0) are never shared
    ])
    assert s.shared_fingerprint.tolist() == [True] * 3 + [False] * 8
    loose = signals_of([order(4, 1, device_fp=88), order(5, 1, device_fp=88)], shared_fp_min_buyers=2)
    assert loose.shared_fingerprint.tolist() == [True, True]


def test_bursts_are_near_identical_orders_by_several_accounts() -> None:
    t = T0 + 10 * DAY
    rows = [
        # three accounts, same item and amount, within minutes: a burst
        order(1, 1, created_at=t), order(2, 1, created_at=t + 5 * MINUTE), order(3, 1, created_at=t + 9 * MINUTE),
        # the same three, hours apart: ordinary
        order(1, 2, created_at=t), order(2, 2, created_at=t + 3 * 3600), order(3, 2, created_at=t + 6 * 3600),
        # one account three times: not a burst of accounts
        order(4, 3, created_at=t), order(4, 3, created_at=t + MINUTE), order(4, 3, created_at=t + 2 * MINUTE),
        # three accounts, same item, different amounts: not near-identical
        order(5, 4, created_at=t, amount=100), order(6, 4, created_at=t, amount=200),
        order(7, 4, created_at=t, amount=300),
    ]
    assert signals_of(rows).burst.tolist() == [True] * 3 + [False] * 9


def test_count_adds_up_the_signals_of_each_order() -> None:
    t = T0 + 10 * DAY
    rows = [order(b, 1, created_at=t + b, amount=100, confirm_delay=600, review_stars=5, review_chars=1,
                  device_fp=9, buyer_created_at=t - DAY) for b in (1, 2, 3)]
    rows.append(order(4, 2))
    assert signals_of(rows).count().tolist() == [5, 5, 5, 0]


def test_block_evidence_explains_with_counts() -> None:
    t = T0 + 10 * DAY
    rows = [order(b, 1, created_at=t + b * MINUTE, amount=100, confirm_delay=1800, review_stars=5, review_chars=2,
                  device_fp=9 if b < 4 else b, buyer_created_at=t - DAY) for b in range(1, 6)]
    rows.append(order(1, 50, buyer_created_at=t - DAY))  # camouflage elsewhere, not a block order
    batch = batch_of(rows)
    _, buyer_row = np.unique(batch.buyer_id, return_inverse=True)
    settings = SignalSettings()
    signals = order_signals(batch, buyer_row, settings)
    evidence = block_evidence(batch, signals, members=np.arange(5), member_orders=np.arange(6),
                              block_orders=np.arange(5), buyer_row=buyer_row, settings=settings)
    assert set(evidence) == {"new_accounts", "shared_fingerprints", "bursts", "tiny_instant", "short_five_star"}
    assert evidence["new_accounts"].value == 1.0
    assert evidence["new_accounts"].explanation.startswith("5 of 5 accounts were less than 7 days old")
    assert evidence["shared_fingerprints"].value == pytest.approx(0.6)
    assert "3 of 5 accounts share a device or address" in evidence["shared_fingerprints"].explanation
    assert "3 share 1 device (fp 00000000" in evidence["shared_fingerprints"].explanation
    assert evidence["bursts"].explanation.startswith("5 of 5 orders came in 1 burst of")
    assert evidence["tiny_instant"].explanation.startswith("5 of 5 orders paid at most ¥10.00")
    assert "median ¥1.00" in evidence["tiny_instant"].explanation
    assert evidence["short_five_star"].value == 1.0


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        SignalSettings(burst_min_buyers=1)
    with pytest.raises(ValueError):
        SignalSettings(new_account_days=0)
