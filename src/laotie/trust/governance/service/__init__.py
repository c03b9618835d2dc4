"""Governance (雷霆计划): violation cases, appeals, penalties in force and the audit log — the one import.

Other domains call these, never the tables:

- `open_case(s, actor_or_None, violation_code=..., subject_id=..., reason=..., ...)` — an operator
  or a detector (actor None, `source="fraud_ring"` …) opens a case; the account is notified.
- `traffic_limits(s, now=None) -> dict[user_id, fraction kept]` — for the discovery feed.
- `cart_suspended(s, user_id, now=None) -> bool` — for the live cart and the video cart;
  `ensure_cart_allowed(s, user_id)` raises the 403 `cart_suspended` instead.
- `points_of(s, user_id, now=None) -> int` — points in force over the last 365 days.
- `in_force(s, user_id, now=None) -> list[Penalty]` — the account's measures in force.
- `read_order(s, operator, order_id)` — an order in a dispute, claim, case or ring, for the
  operator judging it; the read is audited.
- The listing ban is a catalog publish guard, registered when this package is imported.

The rules live in `cases` (opening, appeal, decision, going in force), `penalties` (what
measures do, the escalation ladder `ESCALATION`, the guards) and `audit` (the log).
"""

from __future__ import annotations

from laotie.trust.governance.service import audit
from laotie.trust.governance.service.cases import (
    APPEAL_WINDOW,
    CaseView,
    Standing,
    appeal_case,
    appeal_queue,
    case_for,
    case_queue,
    decide_appeal,
    due_cases,
    enforce_due,
    lapse_case,
    open_case,
    recent_cases,
    standing,
    violation_name,
    violation_type,
    violation_types,
)
from laotie.trust.governance.service.order_review import OrderReview, read_order
from laotie.trust.governance.service.penalties import (
    ESCALATION,
    MEASURE_KINDS,
    Threshold,
    cart_suspended,
    cut_streams,
    describe,
    ensure_cart_allowed,
    in_force,
    lift_expired,
    listing_ban_until,
    points_of,
    system_operator,
    traffic_limits,
)

__all__ = [
    "APPEAL_WINDOW", "ESCALATION", "MEASURE_KINDS", "CaseView", "OrderReview", "Standing", "Threshold", "appeal_case",
    "appeal_queue", "audit", "cart_suspended", "case_for", "case_queue", "cut_streams",
    "decide_appeal", "describe", "due_cases", "enforce_due", "ensure_cart_allowed", "in_force", "lapse_case",
    "lift_expired", "listing_ban_until", "open_case", "points_of", "read_order", "recent_cases", "standing",
    "system_operator", "traffic_limits", "violation_name", "violation_type", "violation_types",
]
