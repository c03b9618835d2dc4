"""MCN contracts on the database: offered, accepted by the creator, one at a time, ended by the stated rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from laotie.alliance.mcn import service
from laotie.alliance.mcn.tasks import expire_contracts
from laotie.models import AllianceMcnContract, utcnow
from tests.alliance.leaders.helpers import World, buy, contract, line_of, provider, world
from tests.support import Api

URL = "/api/v1/alliance/mcn/contracts"


async def _contracts(api: Api) -> list[tuple[int, str, int, int | None]]:
    async with api.db.transaction() as s:
        c = AllianceMcnContract
        rows = await s.execute(select(c.id, c.status, c.share_bps, c.end_requested_by).order_by(c.id))
        return [(int(i), str(st), int(b), r) for i, st, b, r in rows.all()]


def _terms(w: World, share_bps: int = 3_000, **kw: object) -> dict[str, object]:
    return {"creator_id": w.creator_id, "share_bps": share_bps,
            "ends_at": (utcnow() + timedelta(days=30)).isoformat(), **kw}


async def test_a_creator_under_contract_sells_with_the_mcn_share(api: Api) -> None:
    """¥100 at 20%, no leader, MCN 30%: C 2000, fee 200, MCN 30% of 1800 = 540, creator 1260."""
    w = await world(api)
    await api.call("POST", f"/api/v1/alliance/listings/{w.listing}/take", w.creator, expect=201)
    before = await buy(api, w)  # before the contract: no MCN
    contract_id = await contract(api, w, 3_000)
    after = await buy(api, w)
    a, b = await line_of(api, before), await line_of(api, after)
    assert (a.mcn_id, a.mcn_bps, a.est_creator) == (None, 0, 1_800)
    assert (b.mcn_id, b.mcn_bps, b.est_creator, b.est_mcn, b.est_platform) == (w.mcn_id, 3_000, 1_260, 540, 200)
    mine = (await api.call("GET", URL, w.creator, expect=200)).json()
    assert [(x["id"], x["status"]) for x in mine] == [(contract_id, "active")]
    assert await api.ledger_ok()


async def test_bad_contracts_are_refused_and_change_nothing(api: Api) -> None:
    w = await world(api)
    for share in (-1, 10_001, 2**31):
        r = await api.call("POST", URL, w.mcn, expect=422, json=_terms(w, share))
        assert (r.json()["code"], r.json()["field"]) == ("share_out_of_range", "share_bps")
    r = await api.call("POST", URL, w.mcn, expect=422, json=_terms(
        w, ends_at=(utcnow() - timedelta(days=1)).isoformat()))
    assert (r.json()["code"], r.json()["field"]) == ("contract_term_invalid", "ends_at")
    r = await api.call("POST", URL, w.mcn, expect=422, json=_terms(
        w, starts_at=(utcnow() + timedelta(days=40)).isoformat()))
    assert r.json()["code"] == "contract_term_invalid"
    r = await api.call("POST", URL, w.mcn, expect=422, json=_terms(w, ends_at="2030-01-01T00:00:00"))
    assert r.json()["field"] == "ends_at"  # a time without its zone is malformed
    r = await api.call("POST", URL, w.mcn, expect=404, json={**_terms(w), "creator_id": 999_999})
    assert r.json()["code"] == "creator_not_found"
    r = await api.call("POST", URL, w.leader, expect=403, json=_terms(w))  # a creator is not an MCN
    assert await _contracts(api) == []

    contract_id = await contract(api, w, 3_000, accept=False)
    # Someone else's contract: the MCN, another creator, the leader cannot accept it.
    for token in (w.mcn, w.leader):
        r = await api.call("POST", f"{URL}/{contract_id}/accept", token, expect=403)
        assert r.json()["code"] == "not_your_contract"
    r = await api.call("POST", f"{URL}/999999/accept", w.creator, expect=404)
    assert r.json()["code"] == "contract_not_found"
    assert await _contracts(api) == [(contract_id, "offered", 3_000, None)]
    await api.call("POST", f"{URL}/{contract_id}/accept", w.creator, expect=200)
    r = await api.call("POST", f"{URL}/{contract_id}/accept", w.creator, expect=409)
    assert r.json()["code"] == "contract_decided"
    r = await api.call("POST", f"{URL}/{contract_id}/withdraw", w.mcn, expect=409)
    assert r.json()["code"] == "contract_decided"

    # A second MCN's contract: offered, but the creator cannot be under two at once.
    other, _ = await provider(api, w.op)
    r = await api.call("POST", URL, other, expect=201, json=_terms(w, 1_000))
    second = int(r.json()["id"])
    r = await api.call("POST", f"{URL}/{second}/accept", w.creator, expect=409)
    assert r.json()["code"] == "contract_active"
    assert await _contracts(api) == [(contract_id, "active", 3_000, None), (second, "offered", 1_000, None)]
    # Operators only end for a violation; a reason is required.
    r = await api.call("POST", f"{URL}/{contract_id}/violation", w.mcn, expect=403, json={"reason": "x"})
    r = await api.call("POST", f"{URL}/{contract_id}/violation", w.op, expect=422, json={"reason": ""})
    assert r.json()["field"] == "reason"
    assert await _contracts(api) == [(contract_id, "active", 3_000, None), (second, "offered", 1_000, None)]


async def test_an_early_end_needs_both_sides_or_an_operator(api: Api) -> None:
    w = await world(api)
    contract_id = await contract(api, w, 3_000)
    r = await api.call("POST", f"{URL}/{contract_id}/end", w.creator, expect=200)
    assert (r.json()["status"], r.json()["end_requested_by"]) == ("active", w.creator_id)
    r = await api.call("POST", f"{URL}/{contract_id}/end", w.creator, expect=200)  # asking again ends nothing
    assert r.json()["status"] == "active"
    r = await api.call("POST", f"{URL}/{contract_id}/end", w.leader, expect=403)
    assert r.json()["code"] == "not_your_contract"
    r = await api.call("POST", f"{URL}/{contract_id}/end", w.mcn, expect=200)
    assert (r.json()["status"], r.json()["end_reason"]) == ("ended", "agreed by both sides")
    r = await api.call("POST", f"{URL}/{contract_id}/end", w.mcn, expect=409)
    assert r.json()["code"] == "contract_not_active"

    # Free again: a new contract, ended by an operator for a violation.
    second = await contract(api, w, 2_000)
    r = await api.call("POST", f"{URL}/{second}/violation", w.op, expect=200, json={"reason": "fake orders"})
    assert (r.json()["status"], r.json()["end_reason"]) == ("ended", "violation: fake orders")
    await api.call("POST", f"/api/v1/alliance/listings/{w.listing}/take", w.creator, expect=201)
    line = await line_of(api, await buy(api, w))
    assert (line.mcn_id, line.mcn_bps) == (None, 0)


async def test_a_contract_applies_only_within_its_term(api: Api) -> None:
    w = await world(api)
    await api.call("POST", f"/api/v1/alliance/listings/{w.listing}/take", w.creator, expect=201)
    r = await api.call("POST", URL, w.mcn, expect=201, json=_terms(
        w, starts_at=(utcnow() + timedelta(days=1)).isoformat()))
    contract_id = int(r.json()["id"])
    await api.call("POST", f"{URL}/{contract_id}/accept", w.creator, expect=200)
    line = await line_of(api, await buy(api, w))
    assert line.mcn_id is None  # accepted, not started yet
    # Its end passes: the job ends it and frees the creator for another.
    async with api.db.transaction() as s:
        assert await service.expire_contracts(s, utcnow() + timedelta(days=31)) == 1
        assert await service.expire_contracts(s, utcnow() + timedelta(days=31)) == 0
    assert await _contracts(api) == [(contract_id, "ended", 3_000, None)]
    assert await expire_contracts(api.db) == 0
    await contract(api, w, 1_000)
    line = await line_of(api, await buy(api, w))
    assert (line.mcn_id, line.mcn_bps) == (w.mcn_id, 1_000)
    creators = (await api.call("GET", "/api/v1/alliance/mcn/creators", w.mcn, expect=200)).json()["creators"]
    assert [(c["creator_id"], c["lines"], c["gmv"]) for c in creators] == [(w.creator_id, 1, 10_000)]
    # The MCN view is the MCN's: a creator without the provider role is refused.
    await api.call("GET", "/api/v1/alliance/mcn/creators", w.creator, expect=403)
    assert await api.ledger_ok()


async def test_two_contracts_accepted_at_once_leave_one_active(api: Api) -> None:
    """Two acceptances racing (two processes on PostgreSQL): the partial unique index lets one land."""
    import asyncio

    from laotie.kit.errors import DomainError
    from tests.alliance.leaders.helpers import user_of

    w = await world(api)
    other, _ = await provider(api, w.op)
    first = await contract(api, w, 3_000, accept=False)
    r = await api.call("POST", URL, other, expect=201, json=_terms(w, 1_000))
    second = int(r.json()["id"])
    creator = await user_of(api, w.creator)

    async def accept(contract_id: int) -> str:
        try:
            async with api.db.transaction() as s:
                await service.accept_contract(s, creator, contract_id)
            return "accepted"
        except DomainError as e:
            return e.code

    results = await asyncio.gather(accept(first), accept(second))
    assert sorted(results) == ["accepted", "contract_active"]
    statuses = [st for _, st, _, _ in await _contracts(api)]
    assert sorted(statuses) == ["active", "offered"]
