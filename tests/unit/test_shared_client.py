"""ServiceClient against a scripted upstream (httpx.MockTransport): token, retries, failures."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from shared.auth.principal import Principal
from shared.auth.tokens import verify_internal_token
from shared.client import ServiceClient
from shared.errors import UpstreamTimeout, UpstreamUnavailable
from shared.logging import request_id_var
from shared.settings import ServiceSettings

SECRET = "c" * 40


class Upstream:
    """Answers with the scripted statuses (or raises the scripted exceptions), in order."""

    def __init__(self, *script: int | type[Exception]) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, type):
            raise step("scripted failure", request=request)
        return httpx.Response(step, json={"attempt": len(self.requests)})


def make(upstream: Callable, **settings) -> ServiceClient:
    values = {"service_name": "mrp", "internal_token_secret": SECRET, "http_attempts": 3,
              "service_urls": {"stock": "http://stock:8002"}}
    values.update(settings)
    return ServiceClient(ServiceSettings(**values), transport=httpx.MockTransport(upstream))


async def test_get_sends_the_service_token_and_request_id() -> None:
    upstream = Upstream(200)
    client = make(upstream)
    token = request_id_var.set("rid-7")
    try:
        response = await client.request("stock", "get", "/v1/balances", params={"item": "R1"})
    finally:
        request_id_var.reset(token)
        await client.aclose()
    assert response.status_code == 200
    [sent] = upstream.requests
    assert str(sent.url) == "http://stock:8002/v1/balances?item=R1"
    assert sent.headers["x-request-id"] == "rid-7" and "idempotency-key" not in sent.headers
    scheme, _, jwt = sent.headers["authorization"].partition(" ")
    principal = verify_internal_token(SECRET, jwt)
    assert scheme == "Bearer" and principal.subject == "service:mrp" and principal.is_service


async def test_calls_on_behalf_of_a_person_carry_that_person() -> None:
    upstream = Upstream(201)
    client = make(upstream)
    alice = Principal("user:alice", frozenset({"planner"}))
    await client.request("stock", "POST", "/v1/receipts", json={"a": 1}, principal=alice)
    await client.aclose()
    jwt = upstream.requests[0].headers["authorization"].split(" ")[1]
    assert verify_internal_token(SECRET, jwt) == alice


async def test_without_a_direct_address_calls_go_through_the_gateway() -> None:
    upstream = Upstream(200)
    client = make(upstream, service_urls={}, gateway_url="http://gw:8000")
    await client.request("trace", "GET", "/v1/lots")
    await client.aclose()
    assert str(upstream.requests[0].url) == "http://gw:8000/services/trace/v1/lots"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_idempotent_requests_are_retried_on_503(method: str) -> None:
    upstream = Upstream(503, 502, 200)
    client = make(upstream)
    response = await client.request("stock", method, "/v1/x")
    await client.aclose()
    assert response.status_code == 200 and len(upstream.requests) == 3


async def test_retries_stop_after_http_attempts_and_return_the_last_answer() -> None:
    upstream = Upstream(503)
    client = make(upstream)
    response = await client.request("stock", "GET", "/v1/x")
    await client.aclose()
    assert response.status_code == 503 and len(upstream.requests) == 3


async def test_post_without_idempotency_key_is_never_retried() -> None:
    upstream = Upstream(503, 200)
    client = make(upstream)
    response = await client.request("stock", "POST", "/v1/receipts", json={})
    assert response.status_code == 503 and len(upstream.requests) == 1
    connect = Upstream(httpx.ConnectError, 200)
    client = make(connect)
    with pytest.raises(UpstreamUnavailable):
        await client.request("stock", "POST", "/v1/receipts", json={})
    await client.aclose()
    assert len(connect.requests) == 1


async def test_post_with_idempotency_key_is_retried_with_the_same_key() -> None:
    upstream = Upstream(503, httpx.ConnectError, 201)
    client = make(upstream)
    response = await client.request("stock", "POST", "/v1/receipts", json={"q": 1},
                                    idempotency_key="evt-9")
    await client.aclose()
    assert response.status_code == 201 and len(upstream.requests) == 3
    assert {r.headers["idempotency-key"] for r in upstream.requests} == {"evt-9"}
    assert {r.content for r in upstream.requests} == {b'{"q":1}'}


async def test_connection_errors_are_retried_then_become_503_problems() -> None:
    upstream = Upstream(httpx.ConnectError)
    client = make(upstream)
    with pytest.raises(UpstreamUnavailable) as raised:
        await client.request("stock", "GET", "/v1/x")
    await client.aclose()
    assert len(upstream.requests) == 3
    assert raised.value.status == 503 and "stock" in raised.value.detail
    recovered = Upstream(httpx.ConnectError, httpx.RemoteProtocolError, 200)
    client = make(recovered)
    assert (await client.request("stock", "GET", "/v1/x")).status_code == 200
    await client.aclose()


async def test_timeouts_become_504_problems() -> None:
    upstream = Upstream(httpx.ReadTimeout)
    client = make(upstream, http_attempts=2)
    with pytest.raises(UpstreamTimeout) as raised:
        await client.request("stock", "GET", "/v1/x")
    await client.aclose()
    assert raised.value.status == 504 and len(upstream.requests) == 2


async def test_client_errors_are_returned_not_retried() -> None:
    for status in (400, 404, 409, 422, 500):
        upstream = Upstream(status, 200)
        client = make(upstream)
        response = await client.request("stock", "GET", "/v1/x")
        await client.aclose()
        assert response.status_code == status and len(upstream.requests) == 1


async def test_one_attempt_means_no_retry() -> None:
    upstream = Upstream(503, 200)
    client = make(upstream, http_attempts=1)
    response = await client.request("stock", "GET", "/v1/x")
    await client.aclose()
    assert response.status_code == 503 and len(upstream.requests) == 1
