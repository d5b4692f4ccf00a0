"""Request ids, metrics, health and readiness of an app built by create_service_app."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from shared.http.app import create_service_app
from tests.conftest import running
from tests.service.shared_support import engine_for, settings_for, widget_body, widget_service


def _broken_router() -> APIRouter:
    router = APIRouter()

    @router.get("/v1/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    return router


def _app(url: str) -> FastAPI:
    return create_service_app(settings_for(url), title="t", description="d",
                              routers=[_broken_router()])


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An app on an empty (unmigrated) SQLite file: enough for everything but the database."""
    async with running(_app(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")) as client:
        yield client


async def test_request_id_is_echoed_when_valid(client: httpx.AsyncClient) -> None:
    for given in ("abc-123", "A.b:c_d-1", "x" * 100):
        response = await client.get("/healthz", headers={"X-Request-ID": given})
        assert response.headers["x-request-id"] == given


async def test_request_id_is_generated_or_replaced(client: httpx.AsyncClient) -> None:
    generated = (await client.get("/healthz")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    other = (await client.get("/healthz")).headers["x-request-id"]
    assert other != generated
    for bad in ("has space", "x" * 101, "semi;colon", "ünïcode"):
        response = await client.get("/healthz", headers={"X-Request-ID": bad.encode()})
        replaced = response.headers["x-request-id"]
        assert replaced != bad and re.fullmatch(r"[0-9a-f]{32}", replaced)


async def test_problems_carry_the_request_id(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nowhere", headers={"X-Request-ID": "rid-1"})
    assert missing.status_code == 404
    assert missing.headers["x-request-id"] == "rid-1" and missing.json()["request_id"] == "rid-1"
    anonymous = await client.get("/v1/events",
                                 headers={"Authorization": "", "X-Request-ID": "rid-2"})
    assert anonymous.status_code == 401 and anonymous.json()["request_id"] == "rid-2"


async def test_unexpected_errors_are_500_problems_with_the_request_id(tmp_path: Path) -> None:
    app = _app(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/v1/broken", headers={"X-Request-ID": "rid-500"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "internal_error" and body["request_id"] == "rid-500"
    assert "a bug" not in response.text  # no internals leak
    assert response.headers.get("x-request-id") == "rid-500"


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/healthz")
    await client.get("/v1/nowhere/123")
    await client.get("/v1/nowhere/456")
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert re.search(r'http_requests_total\{method="GET",route="/healthz",service="catalog",'
                     r'status="200"\} 2\.0', text), text
    assert re.search(r'http_requests_total\{method="GET",route="unmatched",service="catalog",'
                     r'status="404"\} 2\.0', text), text
    assert "/v1/nowhere/123" not in text  # raw paths never become labels
    assert "http_request_duration_seconds_bucket" in text


async def test_healthz_needs_no_database_or_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "catalog"}


async def test_readyz_is_503_when_not_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_ready" and response.json()["status"] == 503


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"
    async with running(_app(url)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503 and response.json()["code"] == "not_ready"


async def test_readyz_on_migrated_databases(database_factory) -> None:
    url = await database_factory("catalog")
    async with widget_service(url) as (_, client):
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "service": "catalog"}
        created = await client.post("/v1/widgets", json=widget_body(),
                                    headers={"X-Request-ID": "r"})
        assert created.headers["x-request-id"] == "r"
        async with engine_for(url) as engine, engine.begin() as conn:  # an older schema
            await conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        stale = await client.get("/readyz")
        assert stale.status_code == 503 and stale.json()["code"] == "not_ready"


async def test_a_started_service_hides_its_start_up_heap_from_the_collector(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    app = create_service_app(settings_for(url, freeze_heap_at_startup=True), title="t",
                             description="d", routers=[])
    gc.unfreeze()
    try:
        async with running(app) as client:
            assert gc.get_freeze_count() > 10_000  # modules, classes, the app itself
            assert (await client.get("/healthz")).status_code == 200
    finally:
        gc.unfreeze()  # the rest of the suite collects as usual
    async with running(_app(url)) as client:  # the suite's settings: nothing frozen
        assert gc.get_freeze_count() == 0
