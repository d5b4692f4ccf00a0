"""Catalog, stock and MRP wired in one process, with factories for MRP tests."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.catalog.app import create_app as catalog_app
from services.catalog.settings import Settings as CatalogSettings
from services.mrp.app import create_app as mrp_app
from services.mrp.settings import Settings as MrpSettings
from services.stock.app import create_app as stock_app
from services.stock.settings import Settings as StockSettings
from tests.conftest import TEST_SECRET, auth
from tests.wiring import HostRoutingTransport, started

URLS = {"catalog": "http://catalog", "stock": "http://stock", "mrp": "http://mrp"}


@dataclass
class Plant:
    catalog: httpx.AsyncClient
    stock: httpx.AsyncClient
    mrp: httpx.AsyncClient
    transport: HostRoutingTransport


@pytest.fixture(name="plant")
async def plant_fixture(database_factory) -> AsyncIterator[Plant]:
    transport = HostRoutingTransport()
    common = {"internal_token_secret": TEST_SECRET, "service_urls": URLS, "http_attempts": 1}
    apps = {
        "catalog": catalog_app(
            CatalogSettings(
                database_url=await database_factory("catalog"), run_background_tasks=False, **common
            ),
            http_transport=transport,
        ),
        "stock": stock_app(
            StockSettings(
                database_url=await database_factory("stock"),
                event_subscribers=["mrp"],
                run_background_tasks=False,
                **common,
            ),
            http_transport=transport,
        ),
        "mrp": mrp_app(
            MrpSettings(
                database_url=await database_factory("mrp"), event_poll_seconds=30, **common
            ),
            http_transport=transport,
        ),
    }
    for name, app in apps.items():
        transport.register(name, app)
    async with started(apps):
        clients = [
            httpx.AsyncClient(transport=transport, base_url=URLS[name], headers=auth("admin"))
            for name in ("catalog", "stock", "mrp")
        ]
        try:
            yield Plant(*clients, transport=transport)
        finally:
            for client in clients:
                await client.aclose()


def code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def make_item(
    plant: Plant, *, made: bool = False, tracking: str = "none", **fields: Any
) -> str:
    item_code = code("P" if made else "R")
    body = {
        "code": item_code,
        "name": "Assembly" if made else "Part",
        "uom": "pcs",
        "item_type": "semi_finished" if made else "raw_material",
        "procurement": "make" if made else "buy",
        "tracking": tracking,
        **fields,
    }
    response = await plant.catalog.post("/v1/items", json=body)
    assert response.status_code == 201, response.text
    return item_code


async def released_bom(plant: Plant, parent: str, lines: list[dict], **fields: Any) -> dict:
    body = {"item_code": parent, "revision": fields.pop("revision", "A"), "lines": lines, **fields}
    created = await plant.catalog.post("/v1/boms", json=body)
    assert created.status_code == 201, created.text
    bom = created.json()
    released = await plant.catalog.post(
        f"/v1/boms/{bom['id']}/release",
        json={},
        headers={"If-Match": f'W/"{bom["version"]}"'},
    )
    assert released.status_code == 200, released.text
    return released.json()  # type: ignore[no-any-return]


def line(component: str, quantity: str = "1", **fields: Any) -> dict:
    return {"component_code": component, "quantity": quantity, **fields}


async def make_location(plant: Plant, prefix: str = "WH1/RAW", kind: str = "storage") -> str:
    location = code(prefix)
    body = {"code": location, "name": location, "location_type": kind}
    response = await plant.stock.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return location


async def receive(plant: Plant, item: str, location: str, quantity: str, **extra: Any) -> dict:
    body = {
        "item_code": item,
        "location_code": location,
        "quantity": quantity,
        "supplier": extra.pop("supplier", "Yageo"),
        **extra,
    }
    response = await plant.stock.post("/v1/receipts", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def qualified(
    plant: Plant, item: str, location: str, quantity: str, **receipt: Any
) -> None:
    """Receive `quantity` (with the `receipt`'s other fields, such as a unit_price) and
    pass it all through QC: qualified stock at `location`."""
    await receive(plant, item, location, quantity, **receipt)
    qc = {
        "item_code": item,
        "location_code": location,
        "accepted_quantity": quantity,
        "rejected_quantity": "0",
        "sample_size": 1,
        "inspector": "QC Li",
    }
    inspected = await plant.stock.post("/v1/inspections", json=qc)
    assert inspected.status_code == 201, inspected.text


async def eventually(
    check: Callable[[], Awaitable[bool]], *, seconds: float = 3.0, what: str = "condition"
) -> None:
    """Wait until `check()` holds (the feed reaches MRP after a nudge)."""
    deadline = time.monotonic() + seconds
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {seconds} s")
        await asyncio.sleep(0.02)
