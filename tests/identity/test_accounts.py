"""Registration, log-in, tokens, roles."""

from __future__ import annotations

from tests.support import Api, both_databases


async def test_register_login_logout(api: Api) -> None:
    r = await api.call("POST", "/api/v1/auth/register", expect=201,
                       json={"username": "Xiao_Li", "password": "password123", "roles": ["merchant", "creator"]})
    assert sorted(r.json()["user"]["roles"]) == ["consumer", "creator", "merchant"]
    assert r.json()["user"]["username"] == "xiao_li"
    r = await api.call("POST", "/api/v1/auth/tokens", expect=201,
                       json={"username": "xiao_li", "password": "password123"})
    token = r.json()["token"]
    assert (await api.call("GET", "/api/v1/me", token, expect=200)).json()["username"] == "xiao_li"
    await api.call("DELETE", "/api/v1/auth/tokens/current", token, expect=204)
    assert (await api.call("GET", "/api/v1/me", token, expect=401)).json()["code"] == "not_authenticated"


async def test_refusals(api: Api) -> None:
    await api.user(name="dup_user")
    r = await api.call("POST", "/api/v1/auth/register", expect=409,
                       json={"username": "DUP_user", "password": "password123"})
    assert (r.json()["code"], r.json()["field"]) == ("username_taken", "username")
    r = await api.call("POST", "/api/v1/auth/tokens", expect=401, json={"username": "dup_user", "password": "nope"})
    assert r.json()["code"] == "invalid_credentials"
    r = await api.call("POST", "/api/v1/auth/tokens", expect=401, json={"username": "ghost", "password": "nope"})
    assert r.json()["code"] == "invalid_credentials"
    # operator and provider roles are never self-served
    r = await api.call("POST", "/api/v1/auth/register", expect=422,
                       json={"username": "sneaky", "password": "password123", "roles": ["operator"]})
    assert r.json()["field"] == "roles.0"
    assert (await api.call("GET", "/api/v1/me", expect=401)).json()["code"] == "not_authenticated"
    assert (await api.call("GET", "/api/v1/me", "lt_forged", expect=401)).json()["code"] == "not_authenticated"


@both_databases
async def test_a_login_name_with_a_nul_is_malformed_input(api: Api) -> None:
    # Found by the fuzz test on PostgreSQL, whose text cannot hold NUL: the user lookup failed (500).
    r = await api.call("POST", "/api/v1/auth/tokens", expect=422, json={"username": "li\x00lei", "password": "x"})
    assert (r.json()["code"], r.json()["field"]) == ("invalid_request", "username")


async def test_roles(api: Api) -> None:
    consumer = await api.user()
    r = await api.call("POST", "/api/v1/me/roles", consumer, expect=200, json={"role": "merchant"})
    assert "merchant" in r.json()["roles"]
    r = await api.call("POST", "/api/v1/me/roles", consumer, expect=403, json={"role": "operator"})
    assert r.json()["code"] == "role_not_self_serve"
    me = (await api.call("GET", "/api/v1/me", consumer, expect=200)).json()
    r = await api.call("POST", f"/api/v1/users/{me['id']}/roles", consumer, expect=403, json={"role": "provider"})
    assert r.json()["code"] == "role_required"
    op = await api.operator()
    r = await api.call("POST", f"/api/v1/users/{me['id']}/roles", op, expect=200, json={"role": "provider"})
    assert "provider" in r.json()["roles"]
