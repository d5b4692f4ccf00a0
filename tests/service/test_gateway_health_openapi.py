"""Aggregate health and readiness, metrics, and the merged OpenAPI document."""

from __future__ import annotations

import time
from typing import Any

from services.gateway.app import create_app, openapi_document
from services.gateway.domain.openapi import dangling_refs
from services.gateway.routes import UPSTREAM_SERVICES
from services.gateway.settings import Settings
from tests.conftest import TEST_SECRET
from tests.service.test_gateway_support import (
    TEST_JWT_SECRET,
    free_port,
    gateway_stack,
    stub_service,
)

ALL_OK = {"gateway": "ok", "catalog": "ok", "stock": "ok", "mrp": "ok", "trace": "ok",
          "workflow": "ok", "erp": "ok"}


async def test_healthz_answers_for_every_service(database_factory) -> None:
    async with gateway_stack(database_factory) as gw:
        response = await gw.client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "services": ALL_OK}


async def test_healthz_is_503_and_names_the_service_that_is_down(database_factory) -> None:
    stubs = {name: stub_service(name) for name in UPSTREAM_SERVICES if name != "catalog"}
    stubs["mrp"] = stub_service("mrp", healthy=False)
    async with gateway_stack(database_factory, down=["trace"], stubs=stubs) as gw:
        response = await gw.client.get("/healthz")
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["code"] == "service_unavailable"
        assert body["services"] == ALL_OK | {"trace": "unreachable", "mrp": "http_500"}
        assert "mrp" in body["detail"] and "trace" in body["detail"]


async def test_healthz_asks_services_concurrently(database_factory) -> None:
    stubs = {name: stub_service(name, delay=1.0) for name in UPSTREAM_SERVICES}
    async with gateway_stack(database_factory, with_catalog=False, stubs=stubs) as gw:
        started = time.monotonic()
        response = await gw.client.get("/healthz")
        assert response.status_code == 200
        # six sequential probes would take 6 s; the margin is for a busy machine
        assert time.monotonic() - started < 3.0


async def test_readyz_covers_the_gateway_database_and_every_service(database_factory) -> None:
    async with gateway_stack(database_factory) as gw:
        ready = await gw.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["services"].values()) == {"ready"}
    stubs = {name: stub_service(name) for name in UPSTREAM_SERVICES if name != "catalog"}
    stubs["workflow"] = stub_service("workflow", ready=False)
    async with gateway_stack(database_factory, stubs=stubs) as gw:
        not_ready = await gw.client.get("/readyz")
        assert not_ready.status_code == 503
        states = not_ready.json()["services"]
        assert states["workflow"] == "not_ready" and states["gateway"] == "ready"


async def test_readyz_notices_an_unmigrated_or_unreachable_gateway_database(
    database_factory, tmp_path
) -> None:
    unmigrated = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    unreachable = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/gateway"
    for url in (unmigrated, unreachable):
        async with gateway_stack(database_factory, with_catalog=False,
                                 gateway_database_url=url) as gw:  # starts all the same
            response = await gw.client.get("/readyz")
            assert response.status_code == 503
            assert response.json()["services"]["gateway"] == "not_ready"


async def test_metrics_count_proxied_requests(database_factory) -> None:
    async with gateway_stack(database_factory, with_catalog=False) as gw:
        await gw.client.get("/v1/locations", headers=await gw.bearer())
        text = (await gw.client.get("/metrics")).text
        assert ('http_requests_total{method="GET",route="proxy:stock",service="gateway",'
                'status="200"} 1.0') in text
        assert 'gateway_upstream_requests_total{outcome="200",service="stock"} 1.0' in text


def _operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for item in doc["paths"].values() for op in item.values() if isinstance(op, dict)]


async def test_merged_openapi(database_factory) -> None:
    async with gateway_stack(database_factory, down=["trace"]) as gw:
        response = await gw.client.get("/openapi.json")
        assert response.status_code == 200
        doc = response.json()
    paths = set(doc["paths"])
    assert {"/v1/items", "/v1/items/{item_id}", "/v1/items/by-code/{code}"} <= paths  # catalog
    assert {"/v1/auth/token", "/v1/users", "/v1/api-keys", "/healthz"} <= paths  # gateway
    assert "/v1/locations" in paths  # the stock stub's routed path
    assert "/v1/events" not in paths  # per-service paths are not public
    assert dangling_refs(doc) == set()
    schemas = doc["components"]["schemas"]
    assert "catalog__ItemOut" in schemas and "stock__ItemOut" in schemas
    assert "Problem" in schemas and not any(n.endswith("__Problem") for n in schemas)
    assert set(doc["components"]["securitySchemes"]) == {"OAuth2PasswordBearer", "APIKeyHeader"}
    create_item = doc["paths"]["/v1/items"]["post"]
    assert create_item["security"] == [{"OAuth2PasswordBearer": []}, {"APIKeyHeader": []}]
    assert doc["x-unavailable-services"] == ["trace"]
    ids = [op["operationId"] for op in _operations(doc)]
    assert len(ids) == len(set(ids)) and "create_item" in ids


async def test_merged_openapi_is_cached_briefly(database_factory) -> None:
    async with gateway_stack(database_factory, with_catalog=False,
                             openapi_cache_seconds=60) as gw:
        first = (await gw.client.get("/openapi.json")).json()
        fetched = len([r for r in gw.transport.seen if r.url.path == "/openapi.json"])
        second = (await gw.client.get("/openapi.json")).json()
        assert second == first
        assert len([r for r in gw.transport.seen if r.url.path == "/openapi.json"]) == fetched


async def test_swagger_ui_points_at_the_merged_document(database_factory) -> None:
    async with gateway_stack(database_factory, with_catalog=False) as gw:
        page = await gw.client.get("/docs")
        assert page.status_code == 200 and "/openapi.json" in page.text
        assert "/docs/oauth2-redirect" in page.text
        assert (await gw.client.get("/docs/oauth2-redirect")).status_code == 200


def test_own_static_document_needs_no_lifespan_or_network() -> None:
    settings = Settings(internal_token_secret=TEST_SECRET, jwt_secret=TEST_JWT_SECRET,
                        upstreams={"catalog": "http://127.0.0.1:1"})
    doc = create_app(settings).openapi()
    assert "/v1/users" in doc["paths"] and "/v1/auth/token" in doc["paths"]
    assert "/v1/items" not in doc["paths"] and "x-unavailable-services" not in doc
    assert dangling_refs(doc) == set()
    assert openapi_document(settings) == doc


async def test_operational_endpoints_need_no_credentials(database_factory) -> None:
    async with gateway_stack(database_factory) as gw:
        for path in ("/healthz", "/readyz", "/openapi.json", "/docs", "/metrics"):
            response = await gw.client.get(path)
            assert response.status_code == 200, (path, response.text)
