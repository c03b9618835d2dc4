"""Violations and penalties (雷霆计划): nothing applies during the appeal window, everything after it lapses;
an upheld appeal leaves no trace; rejected appeals apply at once; points escalate; every decision is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from laotie.kit.jobs import scheduler
from laotie.ledger import repository as ledger_repository
from laotie.models import LiveSession, Notification, Penalty, StreamKey, User, ViolationCase, utcnow
from laotie.trust.deposits import service as deposits
from laotie.trust.governance import service as governance
from laotie.trust.governance import tasks as governance_tasks
from laotie.trust.governance.errors import AppealWindowClosed
from tests.live.conftest import go_live
from tests.support import Api


@dataclass
class Merchant:
    token: str
    user_id: int
    shop_id: int
    category: int


async def merchant(api: Api, op: str) -> Merchant:
    category = await api.category(op)
    token, _, _ = await api.merchant_with_product(category)
    user_id = (await api.call("GET", "/api/v1/me", token, expect=200)).json()["id"]
    shop_id = (await api.call("GET", "/api/v1/shops/mine", token, expect=200)).json()["id"]
    return Merchant(token, user_id, shop_id, category)


async def open_case(api: Api, op: str, subject_id: int, code: str, **extra: Any) -> dict[str, Any]:
    body = {"violation_code": code, "subject_id": subject_id, "reason": f"{code} found by review", **extra}
    return dict((await api.call("POST", "/api/v1/governance/cases", op, expect=201, json=body)).json())


async def enforce(api: Api, now: datetime) -> int:
    return await governance_tasks.enforce_due(api.db, now=now)


async def case_row(api: Api, case_id: int) -> ViolationCase:
    async with api.db.transaction() as s:
        case = await s.get(ViolationCase, case_id)
        assert case is not None
        return case


async def penalties_of(api: Api, case_id: int) -> list[Penalty]:
    async with api.db.transaction() as s:
        return list((await s.execute(select(Penalty).where(Penalty.case_id == case_id)
                                     .order_by(Penalty.id))).scalars().all())


async def fee_posted(api: Api, case_id: int) -> bool:
    async with api.db.transaction() as s:
        return await ledger_repository.entry_exists(s, "penalty.fee", f"case:{case_id}:fee")


async def limits(api: Api, now: datetime) -> dict[int, float]:
    async with api.db.transaction() as s:
        return await governance.traffic_limits(s, now)


async def points(api: Api, user_id: int, now: datetime) -> int:
    async with api.db.transaction() as s:
        return await governance.points_of(s, user_id, now)


async def deposit(api: Api, shop_id: int) -> int:
    async with api.db.transaction() as s:
        return await deposits.balance(s, shop_id)


async def trail(api: Api, op: str, kind: str, subject_id: int) -> list[tuple[str, int | None, str]]:
    r = await api.call("GET", f"/api/v1/governance/audit?subject_kind={kind}&subject_id={subject_id}", op,
                       expect=200)
    return [(e["action"], e["actor_id"], e["reason"]) for e in reversed(r.json())]


async def new_product(api: Api, m: Merchant) -> int:
    r = await api.call("POST", "/api/v1/products", m.token, expect=201, json={
        "title": "Another box", "category_id": m.category, "skus": [{"price": 1000, "stock": 5}]})
    return int(r.json()["id"])


async def test_nothing_applies_during_the_window_and_everything_after_it(api: Api) -> None:
    op = await api.operator()
    op_id = (await api.call("GET", "/api/v1/me", op, expect=200)).json()["id"]
    m = await merchant(api, op)
    case = await open_case(api, op, m.user_id, "counterfeit", evidence={"claim_id": 7})
    assert (case["status"], case["points"], case["shop_id"], case["appealable"]) == ("notified", 48, m.shop_id, True)
    assert case["measures"] == [{"kind": "listing_ban", "days": 30}, {"kind": "fee", "amount": 700_000}]
    opened = datetime.fromisoformat(case["created_at"])
    deadline = datetime.fromisoformat(case["appeal_deadline"])
    assert deadline - opened == timedelta(days=7)
    async with api.db.transaction() as s:
        notices = (await s.execute(select(Notification.kind, Notification.url)
                                   .where(Notification.user_id == m.user_id))).all()
    assert [tuple(n) for n in notices] == [("governance.case_opened", "/me/cases")]

    # Six days in: nothing is in force. No fee, no traffic limit, publishing still allowed, no points.
    assert await enforce(api, opened + timedelta(days=6)) == 0
    assert (await case_row(api, case["id"])).status == "notified"
    assert await penalties_of(api, case["id"]) == []
    assert not await fee_posted(api, case["id"])
    assert await limits(api, opened + timedelta(days=6)) == {}
    assert await points(api, m.user_id, opened + timedelta(days=6)) == 0
    await api.call("POST", f"/api/v1/products/{await new_product(api, m)}/publish", m.token, expect=200)
    mine = (await api.call("GET", "/api/v1/governance/mine", m.token, expect=200)).json()
    assert (mine["points"], mine["in_force"], [c["id"] for c in mine["cases"]]) == (0, [], [case["id"]])

    # The window lapses without an appeal: in force, and 48 points cross the 12, 24 and 48 thresholds.
    lapsed = deadline + timedelta(minutes=1)
    assert await enforce(api, lapsed) == 1
    row = await case_row(api, case["id"])
    assert (row.status, row.effective_at) == ("in_force", lapsed)
    assert [m_.get("escalation") for m_ in row.measures] == [None, None, 12, 24, 48]
    kinds = [(p.kind, p.value, p.status, p.ends_at) for p in await penalties_of(api, case["id"])]
    assert kinds == [
        ("listing_ban", 0, "active", lapsed + timedelta(days=30)),
        ("fee", 700_000, "lifted", lapsed),
        ("traffic_limit", 50, "active", lapsed + timedelta(days=7)),
        ("listing_ban", 0, "active", lapsed + timedelta(days=14)),
        ("live_revoked", 0, "active", lapsed + timedelta(days=30)),
    ]
    assert await fee_posted(api, case["id"])
    assert await deposit(api, m.shop_id) == -700_000  # owed: the deposit was empty
    assert await limits(api, lapsed) == {m.user_id: 0.5}
    assert await points(api, m.user_id, lapsed) == 48
    # The merchant pays what it owes; publishing is still refused, now for the listing ban.
    topup = (await api.call("POST", "/api/v1/shops/mine/deposit/topups", m.token, expect=201,
                            json={"amount": 800_000})).json()
    await api.pay(m.token, topup["payment_id"])
    assert await deposit(api, m.shop_id) == 100_000
    r = await api.call("POST", f"/api/v1/products/{await new_product(api, m)}/publish", m.token, expect=403)
    assert r.json()["code"] == "listing_banned"
    async with api.db.transaction() as s:
        key = (await s.execute(select(StreamKey).where(StreamKey.user_id == m.user_id))).scalar_one()
    assert key.suspended_until == lapsed + timedelta(days=30)
    mine = (await api.call("GET", "/api/v1/governance/mine", m.token, expect=200)).json()
    assert {p["kind"] for p in mine["in_force"]} == {"listing_ban", "traffic_limit", "live_revoked"}

    # Running the job again changes nothing: one fee, the same measures.
    assert await enforce(api, lapsed + timedelta(minutes=1)) == 0
    assert len(await penalties_of(api, case["id"])) == 5
    assert await deposit(api, m.shop_id) == 100_000

    # Timed measures end: the traffic limit after 7 days, the rest later; points last 365 days.
    assert await enforce(api, lapsed + timedelta(days=7)) == 1
    assert await limits(api, lapsed + timedelta(days=7)) == {}
    assert await enforce(api, lapsed + timedelta(days=31)) == 3
    assert {p.status for p in await penalties_of(api, case["id"])} == {"lifted"}
    assert await points(api, m.user_id, lapsed + timedelta(days=364)) == 48
    assert await points(api, m.user_id, lapsed + timedelta(days=366)) == 0

    actions = await trail(api, op, "case", case["id"])
    assert [a for a, _, _ in actions] == ["case.opened", "penalty.escalated", "penalty.escalated",
                                          "penalty.escalated", "case.in_force", "penalty.lifted", "penalty.lifted",
                                          "penalty.lifted", "penalty.lifted"]
    assert actions[0] == ("case.opened", op_id, "counterfeit found by review")
    assert actions[4] == ("case.in_force", None, "no appeal within 7 days")
    assert await api.ledger_ok()


async def test_an_upheld_appeal_leaves_no_trace(api: Api) -> None:
    op = await api.operator()
    op_id = (await api.call("GET", "/api/v1/me", op, expect=200)).json()["id"]
    m = await merchant(api, op)
    stranger = await api.user("merchant")
    case = await open_case(api, op, m.user_id, "fake_orders")
    opened = datetime.fromisoformat(case["created_at"])
    url = f"/api/v1/governance/cases/{case['id']}/appeal"

    r = await api.call("POST", url, stranger, expect=403, json={"statement": "not mine but still"})
    assert r.json()["code"] == "not_case_subject"
    r = await api.call("POST", url, m.token, expect=422, json={"statement": ""})
    assert r.json()["field"] == "statement"
    appeal = (await api.call("POST", url, m.token, expect=201,
                             json={"statement": "These were real customers; receipts attached."})).json()
    assert appeal["status"] == "pending"
    r = await api.call("POST", url, m.token, expect=409, json={"statement": "again"})
    assert r.json()["code"] == "already_appealed"
    await api.call("GET", f"/api/v1/governance/cases/{case['id']}", stranger, expect=404)

    # An appealed case waits for the operator however long it takes.
    assert await enforce(api, opened + timedelta(days=30)) == 0
    assert (await case_row(api, case["id"])).status == "appealed"
    queue = (await api.call("GET", "/api/v1/governance/appeals", op, expect=200)).json()
    assert [(c["id"], c["appeal"]["id"]) for c in queue] == [(case["id"], appeal["id"])]
    await api.call("GET", "/api/v1/governance/appeals", m.token, expect=403)

    decision = f"/api/v1/governance/appeals/{appeal['id']}/decision"
    r = await api.call("POST", decision, m.token, expect=403, json={"decision": "uphold", "reason": "self-serve"})
    assert r.json()["code"] == "role_required"
    r = await api.call("POST", decision, op, expect=422, json={"decision": "maybe", "reason": "x"})
    assert r.json()["field"] == "decision"
    got = (await api.call("POST", decision, op, expect=200,
                          json={"decision": "uphold", "reason": "receipts check out"})).json()
    assert (got["status"], got["appeal"]["status"], got["appeal"]["decided_by"]) == ("overturned", "upheld", op_id)
    r = await api.call("POST", decision, op, expect=409, json={"decision": "reject", "reason": "changed my mind"})
    assert r.json()["code"] == "appeal_already_decided"

    later = opened + timedelta(days=60)
    assert await enforce(api, later) == 0
    assert await penalties_of(api, case["id"]) == []
    assert not await fee_posted(api, case["id"])
    assert await deposit(api, m.shop_id) == 0
    assert await limits(api, later) == {}
    assert await points(api, m.user_id, later) == 0
    mine = (await api.call("GET", "/api/v1/governance/mine", m.token, expect=200)).json()
    assert (mine["points"], mine["in_force"], mine["cases"][0]["status"]) == (0, [], "overturned")
    assert [(a, actor) for a, actor, _ in await trail(api, op, "case", case["id"])] == [
        ("case.opened", op_id), ("appeal.filed", m.user_id), ("appeal.upheld", op_id)]
    async with api.db.transaction() as s:
        kinds = (await s.execute(select(Notification.kind).where(Notification.user_id == m.user_id)
                                 .order_by(Notification.id))).scalars().all()
    assert kinds == ["governance.case_opened", "governance.appeal_upheld"]
    assert await api.ledger_ok()


async def test_a_rejected_appeal_applies_at_once(api: Api) -> None:
    op = await api.operator()
    op_id = (await api.call("GET", "/api/v1/me", op, expect=200)).json()["id"]
    m = await merchant(api, op)
    case = await open_case(api, op, m.user_id, "price_fraud")
    appeal = (await api.call("POST", f"/api/v1/governance/cases/{case['id']}/appeal", m.token, expect=201,
                             json={"statement": "the original price was real"})).json()
    before = utcnow()
    got = (await api.call("POST", f"/api/v1/governance/appeals/{appeal['id']}/decision", op, expect=200,
                          json={"decision": "reject", "reason": "the original price was never charged"})).json()
    assert got["status"] == "in_force"
    assert datetime.fromisoformat(got["effective_at"]) >= before
    assert sorted(p["kind"] for p in got["penalties"]) == ["fee", "traffic_limit", "traffic_limit"]
    assert await fee_posted(api, case["id"])
    assert await deposit(api, m.shop_id) == -100_000
    # 12 points reach the first threshold: a 50% limit joins the case's own 50%.
    assert await limits(api, utcnow()) == {m.user_id: 0.5}
    assert [(a, actor) for a, actor, _ in await trail(api, op, "case", case["id"])] == [
        ("case.opened", op_id), ("appeal.filed", m.user_id), ("appeal.rejected", op_id),
        ("penalty.escalated", None), ("case.in_force", op_id)]
    # A decided case cannot be appealed again.
    r = await api.call("POST", f"/api/v1/governance/cases/{case['id']}/appeal", m.token, expect=409,
                       json={"statement": "once more"})
    assert r.json()["code"] == "already_appealed"
    assert await api.ledger_ok()


async def test_refusals_leave_nothing_behind(api: Api) -> None:
    op = await api.operator()
    m = await merchant(api, op)
    creator = await api.user("creator")
    creator_id = (await api.call("GET", "/api/v1/me", creator, expect=200)).json()["id"]
    other = await merchant(api, op)
    body = {"violation_code": "fake_orders", "subject_id": m.user_id, "reason": "r"}
    cases = "/api/v1/governance/cases"

    r = await api.call("POST", cases, m.token, expect=403, json=body)
    assert r.json()["code"] == "role_required"
    for change, status, code, field in [
        ({"violation_code": "jaywalking"}, 422, "unknown_violation", "violation_code"),
        ({"subject_id": 10**9}, 404, "subject_not_found", "subject_id"),
        ({"reason": ""}, 422, "invalid_request", "reason"),
        ({"reason": "   "}, 422, "reason_required", "reason"),
        ({"shop_id": other.shop_id}, 422, "shop_not_subjects", "shop_id"),
        ({"measures": []}, 422, "invalid_request", "measures"),
        ({"measures": [{"kind": "traffic_limit", "days": 3}]}, 422, "invalid_measures", "measures.0.percent"),
        ({"measures": [{"kind": "traffic_limit", "percent": 150, "days": 3}]}, 422, "invalid_request",
         "measures.0.percent"),
        ({"measures": [{"kind": "warning"}, {"kind": "fee"}]}, 422, "invalid_measures", "measures.1.amount"),
        ({"measures": [{"kind": "fee", "amount": 1}, {"kind": "fee", "amount": 2}]}, 422, "invalid_measures",
         "measures.1.kind"),
        ({"measures": [{"kind": "nap"}]}, 422, "invalid_request", "measures.0.kind"),
        ({"subject_id": creator_id, "measures": [{"kind": "fee", "amount": 100}]}, 422, "invalid_measures",
         "measures.0.kind"),
    ]:
        r = await api.call("POST", cases, op, json={**body, **change})
        assert (r.status_code, r.json()["code"], r.json().get("field")) == (status, code, field), change
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(ViolationCase))).scalar_one() == 0

    # A creator without a shop: the catalog's shop-only measures are left out, the rest stands.
    case = await open_case(api, op, creator_id, "fake_orders")
    assert (case["shop_id"], case["measures"]) == (None, [{"kind": "traffic_limit", "percent": 30, "days": 30}])

    # The window closes after 7 days, even before the job has run.
    case = await open_case(api, op, m.user_id, "late_shipping")
    async with api.db.transaction() as s:
        await s.execute(update(ViolationCase).where(ViolationCase.id == case["id"])
                        .values(appeal_deadline=utcnow() - timedelta(seconds=1)))
    r = await api.call("POST", f"{cases}/{case['id']}/appeal", m.token, expect=409, json={"statement": "late"})
    assert r.json()["code"] == "appeal_window_closed"
    assert (await case_row(api, case["id"])).status == "notified"
    r = await api.call("GET", f"{cases}?status=bogus", op, expect=422)
    assert r.json()["field"] == "status"
    await api.call("GET", cases, m.token, expect=403)
    await api.call("GET", "/api/v1/governance/audit?subject_kind=user&subject_id=1", m.token, expect=403)
    catalog = (await api.call("GET", "/api/v1/governance/violation-types", expect=200)).json()
    assert {v["code"] for v in catalog} >= {"fake_orders", "counterfeit", "live_abuse", "hype_selling"}
    assert all(v["points"] == 0 if v["severity"] == "general" else 2 <= v["points"] <= 100 for v in catalog)


async def test_immediate_cut_cart_suspension_and_account_ban(api: Api) -> None:
    room = await go_live(api)
    op = await api.operator()
    host_id = (await api.call("GET", "/api/v1/me", room.host, expect=200)).json()["id"]

    # An abusive stream ends at once; the rest of the case still waits for the window.
    case = await open_case(api, op, host_id, "live_abuse", immediate=True)
    async with api.db.transaction() as s:
        session = await s.get(LiveSession, room.session_id)
        assert session is not None and session.status == "ended"
        assert session.end_reason is not None and session.end_reason.startswith("operator_cut")
    assert await penalties_of(api, case["id"]) == []
    assert "live.cut" in [a for a, _, _ in await trail(api, op, "case", case["id"])]

    # Cart suspension: once in force, the live cart refuses the host.
    cart = await open_case(api, op, host_id, "off_platform_trade")
    await enforce(api, datetime.fromisoformat(cart["appeal_deadline"]) + timedelta(seconds=1))
    async with api.db.transaction() as s:
        assert await governance.cart_suspended(s, host_id)
    r = await api.call("POST", f"/api/v1/live/sessions/{room.session_id}/cart", room.host, expect=403,
                       json={"product_id": room.product_id})
    assert r.json()["code"] == "cart_suspended"

    # Account ban (清退): the account is deactivated; its tokens stop working.
    ban = await open_case(api, op, host_id, "counterfeit", measures=[{"kind": "account_ban"}])
    await enforce(api, datetime.fromisoformat(ban["appeal_deadline"]) + timedelta(seconds=1))
    async with api.db.transaction() as s:
        user = await s.get(User, host_id)
        assert user is not None and user.is_active is False
    await api.call("GET", "/api/v1/me", room.host, expect=401)
    history = await trail(api, op, "user", host_id)
    assert "account.deactivated" in [a for a, _, _ in history]
    assert await api.ledger_ok()


async def test_points_accumulate_to_an_account_ban(api: Api) -> None:
    op = await api.operator()
    m = await merchant(api, op)
    op_id = (await api.call("GET", "/api/v1/me", op, expect=200)).json()["id"]
    t0 = utcnow()
    # 48 + 48 = 96 points, then 12 more within the year crosses 100.
    for i, code in enumerate(["counterfeit", "counterfeit", "price_fraud"]):
        async with api.db.transaction() as s:
            operator = await s.get(User, op_id)
            await governance.open_case(s, operator, violation_code=code, subject_id=m.user_id, reason=f"case {i}",
                                       now=t0 + timedelta(days=20 * i))
        await enforce(api, t0 + timedelta(days=20 * i + 8))
    async with api.db.transaction() as s:
        cases = (await s.execute(select(ViolationCase).order_by(ViolationCase.id))).scalars().all()
        user = await s.get(User, m.user_id)
        assert user is not None and user.is_active is False
    assert [c.status for c in cases] == ["in_force"] * 3
    assert [[x["escalation"] for x in c.measures if "escalation" in x] for c in cases] == [[12, 24, 48], [], [100]]
    assert await points(api, m.user_id, t0 + timedelta(days=48)) == 108
    assert "governance.enforce_due" in scheduler.jobs
    assert await api.ledger_ok()


async def test_appeal_deadline_is_checked_against_the_clock(api: Api) -> None:
    """Through the service with an explicit clock: on the deadline an appeal is in time, a second after it is not."""
    op = await api.operator()
    m = await merchant(api, op)
    case = await open_case(api, op, m.user_id, "late_shipping")
    deadline = datetime.fromisoformat(case["appeal_deadline"])
    async with api.db.transaction() as s:
        user = await s.get(User, m.user_id)
        assert user is not None
        with pytest.raises(AppealWindowClosed):
            await governance.appeal_case(s, user, case["id"], "late", now=deadline + timedelta(seconds=1))
        appeal = await governance.appeal_case(s, user, case["id"], "in time", now=deadline)
        assert appeal.status == "pending"
