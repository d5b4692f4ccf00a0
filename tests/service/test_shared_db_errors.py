"""A lock conflict in the database is a retryable 503 problem, never a bare 500."""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from sqlalchemy.exc import OperationalError

from services.catalog.settings import Settings
from shared.http.app import create_service_app
from tests.conftest import TEST_SECRET, auth, running

router = APIRouter()


@router.get("/v1/locked")
async def locked() -> None:
    raise OperationalError("UPDATE balances", {}, Exception("database is locked"))


@router.get("/v1/broken")
async def broken() -> None:
    raise OperationalError("SELECT", {}, Exception("no such table: nothing"))


async def test_lock_conflict_is_503_and_other_errors_500(database_factory) -> None:
    settings = Settings(database_url=await database_factory("catalog"),
                        internal_token_secret=TEST_SECRET, run_background_tasks=False)
    app = create_service_app(settings, title="t", description="t", routers=[router])
    async with running(app) as client:
        busy = await client.get("/v1/locked")
        assert busy.status_code == 503 and busy.json()["code"] == "database_busy"
        assert busy.headers["retry-after"] == "1"
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=auth("admin")
    ) as client:
        failed = await client.get("/v1/broken")
        assert failed.status_code == 500 and failed.json()["code"] == "internal_error"
