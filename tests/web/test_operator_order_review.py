"""An operator opens the orders they judge (disputes, claims, cases), never others; every read is audited."""

from __future__ import annotations

from sqlalchemy import select

from laotie.identity import service as identity
from laotie.models import AuditEntry, User
from laotie.trust.governance.service import open_case
from tests.aftersales.test_aftersales import ask, paid_order, ship, world
from tests.support import Api
from tests.web.test_pages import sign_in


async def reads(api: Api) -> list[tuple[int | None, int, str]]:
    async with api.db.transaction() as s:
        rows = (await s.execute(select(AuditEntry).where(AuditEntry.action == "order.read")
                                .order_by(AuditEntry.id))).scalars().all()
    return [(r.actor_id, r.subject_id, r.reason) for r in rows]


async def test_operator_reads_orders_in_disputes_claims_and_cases_and_nothing_else(api: Api) -> None:
    w = await world(api, good_standing=False)
    orders = [await paid_order(api, w) for _ in range(4)]
    disputed, claimed, in_case, private = orders
    for oid in orders:
        await ship(api, w, oid, deliver=True)
    a = (await ask(api, w, disputed, "refund_only")).json()
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/decision", w.merchant, expect=200,
                   json={"approve": False, "reason": "used and damaged by the buyer"})
    await api.call("POST", f"/api/v1/aftersales/{a['id']}/escalate", w.buyer, expect=200)
    claim = (await api.call("POST", "/api/v1/claims", w.buyer, expect=201, json={
        "order_id": claimed, "statement": "the hologram is missing and the seal is printed"})).json()
    async with api.db.transaction() as s:
        arbiter = await identity.register_user(s, api.db.settings, username="arbiter", password="password123",
                                               roles={"operator"}, self_serve=False)
        merchant_id = (await s.execute(select(User.id).where(User.id != w.buyer_id, User.id != arbiter.id)
                                       .where(User.roles.contains("merchant")))).scalars().first()
        case = await open_case(s, arbiter, violation_code="late_shipping", subject_id=merchant_id, reason="late",
                               shop_id=w.shop_id, evidence={"order_ids": [in_case]}, source="operator")
    await sign_in(api, "arbiter")

    queue = await api.client.get("/operator/disputes")
    assert f'href="/operator/orders/{disputed}"' in queue.text and f'href="/operator/orders/{claimed}"' in queue.text
    for oid, ground in ((disputed, f"dispute #{a['id']}"), (claimed, f"claim #{claim['id']}"),
                        (in_case, f"case #{case.id}")):
        r = await api.client.get(f"/orders/{oid}")  # the address the rest of the site links to
        assert r.status_code == 303 and r.headers["location"] == f"/operator/orders/{oid}"
        page = await api.client.get(f"/operator/orders/{oid}")
        assert page.status_code == 200, page.text
        assert f"Order #{oid}" in page.text and ground in page.text and "data-review-grounds" in page.text
        assert "Confirm receipt" not in page.text and 'hx-get="/feedback/' not in page.text
    assert await reads(api) == [(arbiter.id, disputed, f"dispute #{a['id']}"),
                                (arbiter.id, claimed, f"claim #{claim['id']}"),
                                (arbiter.id, in_case, f"case #{case.id}")]

    # An order nobody brought before the platform stays private, and the refusal leaves no audit row.
    r = await api.client.get(f"/operator/orders/{private}")
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    assert (await api.client.get(f"/orders/{private}")).status_code == 303
    assert (await api.client.get("/operator/orders/999999")).status_code == 404
    assert len(await reads(api)) == 3
