"""Property-based API tests: schemathesis against every service's own OpenAPI.

Each service runs in-process (ASGI) on a fresh SQLite database built by the real
migrations, called as admin with an internal token (the gateway accepts those too);
services and the gateway reach each other in-process (`http://<service>/...`). Every
generated request must get a non-5xx answer whose status, content type, headers and
body match the spec.
Bounded: at most 25 generated examples per operation, no deadline. Each operation is
its own test item (`test_catalog[POST /v1/items]`).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Iterator

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.auth.principal import ADMIN
from tests.conftest import TEST_SECRET, SqliteFarm, auth
from tests.wiring import HostRoutingTransport

BACKENDS = ("catalog", "stock", "mrp", "trace", "workflow", "erp")
SERVICES = ("gateway", *BACKENDS)
#: The gateway's own settings: upstreams answered in-process, no rate limit to trip over.
GATEWAY_SETTINGS = {
    "jwt_secret": "test-gateway-jwt-secret-0123456789abcdef0123",
    "upstreams": {name: f"http://{name}" for name in BACKENDS},
    "rate_limit_per_second": 0,
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BOUNDS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def build_app(
    service: str,
    database_url: str = "sqlite+aiosqlite:///:memory:",
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    settings_class = importlib.import_module(f"services.{service}.settings").Settings
    settings_ = settings_class(
        database_url=database_url,
        internal_token_secret=TEST_SECRET,
        service_urls={name: f"http://{name}" for name in BACKENDS},
        run_background_tasks=False,
        log_level="WARNING",
        **(GATEWAY_SETTINGS if service == "gateway" else {}),
    )
    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app(settings_, http_transport=transport)
    assert isinstance(app, FastAPI)
    return app


@pytest.fixture(scope="module")
def service_apps(sqlite_farm: SqliteFarm) -> Iterator[dict[str, FastAPI]]:
    """Every service on its own fresh migrated SQLite file, calling the others in-process.

    schemathesis runs each app's lifespan in its own event loop thread; every lifespan
    is started here, before any request, so in-process calls between services work.
    """
    apps: dict[str, FastAPI] = {}
    transport = HostRoutingTransport()
    for service in SERVICES:
        url = asyncio.run(sqlite_farm.fresh(service))
        apps[service] = build_app(service, url, transport)
        transport.register(service, apps[service])
    try:
        for app in apps.values():
            with asgi.get_client(app):  # starts the lifespan, kept until shutdown_lifespans()
                pass
        yield apps
    finally:
        asgi.shutdown_lifespans()


def conformance_test(service: str) -> Callable[..., None]:
    """A test over every operation of `service`'s spec (taken from the code, no lifespan)."""
    schema = schemathesis.openapi.from_dict(build_app(service).openapi())

    @schema.parametrize()
    @BOUNDS
    def test(case: schemathesis.Case, service_apps: dict[str, FastAPI]) -> None:
        case.call_and_validate(app=service_apps[service], headers=auth(ADMIN), checks=CHECKS)

    return test


test_gateway = conformance_test("gateway")  # its own endpoints; routes to services are not
test_catalog = conformance_test("catalog")
test_stock = conformance_test("stock")
test_mrp = conformance_test("mrp")
test_trace = conformance_test("trace")
test_workflow = conformance_test("workflow")
test_erp = conformance_test("erp")
