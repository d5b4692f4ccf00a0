"""Catalog, stock and trace wired in one process: receipts, balances, the feed to trace."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.catalog.app import create_app as catalog_app
from services.catalog.settings import Settings as CatalogSettings
from services.stock.app import create_app as stock_app
from services.stock.settings import Settings as StockSettings
from services.trace.app import create_app as trace_app
from services.trace.settings import Settings as TraceSettings
from tests.conftest import TEST_SECRET, auth
from tests.wiring import HostRoutingTransport, started

URLS = {"catalog": "http://catalog", "stock": "http://stock", "trace": "http://trace"}


@dataclass
class Slice:
    catalog: httpx.AsyncClient
    stock: httpx.AsyncClient
    trace: httpx.AsyncClient
    #: The apps by name (their state holds their databases).
    apps: dict[str, Any] = field(default_factory=dict)


def _client(transport: HostRoutingTransport, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, base_url=URLS[name], headers=auth("admin"))


@pytest.fixture
async def wired(database_factory) -> AsyncIterator[Slice]:
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
                event_subscribers=["trace"],
                run_background_tasks=False,
                **common,
            ),
            http_transport=transport,
        ),
        "trace": trace_app(
            TraceSettings(
                database_url=await database_factory("trace"), event_poll_seconds=30, **common
            ),
            http_transport=transport,
        ),
    }
    for name, app in apps.items():
        transport.register(name, app)
    async with started(apps):
        clients = [_client(transport, name) for name in ("catalog", "stock", "trace")]
        try:
            yield Slice(*clients, apps=apps)
        finally:
            for client in clients:
                await client.aclose()


def code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def make_item(s: Slice, tracking: str = "lot", **extra) -> str:
    item_code = code("R")
    body = {
        "code": item_code,
        "name": "Resistor",
        "uom": "pcs",
        "item_type": "raw_material",
        "tracking": tracking,
        **extra,
    }
    assert (await s.catalog.post("/v1/items", json=body)).status_code == 201
    return item_code


async def make_location(s: Slice) -> str:
    location = code("WH1/RAW")
    body = {"code": location, "name": "Raw A-01", "location_type": "storage"}
    response = await s.stock.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return location


def receipt(item: str, location: str, lot: str | None, qty: str = "5000") -> dict:
    body = {
        "item_code": item,
        "location_code": location,
        "quantity": qty,
        "supplier": "Yageo",
        "supplier_lot": "YG-1",
        "purchase_order": "PO-1",
    }
    if lot is not None:
        body["lot_number"] = lot
    return body


async def test_receipt_reaches_balance_ledger_and_trace(wired: Slice) -> None:
    item, location, lot = (
        await make_item(wired, shelf_life_days=365),
        await make_location(wired),
        code("L"),
    )
    response = await wired.stock.post("/v1/receipts", json=receipt(item, location, lot))
    assert response.status_code == 201, response.text
    posted_at = time.monotonic()
    doc = response.json()
    assert doc["number"].startswith("GR-") and doc["quantity"] == "5000"
    assert doc["lot"]["expiry_date"] is not None
    assert [(m["from_location"], m["to_location"]) for m in doc["movements"]] == [
        ("VIRTUAL/SUPPLIER", location)
    ]
    balances = (await wired.stock.get("/v1/balances", params={"item_code": item})).json()["items"]
    assert [
        (b["location_code"], b["lot_number"], b["quality_state"], b["stage"], b["quantity"])
        for b in balances
    ] == [(location, lot, "pending_inspection", "raw", "5000")]
    found, history = [], []
    # The nudge, not trace's 30 s poll, must bring it: usually within milliseconds; the
    # 10 s bound only keeps a loaded machine from failing the test.
    while time.monotonic() - posted_at < 10.0 and not history:
        page = await wired.trace.get(
            "/v1/genealogy/nodes", params={"item_code": item, "lot_number": lot}
        )
        found = page.json()["items"]
        if found:  # the lot comes first (LotCreated), its movement right after
            detail = await wired.trace.get(
                "/v1/genealogy/node", params={"item_code": item, "lot_number": lot}
            )
            history = detail.json()["history"]
        if not history:
            await asyncio.sleep(0.02)
    assert found, "the lot did not reach trace: was it nudged?"
    assert found[0]["supplier"] == "Yageo" and found[0]["receipt_number"] == doc["number"]
    assert [(h["action"], h["document_number"], h["quantity"]) for h in history] == [
        ("received", doc["number"], "5000")
    ]
    assert detail.json()["in_stock"] == [
        {"location_code": location, "quality_state": "pending_inspection", "quantity": "5000"}
    ]


async def test_retry_with_same_key_posts_once(wired: Slice) -> None:
    item, location, lot = await make_item(wired), await make_location(wired), code("L")
    headers = {"Idempotency-Key": code("key")}
    first = await wired.stock.post(
        "/v1/receipts", json=receipt(item, location, lot), headers=headers
    )
    again = await wired.stock.post(
        "/v1/receipts", json=receipt(item, location, lot), headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    moves = (await wired.stock.get("/v1/movements", params={"item_code": item})).json()["items"]
    assert len(moves) == 1
    balances = (await wired.stock.get("/v1/balances", params={"item_code": item})).json()["items"]
    assert [b["quantity"] for b in balances] == ["5000"]


async def test_bad_receipt_names_every_field_and_changes_nothing(wired: Slice) -> None:
    response = await wired.stock.post(
        "/v1/receipts", json=receipt("NO-SUCH-ITEM", "NO/SUCH/LOC", code("L"))
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.item_code", "body.location_code"}
    assert (await wired.stock.get("/v1/movements")).json()["items"] == []
    assert (await wired.stock.get("/v1/lots")).json()["items"] == []


async def test_tracking_rules(wired: Slice) -> None:
    location = await make_location(wired)
    lot_item, plain_item = await make_item(wired), await make_item(wired, tracking="none")
    missing_lot = await wired.stock.post("/v1/receipts", json=receipt(lot_item, location, None))
    assert missing_lot.status_code == 422
    assert missing_lot.json()["errors"][0]["field"] == "body.lot_number"
    extra_lot = await wired.stock.post("/v1/receipts", json=receipt(plain_item, location, "L1"))
    assert extra_lot.status_code == 422
    plain = await wired.stock.post("/v1/receipts", json=receipt(plain_item, location, None, "2.5"))
    assert plain.status_code == 201 and plain.json()["lot"] is None


async def test_lot_from_another_supplier_conflicts(wired: Slice) -> None:
    item, location, lot = await make_item(wired), await make_location(wired), code("L")
    assert (
        await wired.stock.post("/v1/receipts", json=receipt(item, location, lot))
    ).status_code == 201
    other = receipt(item, location, lot) | {"supplier": "Murata"}
    response = await wired.stock.post("/v1/receipts", json=other)
    assert response.status_code == 409 and response.json()["code"] == "lot_conflict"
    same = await wired.stock.post("/v1/receipts", json=receipt(item, location, lot, "1000"))
    assert same.status_code == 201
    balances = (await wired.stock.get("/v1/balances", params={"item_code": item})).json()["items"]
    assert [Decimal(b["quantity"]) for b in balances] == [Decimal(6000)]


async def test_concurrent_receipts_add_up(wired: Slice) -> None:
    item, location, lot = await make_item(wired), await make_location(wired), code("L")
    results = await asyncio.gather(
        *[
            wired.stock.post("/v1/receipts", json=receipt(item, location, lot, "0.5"))
            for _ in range(8)
        ]
    )
    assert [r.status_code for r in results] == [201] * 8
    balances = (await wired.stock.get("/v1/balances", params={"item_code": item})).json()["items"]
    assert [b["quantity"] for b in balances] == ["4"]


async def test_warehouse_role_needed_to_post(wired: Slice) -> None:
    item, location = await make_item(wired), await make_location(wired)
    response = await wired.stock.post(
        "/v1/receipts", json=receipt(item, location, "L1"), headers=auth("qc")
    )
    assert response.status_code == 403


async def test_item_with_stock_cannot_be_deleted_an_unused_one_can(wired: Slice) -> None:
    used, unused, location = (
        await make_item(wired),
        await make_item(wired),
        await make_location(wired),
    )
    posted = await wired.stock.post("/v1/receipts", json=receipt(used, location, code("L")))
    assert posted.status_code == 201, posted.text
    used_id = (await wired.catalog.get(f"/v1/items/by-code/{used}")).json()["id"]
    refused = await wired.catalog.delete(f"/v1/items/{used_id}", headers={"If-Match": 'W/"1"'})
    assert refused.status_code == 409 and refused.json()["code"] == "item_in_use"
    assert "stock ledger" in refused.json()["detail"]
    unused_id = (await wired.catalog.get(f"/v1/items/by-code/{unused}")).json()["id"]
    stale = await wired.catalog.delete(f"/v1/items/{unused_id}", headers={"If-Match": 'W/"7"'})
    assert stale.status_code == 412
    gone = await wired.catalog.delete(f"/v1/items/{unused_id}", headers={"If-Match": 'W/"1"'})
    assert gone.status_code == 204
    assert (await wired.catalog.get(f"/v1/items/{unused_id}")).status_code == 404
    events = [e["type"] for e in (await wired.catalog.get("/v1/events")).json()["events"]]
    assert events[-1] == "ItemDeleted"


async def test_stock_unit_and_tracking_are_fixed_once_stock_holds_the_item(
    wired: Slice,
) -> None:
    used, unused, location = (
        await make_item(wired),
        await make_item(wired),
        await make_location(wired),
    )
    posted = await wired.stock.post("/v1/receipts", json=receipt(used, location, code("L")))
    assert posted.status_code == 201, posted.text
    item = (await wired.catalog.get(f"/v1/items/by-code/{used}")).json()
    change = {"uom": "kg", "tracking": "none", "name": "New name"}
    refused = await wired.catalog.patch(
        f"/v1/items/{item['id']}", json=change, headers={"If-Match": 'W/"1"'}
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["body.uom", "body.tracking"]
    same = await wired.catalog.patch(  # naming the current values, or other fields, is fine
        f"/v1/items/{item['id']}",
        json={"uom": "pcs", "tracking": "lot", "name": "New name"},
        headers={"If-Match": 'W/"1"'},
    )
    assert same.status_code == 200, same.text
    other = (await wired.catalog.get(f"/v1/items/by-code/{unused}")).json()
    free = await wired.catalog.patch(
        f"/v1/items/{other['id']}", json={"uom": "kg"}, headers={"If-Match": 'W/"1"'}
    )
    assert free.status_code == 200, free.text
