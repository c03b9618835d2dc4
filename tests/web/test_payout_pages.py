"""The payouts page and the sandbox gateway's payout page: withdraw, pay or fail, see the balance follow."""

from __future__ import annotations

from tests.alliance.payouts.test_payouts import balances, earn
from tests.support import Api
from tests.web.test_pages import csrf_of, sign_in


async def test_a_creator_withdraws_on_the_page_and_the_sandbox_pays_or_fails_it(api: Api) -> None:
    w = await earn(api)  # ¥18 available
    creator_id = int(w["creator_id"])
    name = (await api.call("GET", "/api/v1/me", str(w["creator"]), expect=200)).json()["username"]
    token = await sign_in(api, name)
    page = await api.client.get("/me/payouts")
    assert page.status_code == 200 and "¥18.00" in page.text

    # Refusals show beside the form and change nothing.
    for amount, code in (("5", "payout_below_minimum"), ("19", "insufficient_balance"), ("abc", "invalid_request")):
        r = await api.client.post("/me/payouts", data={"csrf_token": token, "amount": amount})
        assert r.status_code in (400, 409, 422) and f'data-code="{code}"' in r.text
    assert await balances(api, creator_id) == (1_800, 0)

    r = await api.client.post("/me/payouts", data={"csrf_token": token, "amount": "12.5"})
    assert r.status_code == 303 and r.headers["location"].startswith("/sandbox/payouts/")
    sandbox = r.headers["location"]
    assert await balances(api, creator_id) == (550, 1_250)
    page = await api.client.get(sandbox)
    assert "Pay out ¥12.50" in page.text
    r = await api.client.post(sandbox, data={"csrf_token": csrf_of(page.text), "decision": "fail"})
    assert r.status_code == 303 and r.headers["location"] == "/me/payouts"
    await api.settle()
    assert await balances(api, creator_id) == (1_800, 0)
    page = await api.client.get("/me/payouts")
    assert 'data-status="failed"' in page.text

    r = await api.client.post("/me/payouts", data={"csrf_token": token, "amount": "18"})
    sandbox = r.headers["location"]
    page = await api.client.get(sandbox)
    await api.client.post(sandbox, data={"csrf_token": csrf_of(page.text), "decision": "pay"})
    await api.settle()
    assert await balances(api, creator_id) == (0, 0)
    page = await api.client.get(sandbox)
    assert "This payout is paid." in page.text
    r = await api.client.post(sandbox, data={"csrf_token": csrf_of(page.text), "decision": "fail"})
    assert r.status_code == 409 and 'data-code="payout_already_decided"' in r.text
    assert await api.ledger_ok()
