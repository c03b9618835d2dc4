"""The operator's cases pages speak in names: violations by name, evidence as a list, measures chosen in a form."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from laotie.identity import service as identity
from laotie.models import User, ViolationCase
from laotie.trust.governance.service import open_case
from tests.support import Api
from tests.web.test_pages import sign_in


async def _world(api: Api) -> tuple[str, int]:
    op = await api.operator()
    await api.merchant_with_product(await api.category(op))
    async with api.db.transaction() as s:
        await identity.register_user(s, api.db.settings, username="judge", password="password123",
                                     roles={"operator"}, self_serve=False)
        merchant = (await s.execute(select(User).where(User.roles.contains("merchant")))).scalar_one()
    return await sign_in(api, "judge"), merchant.id


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


async def test_queue_names_violations_and_chooses_measures_in_a_form(api: Api) -> None:
    token, merchant_id = await _world(api)
    page = await api.client.get("/operator/cases")
    assert page.status_code == 200
    assert 'href="/operator/disputes"' in page.text and 'class="on" href="/operator/cases"' in page.text
    assert "Late shipping 延迟发货" in page.text
    assert "late_shipping" not in visible_text(page.text) and "JSON" not in page.text
    assert 'name="m0_kind"' in page.text and 'name="m0_days"' in page.text and 'name="m0_amount"' in page.text

    form = {"csrf_token": token, "subject": str(merchant_id), "violation_code": "late_shipping",
            "reason": "Orders shipped ten days late",
            "m0_kind": "traffic_limit", "m0_percent": "50", "m0_days": "7", "m0_amount": "999",
            "m1_kind": "fee", "m1_amount": "200.50", "m1_days": "3", "m2_kind": ""}
    r = await api.client.post("/operator/cases", data=form)
    assert r.status_code == 303, r.text
    async with api.db.transaction() as s:
        case = (await s.execute(select(ViolationCase))).scalar_one()
    # Only the fields each kind uses are taken: the stray fee on the traffic limit and days on the fee are not.
    assert case.measures == [{"kind": "traffic_limit", "percent": 50, "days": 7}, {"kind": "fee", "amount": 20050}]

    # A measure missing what it needs is refused beside the form, which keeps what was chosen; nothing is opened.
    r = await api.client.post("/operator/cases", data={**form, "m0_kind": "cart_suspension", "m0_days": "",
                                                       "m1_kind": ""})
    assert r.status_code == 422 and "days" in r.text
    assert '<option value="cart_suspension" selected>' in r.text
    r = await api.client.post("/operator/cases", data={**form, "m1_amount": "two hundred"})
    assert r.status_code == 422 and "yuan" in r.text
    async with api.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(ViolationCase))).scalar_one() == 1

    # No measure chosen: the catalog's own.
    r = await api.client.post("/operator/cases", data={**form, "m0_kind": "", "m1_kind": ""})
    assert r.status_code == 303


async def test_case_page_shows_evidence_for_people(api: Api) -> None:
    _, merchant_id = await _world(api)
    async with api.db.transaction() as s:
        case = await open_case(s, None, violation_code="late_shipping", subject_id=merchant_id, reason="late",
                               evidence={"order_ids": [41, 42], "note": "three days late",
                                         "at": "2026-11-02T08:30:00+00:00"})
    page = await api.client.get(f"/operator/cases/{case.id}")
    assert page.status_code == 200
    assert 'class="on" href="/operator/cases"' in page.text
    assert "<dl" in page.text and '"order_ids"' not in page.text and "{" not in visible_text(page.text)
    assert '<a href="/operator/orders/41">#41</a>' in page.text and '<a href="/operator/orders/42">#42</a>' in page.text
    assert "three days late" in page.text and "Nov 2, 2026 08:30 UTC" in page.text  # the locale's own date form
    assert "Late shipping 延迟发货" in page.text
