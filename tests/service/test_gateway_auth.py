"""Gateway identities: tokens, users, API keys, 401/403, first admin, audit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from services.gateway.access_tokens import AUDIENCE, ISSUER, mint_access_token
from services.gateway.security import Authenticator
from services.gateway.settings import Settings
from shared.auth.principal import ADMIN, Principal
from shared.auth.tokens import mint_internal_token, service_principal
from shared.errors import Unauthenticated
from tests.conftest import TEST_SECRET, token_for
from tests.service.test_gateway_support import (
    ADMIN_PASSWORD,
    TEST_JWT_SECRET,
    GatewayStack,
    gateway_stack,
)


@pytest.fixture
async def gw(database_factory) -> AsyncIterator[GatewayStack]:
    async with gateway_stack(database_factory, with_catalog=False) as stack:
        yield stack


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["status"] == status
    return body


async def test_password_flow_issues_a_short_lived_bearer_token(gw: GatewayStack) -> None:
    response = await gw.client.post("/v1/auth/token",
                                    data={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    assert response.headers["cache-control"] == "no-store"
    claims = jwt.decode(body["access_token"], TEST_JWT_SECRET, algorithms=["HS256"],
                        audience=AUDIENCE, issuer=ISSUER)
    assert claims["sub"] == "user:admin" and claims["exp"] - claims["iat"] == 900
    me = await gw.client.get("/v1/users/me",
                             headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"subject": "user:admin", "kind": "user", "name": "admin",
                         "roles": ["admin"]}


async def test_wrong_password_and_unknown_grant_are_problems(gw: GatewayStack) -> None:
    wrong = await gw.client.post("/v1/auth/token",
                                 data={"username": "admin", "password": "Not-The-Password-1"})
    assert assert_problem(wrong, 400, "invalid_grant")["error"] == "invalid_grant"
    nobody = await gw.client.post("/v1/auth/token",
                                  data={"username": "ghost", "password": ADMIN_PASSWORD})
    assert_problem(nobody, 400, "invalid_grant")
    odd = await gw.client.post("/v1/auth/token", data={"grant_type": "implicit"})
    assert_problem(odd, 400, "unsupported_grant_type")
    missing = await gw.client.post("/v1/auth/token", data={"grant_type": "password"})
    fields = {e["field"] for e in assert_problem(missing, 422, "validation_error")["errors"]}
    assert fields == {"body.username", "body.password"}


async def test_missing_or_bad_credentials_are_401_with_challenge(gw: GatewayStack) -> None:
    expired = mint_access_token(TEST_JWT_SECRET, Principal("user:admin", frozenset({ADMIN})), -60)
    forged = mint_access_token("another-secret-of-at-least-32-chars!!", Principal(
        "user:admin", frozenset({ADMIN})), 600)
    cases = [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {forged}"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer ik_1_" + "x" * 43},
        {"X-API-Key": "ik_1_" + "x" * 43},
    ]
    for headers in cases:
        response = await gw.client.get("/v1/users", headers=headers)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer"), headers
    proxied = await gw.client.get("/v1/items")
    assert_problem(proxied, 401, "unauthenticated")
    assert proxied.headers["www-authenticate"].startswith("Bearer")


async def test_user_management_is_for_admins(gw: GatewayStack) -> None:
    planner = await gw.create_user("pat", "planner")
    me = await gw.client.get("/v1/users/me", headers=planner)
    assert me.json()["roles"] == ["planner"]
    assert_problem(await gw.client.get("/v1/users", headers=planner), 403, "forbidden")
    attempt = await gw.client.post("/v1/users", headers=planner, json={
        "username": "eve", "password": "Sneaky-Password-99", "roles": ["admin"]})
    assert_problem(attempt, 403, "forbidden")
    assert_problem(await gw.client.get("/v1/api-keys", headers=planner), 403, "forbidden")
    listed = await gw.client.get("/v1/users", headers=await gw.bearer())
    assert [u["username"] for u in listed.json()["items"]] == ["admin", "pat"]
    assert all("password" not in str(u) for u in listed.json()["items"])


async def test_user_creation_checks_policy_roles_and_uniqueness(gw: GatewayStack) -> None:
    admin = await gw.bearer()
    weak = await gw.client.post("/v1/users", headers=admin, json={
        "username": "wes", "password": "wes12345", "roles": ["qc"]})
    errors = assert_problem(weak, 422, "validation_error")["errors"]
    assert {e["field"] for e in errors} == {"body.password"} and len(errors) >= 1
    bad_role = await gw.client.post("/v1/users", headers=admin, json={
        "username": "wes", "password": "Strong-Enough-77", "roles": ["overlord"]})
    assert_problem(bad_role, 422, "validation_error")
    body = {"username": "wes", "password": "Strong-Enough-77", "roles": ["qc", "warehouse"]}
    created = await gw.client.post("/v1/users", headers=admin, json=body)
    assert created.status_code == 201 and created.json()["roles"] == ["qc", "warehouse"]
    again = await gw.client.post("/v1/users", headers=admin, json=body)
    assert_problem(again, 409, "already_exists")


async def test_user_creation_replays_with_idempotency_key(gw: GatewayStack) -> None:
    headers = await gw.bearer() | {"Idempotency-Key": "new-user-1"}
    body = {"username": "ida", "password": "Strong-Enough-77", "roles": ["finance"]}
    first = await gw.client.post("/v1/users", headers=headers, json=body)
    second = await gw.client.post("/v1/users", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"


async def test_api_key_create_use_and_revoke(gw: GatewayStack) -> None:
    created = await gw.create_key("integration", "warehouse", name="mes-line-1")
    secret = created["secret"]
    assert secret.startswith(f"ik_{created['id']}_") and len(secret) > 40
    assert created["prefix"] == f"ik_{created['id']}_"
    for headers in ({"X-API-Key": secret}, {"Authorization": f"Bearer {secret}"}):
        me = await gw.client.get("/v1/users/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json() == {"subject": f"apikey:{created['id']}", "kind": "api_key",
                             "name": "mes-line-1", "roles": ["integration", "warehouse"]}
    admin = await gw.bearer()
    listed = (await gw.client.get("/v1/api-keys", headers=admin)).json()["items"]
    assert [k["id"] for k in listed] == [created["id"]]
    assert secret not in str(listed) and "secret" not in listed[0]
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert_problem(await gw.client.get("/v1/users/me", headers={"X-API-Key": tampered}),
                   401, "unauthenticated")

    revoked = await gw.client.delete(f"/v1/api-keys/{created['id']}", headers=admin)
    assert revoked.status_code == 204
    twice = await gw.client.delete(f"/v1/api-keys/{created['id']}", headers=admin)
    assert twice.status_code == 204
    after = await gw.client.get("/v1/users/me", headers={"X-API-Key": secret})
    assert_problem(after, 401, "unauthenticated")
    assert (await gw.client.get("/v1/api-keys", headers=admin)).json()["items"] == []
    everything = await gw.client.get("/v1/api-keys", params={"include_revoked": "true"},
                                     headers=admin)
    assert everything.json()["items"][0]["revoked_at"] is not None
    missing = await gw.client.delete("/v1/api-keys/999999", headers=admin)
    assert_problem(missing, 404, "not_found")


async def test_client_credentials_grant_for_api_keys(gw: GatewayStack) -> None:
    created = await gw.create_key("integration", name="erp")
    grant = {"grant_type": "client_credentials", "client_id": str(created["id"]),
             "client_secret": created["secret"]}
    response = await gw.client.post("/v1/auth/token", data=grant)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = await gw.client.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["subject"] == f"apikey:{created['id']}"
    wrong_id = await gw.client.post("/v1/auth/token", data=grant | {"client_id": "999"})
    assert_problem(wrong_id, 401, "unauthenticated")
    assert wrong_id.json()["error"] == "invalid_client"


async def test_internal_tokens_from_services_are_accepted(gw: GatewayStack) -> None:
    token = token_for("service", subject="service:stock")
    me = await gw.client.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["kind"] == "service"
    forged = mint_internal_token("x" * 40, service_principal("stock"), 60)
    bad = await gw.client.get("/v1/users/me", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(bad, 401, "unauthenticated")
    assert TEST_SECRET != TEST_JWT_SECRET


async def test_user_and_key_changes_are_audited(gw: GatewayStack) -> None:
    await gw.create_user("aud", "qc")
    key = await gw.create_key("integration")
    admin = await gw.bearer()
    await gw.client.delete(f"/v1/api-keys/{key['id']}", headers=admin)
    entries = (await gw.client.get("/v1/audit", headers=admin)).json()["items"]
    summary = [(e["action"], e["entity_type"], e["actor"]) for e in entries]
    assert summary == [("revoke", "api_key", "user:admin"), ("create", "api_key", "user:admin"),
                       ("create", "user", "user:admin"), ("create", "user", "system:bootstrap")]
    assert entries[0]["before"]["revoked_at"] is None and entries[0]["after"]["revoked_at"]
    assert "secret" not in str(entries) and "password" not in str(entries)
    assert key["secret"] not in str(entries)
    planner = await gw.create_user("pia", "planner")
    assert_problem(await gw.client.get("/v1/audit", headers=planner), 403, "forbidden")


async def test_first_admin_only_when_no_user_exists(database_factory) -> None:
    url = await database_factory("gateway")
    async with gateway_stack(database_factory, with_catalog=False,
                             gateway_database_url=url) as first:
        assert (await first.client.get("/v1/users/me", headers=await first.bearer())).is_success
    async with gateway_stack(database_factory, with_catalog=False, gateway_database_url=url,
                             admin_username="root", admin_password="Another-Admin-Pass-1") as again:
        users = (await again.client.get("/v1/users", headers=await again.bearer())).json()
        assert [u["username"] for u in users["items"]] == ["admin"]
        root = await again.client.post("/v1/auth/token", data={
            "username": "root", "password": "Another-Admin-Pass-1"})
        assert root.status_code == 400
    async with gateway_stack(database_factory, with_catalog=False,
                             admin_username=None, admin_password=None) as empty:
        nobody = await empty.client.post("/v1/auth/token", data={
            "username": "admin", "password": ADMIN_PASSWORD})
        assert nobody.status_code == 400


async def test_a_remembered_token_stops_working_when_it_expires() -> None:
    settings = Settings(internal_token_secret=TEST_SECRET, jwt_secret=TEST_JWT_SECRET)
    authenticator = Authenticator(settings, db=None)  # type: ignore[arg-type]  # no API keys
    token = mint_access_token(TEST_JWT_SECRET, Principal("user:kim", frozenset({"qc"})), 1)
    caller = await authenticator.authenticate(f"Bearer {token}", None)
    assert caller.principal.subject == "user:kim" and caller.internal_token is None
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.05)
    with pytest.raises(Unauthenticated, match="expired"):
        await authenticator.authenticate(f"Bearer {token}", None)
    internal = token_for("service", subject="service:trace")
    forwarded = await authenticator.authenticate(f"Bearer {internal}", None)
    assert forwarded.internal_token == internal  # service tokens are passed on unchanged
