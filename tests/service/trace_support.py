"""Catalog, stock, mrp and trace wired in one process, for the genealogy tests.

Trace's consumers do not run in the background here: `Factory.sync()` pulls both feeds
to their end, so every test reads a genealogy that holds everything posted so far.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.catalog.app import create_app as catalog_app
from services.catalog.settings import Settings as CatalogSettings
from services.mrp.app import create_app as mrp_app
from services.mrp.settings import Settings as MrpSettings
from services.stock.app import create_app as stock_app
from services.stock.settings import Settings as StockSettings
from services.trace.app import create_app as trace_app
from services.trace.settings import Settings as TraceSettings
from tests.conftest import TEST_SECRET, auth
from tests.wiring import HostRoutingTransport, started

NAMES = ("catalog", "stock", "mrp", "trace")
URLS = {name: f"http://{name}" for name in NAMES}
COMMON: dict[str, Any] = {
    "internal_token_secret": TEST_SECRET,
    "service_urls": URLS,
    "http_attempts": 1,
}


@dataclass
class Factory:
    catalog: httpx.AsyncClient
    stock: httpx.AsyncClient
    mrp: httpx.AsyncClient
    trace: httpx.AsyncClient
    transport: HostRoutingTransport
    apps: dict[str, FastAPI]

    async def sync(self, app: FastAPI | None = None) -> None:
        """Let trace (or `app`, another trace) catch up with stock's and mrp's feeds."""
        target = app or self.apps["trace"]
        for _ in range(3):  # mrp's completions post in stock: pull both until both are quiet
            applied = 0
            for consumer in target.state.consumers.values():
                applied += await consumer.catch_up()
            if not applied:
                return


def trace_settings(database_url: str) -> TraceSettings:
    return TraceSettings(database_url=database_url, run_background_tasks=False, **COMMON)


@pytest.fixture(name="factory")
async def factory_fixture(database_factory) -> AsyncIterator[Factory]:
    transport = HostRoutingTransport()
    quiet = {"run_background_tasks": False, **COMMON}
    apps: dict[str, FastAPI] = {
        "catalog": catalog_app(
            CatalogSettings(database_url=await database_factory("catalog"), **quiet),
            http_transport=transport,
        ),
        "stock": stock_app(
            StockSettings(
                database_url=await database_factory("stock"),
                event_subscribers=["mrp"],
                **quiet,
            ),
            http_transport=transport,
        ),
        "mrp": mrp_app(
            MrpSettings(
                database_url=await database_factory("mrp"), event_poll_seconds=30, **COMMON
            ),
            http_transport=transport,
        ),
        "trace": trace_app(
            trace_settings(await database_factory("trace")), http_transport=transport
        ),
    }
    for name, app in apps.items():
        transport.register(name, app)
    async with started(apps):
        clients = [
            httpx.AsyncClient(transport=transport, base_url=URLS[name], headers=auth("admin"))
            for name in NAMES
        ]
        try:
            yield Factory(*clients, transport=transport, apps=apps)
        finally:
            for client in clients:
                await client.aclose()


def code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6].upper()}"


async def ok(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()
