"""The gateway's proxy: routing to an in-process catalog, header and body pass-through,
upstream failures, rate limits and CORS."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared.auth.tokens import verify_internal_token
from tests.conftest import TEST_SECRET, token_for
from tests.service.test_gateway_support import (
    GatewayStack,
    RaisingTransport,
    free_port,
    gateway_stack,
    host_of,
    unanswered_port,
)


@pytest.fixture
async def gw(database_factory) -> AsyncIterator[GatewayStack]:
    async with gateway_stack(database_factory) as stack:
        yield stack


def item_body(**overrides: Any) -> dict[str, Any]:
    body = {"code": f"R-{uuid.uuid4().hex[:8]}", "name": "Resistor 10k 0402", "uom": "pcs",
            "item_type": "raw_material", "tracking": "lot"}
    return body | overrides


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


async def test_items_round_trip_through_the_gateway(gw: GatewayStack) -> None:
    admin = await gw.bearer()
    body = item_body()
    created = await gw.client.post("/v1/items", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == 'W/"1"'
    item = created.json()
    by_code = await gw.client.get(f"/v1/items/by-code/{body['code']}", headers=admin)
    assert by_code.json() == item
    listed = await gw.client.get("/v1/items", params={"code_prefix": body["code"]}, headers=admin)
    assert [i["id"] for i in listed.json()["items"]] == [item["id"]]
    assert gw.catalog is not None
    audit = await gw.catalog.get("/v1/audit", params={"entity_id": str(item["id"])},
                                 headers={"Authorization": f"Bearer {token_for('admin')}"})
    assert audit.json()["items"][0]["actor"] == "user:admin"  # the gateway's token names the caller


async def test_upstream_sees_an_internal_token_never_the_callers_credentials(
    gw: GatewayStack,
) -> None:
    key = await gw.create_key("warehouse")
    response = await gw.client.post(
        "/v1/locations/echo", content=b'{"a": 1}',
        headers={"X-API-Key": key["secret"], "Content-Type": "application/json",
                 "Idempotency-Key": "abc-1", "If-Match": 'W/"3"', "If-None-Match": 'W/"2"',
                 "X-Custom": "kept", "Connection": "keep-alive, X-Hop", "X-Hop": "dropped",
                 "TE": "trailers", "X-Request-ID": "req-echo-1"},
    )
    assert response.status_code == 200, response.text
    seen = dict(response.json()["headers"])
    principal = verify_internal_token(TEST_SECRET, seen["authorization"].removeprefix("Bearer "))
    assert principal.subject == f"apikey:{key['id']}" and principal.roles == {"warehouse"}
    assert "x-api-key" not in seen and "x-hop" not in seen and "te" not in seen
    assert seen["idempotency-key"] == "abc-1" and seen["if-match"] == 'W/"3"'
    assert seen["if-none-match"] == 'W/"2"' and seen["x-custom"] == "kept"
    assert seen["content-type"] == "application/json" and seen["x-request-id"] == "req-echo-1"
    assert response.headers["x-request-id"] == "req-echo-1"
    assert response.headers["location"] == "/v1/locations/7"
    assert response.headers["retry-after"] == "7" and response.headers["x-upstream"] == "stock"
    assert "x-private-hop" not in response.headers and "connection" not in response.headers
    assert response.headers["set-cookie"].startswith("session=stock-")


async def test_cookies_pass_through_but_are_never_kept_for_the_next_caller(
    gw: GatewayStack,
) -> None:
    admin = await gw.bearer()
    first = await gw.client.get("/v1/locations/echo", headers=admin | {"Cookie": "theme=dark"})
    assert dict(first.json()["headers"])["cookie"] == "theme=dark"
    assert "set-cookie" in first.headers
    gw.client.cookies.clear()
    second = await gw.client.get("/v1/locations/echo", headers=admin)
    assert "cookie" not in dict(second.json()["headers"])


async def test_request_id_is_forwarded_or_made_up(gw: GatewayStack) -> None:
    admin = await gw.bearer()
    given = await gw.client.post("/v1/items", json=item_body(), headers=admin | {
        "X-Request-ID": "req-from-erp-42"})
    assert given.headers["x-request-id"] == "req-from-erp-42"
    made = await gw.client.post("/v1/items", json=item_body(), headers=admin)
    made_id = made.headers["x-request-id"]
    assert made_id and made_id != "req-from-erp-42"
    audit = await gw.client.get("/services/catalog/v1/audit", headers=admin)
    request_ids = {entry["request_id"] for entry in audit.json()["items"]}
    assert request_ids == {"req-from-erp-42", made_id}


async def test_idempotent_replay_passes_through(gw: GatewayStack) -> None:
    headers = await gw.bearer() | {"Idempotency-Key": "receipt-0001"}
    body = item_body()
    first = await gw.client.post("/v1/items", json=body, headers=headers)
    second = await gw.client.post("/v1/items", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json() and second.headers["etag"] == first.headers["etag"]
    reused = await gw.client.post("/v1/items", json=item_body(), headers=headers)
    assert_problem(reused, 422, "idempotency_key_reused")
    feed = await gw.client.get("/services/catalog/v1/events", headers=headers)
    assert [e["type"] for e in feed.json()["events"]] == ["ItemCreated"]


async def test_etag_and_if_match_pass_through_unchanged(gw: GatewayStack) -> None:
    admin = await gw.bearer()
    item = (await gw.client.post("/v1/items", json=item_body(), headers=admin)).json()
    path = f"/v1/items/{item['id']}"
    assert_problem(await gw.client.patch(path, json={"name": "x"}, headers=admin),
                   428, "precondition_required")
    ok = await gw.client.patch(path, json={"name": "Resistor 1%"},
                               headers=admin | {"If-Match": 'W/"1"'})
    assert ok.status_code == 200 and ok.headers["etag"] == 'W/"2"'
    stale_headers = admin | {"If-Match": 'W/"1"', "X-Request-ID": "stale-1"}
    stale = await gw.client.patch(path, json={"name": "y"}, headers=stale_headers)
    body = assert_problem(stale, 412, "precondition_failed")
    assert gw.catalog is not None
    direct = await gw.catalog.patch(path, json={"name": "y"}, headers={
        "Authorization": f"Bearer {token_for('admin')}", "If-Match": 'W/"1"',
        "X-Request-ID": "stale-1"})
    assert body == direct.json()  # the problem+json body is the service's, byte for byte


async def test_roles_are_checked_by_the_service_and_problems_pass_through(
    gw: GatewayStack,
) -> None:
    qc = await gw.create_user("quinn", "qc")
    denied = await gw.client.post("/v1/items", json=item_body(), headers=qc)
    assert_problem(denied, 403, "forbidden")
    assert (await gw.client.get("/v1/items", headers=qc)).status_code == 200
    invalid = await gw.client.post("/v1/items", json={"code": ""}, headers=await gw.bearer())
    fields = {e["field"] for e in assert_problem(invalid, 422, "validation_error")["errors"]}
    assert {"body.code", "body.name", "body.uom", "body.item_type"} <= fields


async def test_services_are_mounted_whole(gw: GatewayStack) -> None:
    admin = await gw.bearer()
    ready = await gw.client.get("/services/catalog/readyz", headers=admin)
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "service": "catalog"}
    echo = await gw.client.get("/services/stock/v1/locations/echo/a%2Fb", params={"q": "x y"},
                               headers=admin)
    assert echo.json()["raw_path"] == "/v1/locations/echo/a%2Fb"
    assert echo.json()["query"] == "q=x+y"
    public = await gw.client.get("/v1/locations/echo/c%2Fd", headers=admin)
    assert public.json()["raw_path"] == "/v1/locations/echo/c%2Fd"
    assert_problem(await gw.client.get("/services/catalog/v1/audit"), 401, "unauthenticated")


async def test_unknown_paths_and_methods_are_problems(gw: GatewayStack) -> None:
    admin = await gw.bearer()
    for path in ("/v1/nothing-here", "/services/nope/v1/x", "/v1/itemsx", "/"):
        assert_problem(await gw.client.get(path, headers=admin), 404, "not_found")
    wrong = await gw.client.delete("/v1/users", headers=admin)
    assert_problem(wrong, 405, "method_not_allowed")
    assert "POST" in wrong.headers["allow"]  # as FastAPI reports it for its own routes
    upstream_missing = await gw.client.get("/v1/items/999999", headers=admin)
    assert_problem(upstream_missing, 404, "not_found")


async def test_bodies_stream_both_ways(gw: GatewayStack) -> None:
    admin = await gw.bearer()
    payload = bytes(range(256)) * 8192  # 2 MiB

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 65536):
            yield payload[start:start + 65536]

    upload = await gw.client.put("/v1/locations/echo", content=chunks(), headers=admin)
    assert upload.json()["body_len"] == len(payload)
    assert upload.json()["body_sha256"] == hashlib.sha256(payload).hexdigest()
    download = await gw.client.get("/v1/locations/stream", params={"chunks": 64}, headers=admin)
    expected = b"".join(bytes([i % 251]) * 16384 for i in range(64))
    assert download.status_code == 200 and download.content == expected
    assert download.headers["content-type"] == "application/octet-stream"


async def test_a_service_that_is_down_gives_503_quickly(database_factory) -> None:
    port = free_port()
    async with gateway_stack(database_factory, with_catalog=False, down=["stock"],
                             upstreams={"catalog": f"http://127.0.0.1:{port}"}) as gw:
        admin = await gw.bearer()
        for path, service in (("/v1/items", "catalog"), ("/services/stock/readyz", "stock")):
            started = time.monotonic()
            response = await gw.client.get(path, headers=admin)
            assert time.monotonic() - started < 2.0
            body = assert_problem(response, 503, "service_unavailable")
            assert body["service"] == service and response.headers["retry-after"] == "1"
        assert (await gw.client.get("/services/trace/healthz", headers=admin)).status_code == 200


async def test_an_unanswered_connect_times_out_as_503(database_factory) -> None:
    with unanswered_port() as port:
        async with gateway_stack(database_factory, with_catalog=False,
                                 upstreams={"catalog": f"http://127.0.0.1:{port}"},
                                 proxy_connect_timeout_seconds=0.5) as gw:
            admin = await gw.bearer()
            started = time.monotonic()
            response = await gw.client.get("/v1/items", headers=admin)
            assert time.monotonic() - started < 2.0
            assert_problem(response, 503, "service_unavailable")


async def test_a_read_timeout_is_504_and_a_broken_connection_502(database_factory) -> None:
    routes = {host_of("trace"): RaisingTransport(httpx.ReadTimeout),
              host_of("mrp"): RaisingTransport(httpx.RemoteProtocolError)}
    async with gateway_stack(database_factory, with_catalog=False, extra_routes=routes) as gw:
        admin = await gw.bearer()
        slow = await gw.client.get("/v1/genealogy/nodes", headers=admin)
        assert assert_problem(slow, 504, "service_timeout")["service"] == "trace"
        broken = await gw.client.post("/v1/demands", json={}, headers=admin)
        assert_problem(broken, 502, "upstream_error")


async def test_rate_limit_per_caller(database_factory) -> None:
    async with gateway_stack(database_factory, with_catalog=False,
                             rate_limit_per_second=0.5, rate_limit_burst=2) as gw:
        first_key = await gw.create_key("warehouse", name="scanner-1")
        second_key = await gw.create_key("warehouse", name="scanner-2")
        one = {"X-API-Key": first_key["secret"]}
        statuses = [(await gw.client.get("/v1/locations", headers=one)).status_code
                    for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = await gw.client.get("/v1/users/me", headers=one)
        assert_problem(limited, 429, "rate_limited")
        assert limited.headers["retry-after"] == "2"
        other = await gw.client.get("/v1/locations", headers={"X-API-Key": second_key["secret"]})
        assert other.status_code == 200
        service = {"Authorization": f"Bearer {token_for('service', subject='service:stock')}"}
        for _ in range(5):
            assert (await gw.client.get("/v1/locations", headers=service)).status_code == 200


async def test_cors_preflight_and_exposed_headers(database_factory) -> None:
    origin = "https://planner.example.com"
    async with gateway_stack(database_factory, with_catalog=False, cors_origins=[origin]) as gw:
        preflight = await gw.client.options("/v1/items", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, idempotency-key, content-type"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
        evil = await gw.client.options("/v1/items", headers={
            "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"})
        assert evil.status_code == 400
        assert "access-control-allow-origin" not in evil.headers
        headers = await gw.bearer() | {"Origin": origin}
        simple = await gw.client.get("/v1/locations", headers=headers)
        assert simple.headers["access-control-allow-origin"] == origin
        exposed = simple.headers["access-control-expose-headers"].lower()
        assert "etag" in exposed and "x-request-id" in exposed
