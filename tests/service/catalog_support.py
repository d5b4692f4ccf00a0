"""Fixtures and factories for catalog service tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.catalog.app import create_app
from services.catalog.settings import Settings
from tests.conftest import TEST_SECRET, running


@pytest.fixture(name="catalog")
async def catalog_fixture(database_factory) -> AsyncIterator[httpx.AsyncClient]:
    url = await database_factory("catalog")
    settings = Settings(
        database_url=url,
        internal_token_secret=TEST_SECRET,
        run_background_tasks=False,
        log_json=True,
    )
    async with running(create_app(settings)) as client:
        yield client


def code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def make_item(client: httpx.AsyncClient, *, made: bool = False, **fields: Any) -> dict:
    body: dict[str, Any] = {
        "code": code("P" if made else "R"),
        "name": "Assembly" if made else "Resistor 10k 0402",
        "uom": "pcs",
        "item_type": "semi_finished" if made else "raw_material",
    }
    body.update(fields)
    response = await client.post("/v1/items", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def make_bom(
    client: httpx.AsyncClient, parent: dict, lines: list[dict], *, revision: str = "A", **fields
) -> dict:
    body = {"item_code": parent["code"], "revision": revision, "lines": lines, **fields}
    response = await client.post("/v1/boms", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def release(client: httpx.AsyncClient, bom: dict, **body: Any) -> httpx.Response:
    return await client.post(
        f"/v1/boms/{bom['id']}/release", json=body, headers={"If-Match": f'W/"{bom["version"]}"'}
    )


async def released_bom(client: httpx.AsyncClient, parent: dict, lines: list[dict], **kw) -> dict:
    bom = await make_bom(client, parent, lines, **kw)
    response = await release(client, bom)
    assert response.status_code == 200, response.text
    return response.json()


def line(component: dict, quantity: str = "1", **fields: Any) -> dict:
    return {"component_code": component["code"], "quantity": quantity, **fields}
