"""Scrap, returns to suppliers and customer returns through the stock app, with the catalog
in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.catalog.app import create_app as catalog_app
from services.catalog.settings import Settings as CatalogSettings
from services.stock.app import create_app as stock_app
from services.stock.settings import Settings as StockSettings
from tests.conftest import TEST_SECRET, auth
from tests.wiring import HostRoutingTransport, started

URLS = {"catalog": "http://catalog", "stock": "http://stock"}
SCRAPPED = "VIRTUAL/SCRAPPED"


@dataclass
class Wired:
    catalog: httpx.AsyncClient
    stock: httpx.AsyncClient


@asynccontextmanager
async def wired_apps(database_factory: Any) -> AsyncIterator[Wired]:
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
                database_url=await database_factory("stock"), run_background_tasks=False, **common
            ),
            http_transport=transport,
        ),
    }
    for name, app in apps.items():
        transport.register(name, app)
    async with started(apps):
        clients = [
            httpx.AsyncClient(transport=transport, base_url=URLS[name], headers=auth("admin"))
            for name in ("catalog", "stock")
        ]
        try:
            yield Wired(*clients)
        finally:
            for client in clients:
                await client.aclose()


@pytest.fixture
async def wired(database_factory) -> AsyncIterator[Wired]:
    async with wired_apps(database_factory) as w:
        yield w


def code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def make_item(w: Wired, tracking: str = "lot") -> str:
    item_code = code("R")
    body = {
        "code": item_code,
        "name": "Resistor",
        "uom": "pcs",
        "item_type": "raw_material",
        "tracking": tracking,
    }
    response = await w.catalog.post("/v1/items", json=body)
    assert response.status_code == 201, response.text
    return item_code


async def make_location(w: Wired, prefix: str = "WH1/RAW", location_type: str = "storage") -> str:
    location = code(prefix)
    body = {"code": location, "name": location, "location_type": location_type}
    response = await w.stock.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return location


async def receive(w: Wired, item: str, location: str, lot: str | None, qty: str) -> None:
    body = {"item_code": item, "location_code": location, "quantity": qty, "supplier": "Yageo"}
    if lot is not None:
        body["lot_number"] = lot
    response = await w.stock.post("/v1/receipts", json=body)
    assert response.status_code == 201, response.text


async def inspect(
    w: Wired, item: str, location: str, lot: str | None, accepted: str, rejected: str
) -> httpx.Response:
    body: dict[str, Any] = {
        "item_code": item,
        "location_code": location,
        "accepted_quantity": accepted,
        "rejected_quantity": rejected,
        "sample_size": 5,
        "inspector": "Li",
    }
    if lot is not None:
        body["lot_number"] = lot
    return await w.stock.post("/v1/inspections", json=body, headers=auth("qc"))


async def balances(w: Wired, **params: Any) -> set[tuple[str, str, str | None, str, Decimal]]:
    """Every non-zero balance as (item, location, lot, state, quantity)."""
    found: set[tuple[str, str, str | None, str, Decimal]] = set()
    cursor = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = (await w.stock.get("/v1/balances", params=query)).json()
        for b in page["items"]:
            found.add(
                (
                    b["item_code"],
                    b["location_code"],
                    b["lot_number"],
                    b["quality_state"],
                    Decimal(b["quantity"]),
                )
            )
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def line(item: str, qty: str, lot: str | None = None, state: str | None = None) -> dict:
    body: dict[str, Any] = {"item_code": item, "quantity": qty}
    if lot is not None:
        body["lot_number"] = lot
    if state is not None:
        body["quality_state"] = state
    return body


def document(location: str, *lines: dict, **header: str) -> dict:
    return {"location_code": location, **header, "lines": list(lines)}


async def events_of(w: Wired, *types: str) -> list[dict]:
    feed = (await w.stock.get("/v1/events", params={"limit": 500})).json()["events"]
    return [e for e in feed if e["type"] in types]


@dataclass
class Stocked:
    lot_item: str
    plain_item: str
    lot: str
    location: str


@pytest.fixture
async def stocked(wired: Wired) -> Stocked:
    """At one location: a lot of 100 (60 qualified, 40 defective) and 10 defective untracked."""
    lot_item, plain_item = await make_item(wired), await make_item(wired, tracking="none")
    location, lot = await make_location(wired), code("L")
    await receive(wired, lot_item, location, lot, "100")
    await receive(wired, plain_item, location, None, "10")
    assert (await inspect(wired, lot_item, location, lot, "60", "40")).status_code == 201
    assert (await inspect(wired, plain_item, location, None, "0", "10")).status_code == 201
    return Stocked(lot_item, plain_item, lot, location)


def moves(doc: dict) -> list[tuple[str, str, str, str, str, Decimal]]:
    return [
        (
            m["item_code"],
            m["from_location"],
            m["to_location"],
            m["from_state"],
            m["to_state"],
            Decimal(m["quantity"]),
        )
        for m in doc["movements"]
    ]


async def test_scrap_of_defective_stock_leaves_the_books(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    response = await wired.stock.post(
        "/v1/scraps",
        json=document(
            s.location,
            line(s.lot_item, "15", s.lot),
            line(s.plain_item, "10"),
            reason="burnt in reflow",
            reference="NCR-7",
        ),
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert re.fullmatch(r"SC-\d{8}", doc["number"])
    assert (doc["kind"], doc["status"], doc["location_code"]) == ("scrap", "posted", s.location)
    assert (doc["counterparty"], doc["reference"], doc["reason"]) == (
        "",
        "NCR-7",
        "burnt in reflow",
    )
    assert [(ln["line_no"], ln["lot_number"], ln["quality_state"]) for ln in doc["lines"]] == [
        (1, s.lot, "defective"),
        (2, None, "defective"),
    ]
    assert moves(doc) == [
        (s.lot_item, s.location, SCRAPPED, "defective", "defective", Decimal(15)),
        (s.plain_item, s.location, SCRAPPED, "defective", "defective", Decimal(10)),
    ]
    assert await balances(wired, location_code=s.location) == {
        (s.lot_item, s.location, s.lot, "qualified", Decimal(60)),
        (s.lot_item, s.location, s.lot, "defective", Decimal(25)),
    }
    ledger = (await wired.stock.get("/v1/movements", params={"document_type": "scrap"})).json()[
        "items"
    ]
    assert [(m["document_id"], m["to_location"]) for m in ledger] == [(doc["id"], SCRAPPED)] * 2
    assert (await wired.stock.get(f"/v1/scraps/{doc['id']}")).json() == doc
    listed = (await wired.stock.get("/v1/scraps", params={"item_code": s.plain_item})).json()
    assert [d["id"] for d in listed["items"]] == [doc["id"]]
    # the id of a scrap is no return
    for other in ("/v1/supplier-returns", "/v1/customer-returns"):
        assert (await wired.stock.get(f"{other}/{doc['id']}")).status_code == 404
        assert (await wired.stock.post(f"{other}/{doc['id']}/reverse")).status_code == 404
        assert (await wired.stock.get(other)).json()["items"] == []
    posted = await events_of(wired, "ScrapPosted", "MovementPosted")
    assert [e["type"] for e in posted][-3:] == ["MovementPosted", "MovementPosted", "ScrapPosted"]
    assert posted[-1]["payload"]["number"] == doc["number"]
    audit = (await wired.stock.get("/v1/audit", params={"entity_type": "scrap"})).json()["items"]
    assert [(a["action"], a["entity_id"]) for a in audit] == [("post", str(doc["id"]))]


async def test_scrap_may_take_qualified_stock_when_asked(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    response = await wired.stock.post(
        "/v1/scraps",
        json=document(s.location, line(s.lot_item, "60", s.lot, "qualified"), reason="expired"),
    )
    assert response.status_code == 201, response.text
    assert (s.lot_item, s.location, s.lot, "qualified", Decimal(60)) not in await balances(
        wired, location_code=s.location
    )


async def test_supplier_return_of_defective_stock(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    response = await wired.stock.post(
        "/v1/supplier-returns",
        json=document(
            s.location,
            line(s.lot_item, "40", s.lot),
            line(s.lot_item, "5", s.lot, "qualified"),
            counterparty="Yageo",
            reference="PO-1001",
            reason="wrong tolerance",
        ),
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert re.fullmatch(r"RS-\d{8}", doc["number"]) and doc["kind"] == "supplier_return"
    assert doc["counterparty"] == "Yageo" and doc["reference"] == "PO-1001"
    assert moves(doc) == [
        (s.lot_item, s.location, "VIRTUAL/SUPPLIER", "defective", "defective", Decimal(40)),
        (s.lot_item, s.location, "VIRTUAL/SUPPLIER", "qualified", "qualified", Decimal(5)),
    ]
    assert await balances(wired, item_code=s.lot_item) == {
        (s.lot_item, s.location, s.lot, "qualified", Decimal(55)),
    }
    assert (await wired.stock.get(f"/v1/scraps/{doc['id']}")).status_code == 404
    found = await wired.stock.get("/v1/supplier-returns", params={"counterparty": "Yageo"})
    assert [d["id"] for d in found.json()["items"]] == [doc["id"]]
    assert (
        await wired.stock.get("/v1/supplier-returns", params={"counterparty": "Murata"})
    ).json()["items"] == []
    assert [e["aggregate_id"] for e in await events_of(wired, "SupplierReturnPosted")] == [
        str(doc["id"])
    ]


async def test_customer_return_arrives_pending_and_can_then_be_accepted(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    returns = await make_location(wired, "WH1/RETURNS", "receiving")
    response = await wired.stock.post(
        "/v1/customer-returns",
        json=document(
            returns,
            line(s.lot_item, "8", s.lot),
            line(s.plain_item, "3"),
            counterparty="ACME GmbH",
            reference="RMA-55",
        ),
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert re.fullmatch(r"RC-\d{8}", doc["number"]) and doc["kind"] == "customer_return"
    assert [ln["quality_state"] for ln in doc["lines"]] == ["pending_inspection"] * 2
    pending = "pending_inspection"
    assert moves(doc) == [
        (s.lot_item, "VIRTUAL/CUSTOMER", returns, pending, pending, Decimal(8)),
        (s.plain_item, "VIRTUAL/CUSTOMER", returns, pending, pending, Decimal(3)),
    ]
    assert await balances(wired, location_code=returns) == {
        (s.lot_item, returns, s.lot, pending, Decimal(8)),
        (s.plain_item, returns, None, pending, Decimal(3)),
    }
    accepted = await inspect(wired, s.lot_item, returns, s.lot, "8", "0")
    assert accepted.status_code == 201, accepted.text
    assert (s.lot_item, returns, s.lot, "qualified", Decimal(8)) in await balances(
        wired, location_code=returns
    )
    # once inspected, the return can no longer be taken back: the pending stock moved on
    refused = await wired.stock.post(f"/v1/customer-returns/{doc['id']}/reverse")
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
    assert refused.json()["detail"].startswith(f"customer return {doc['number']} cannot be")
    assert (await wired.stock.get(f"/v1/customer-returns/{doc['id']}")).json()["status"] == "posted"


async def test_customer_return_names_an_existing_lot(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    response = await wired.stock.post(
        "/v1/customer-returns",
        json=document(
            s.location,
            line(s.lot_item, "1"),
            line(s.lot_item, "1", "NEVER-SHIPPED"),
            line(s.plain_item, "1", "L-1"),
            line(s.plain_item, "1", state="qualified"),
            counterparty="ACME",
        ),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.lines.3.quality_state"]
    response = await wired.stock.post(
        "/v1/customer-returns",
        json=document(
            s.location,
            line(s.lot_item, "1"),
            line(s.lot_item, "1", "NEVER-SHIPPED"),
            line(s.plain_item, "1", "L-1"),
            counterparty="ACME",
        ),
    )
    assert response.status_code == 422
    assert [(e["field"], e["type"]) for e in response.json()["errors"]] == [
        ("body.lines.0.lot_number", "missing"),
        ("body.lines.1.lot_number", "not_found"),
        ("body.lines.2.lot_number", "invalid"),
    ]


async def test_insufficient_stock_posts_nothing(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    before = await balances(wired, location_code=s.location)
    response = await wired.stock.post(
        "/v1/supplier-returns",
        json=document(
            s.location,
            line(s.plain_item, "10"),
            line(s.lot_item, "30", s.lot),
            line(s.lot_item, "11", s.lot),
            counterparty="Yageo",
        ),
    )
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "insufficient_stock"
    assert (problem["available"], problem["needed"]) == ("40", "41")
    assert problem["quality_state"] == "defective" and problem["lot_number"] == s.lot
    assert [e["field"] for e in problem["errors"]] == [
        "body.lines.1.quantity",
        "body.lines.2.quantity",
    ]
    assert await balances(wired, location_code=s.location) == before
    assert (await wired.stock.get("/v1/supplier-returns")).json()["items"] == []
    assert await events_of(wired, "SupplierReturnPosted") == []
    scrap = await wired.stock.post(
        "/v1/scraps", json=document(s.location, line(s.plain_item, "11"), reason="x")
    )
    assert scrap.status_code == 409 and scrap.json()["code"] == "insufficient_stock"
    assert await balances(wired, location_code=s.location) == before


async def test_reversal_restores_balances_and_only_once(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    before = await balances(wired, location_code=s.location)
    posted = await wired.stock.post(
        "/v1/scraps",
        json=document(
            s.location, line(s.lot_item, "40", s.lot), line(s.plain_item, "4"), reason="rust"
        ),
    )
    assert posted.status_code == 201, posted.text
    doc = posted.json()
    assert await balances(wired, location_code=s.location) != before
    reversed_ = await wired.stock.post(f"/v1/scraps/{doc['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    out = reversed_.json()
    assert out["status"] == "reversed" and out["reversed_by"] == "user:tester"
    assert out["reversed_at"] is not None
    assert await balances(wired, location_code=s.location) == before
    back = [m for m in out["movements"] if m["reversal_of_id"] is not None]
    assert [(m["from_location"], m["to_location"], m["to_state"]) for m in back] == [
        (SCRAPPED, s.location, "defective")
    ] * 2
    assert sorted(m["reversal_of_id"] for m in back) == sorted(m["id"] for m in doc["movements"])
    again = await wired.stock.post(f"/v1/scraps/{doc['id']}/reverse")
    assert again.status_code == 409 and again.json()["code"] == "document_reversed"
    assert await balances(wired, location_code=s.location) == before
    assert [e["aggregate_id"] for e in await events_of(wired, "ScrapReversed")] == [str(doc["id"])]
    audit = (await wired.stock.get("/v1/audit", params={"entity_type": "scrap"})).json()["items"]
    assert [a["action"] for a in audit] == ["reverse", "post"]
    assert audit[0]["before"]["status"] == "posted" and audit[0]["after"]["status"] == "reversed"
    listed = await wired.stock.get("/v1/scraps", params={"status": "reversed"})
    assert [d["id"] for d in listed.json()["items"]] == [doc["id"]]


async def test_supplier_return_reversal_brings_the_stock_back(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    before = await balances(wired, location_code=s.location)
    posted = await wired.stock.post(
        "/v1/supplier-returns",
        json=document(s.location, line(s.lot_item, "20", s.lot), counterparty="Yageo"),
    )
    assert posted.status_code == 201, posted.text
    undo = await wired.stock.post(f"/v1/supplier-returns/{posted.json()['id']}/reverse")
    assert undo.status_code == 200, undo.text
    assert await balances(wired, location_code=s.location) == before
    assert [e["type"] for e in await events_of(wired, "SupplierReturnReversed")] == [
        "SupplierReturnReversed"
    ]


async def test_bad_input_names_every_field(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    shape = await wired.stock.post(
        "/v1/scraps",
        json=document(
            s.location,
            line(s.lot_item, "1", s.lot, "broken"),
            line(s.lot_item, "0", s.lot),
            counterparty="Yageo",
            reason="  ",
        ),
    )
    assert shape.status_code == 422
    assert [e["field"] for e in shape.json()["errors"]] == [
        "body.counterparty",
        "body.reason",
        "body.lines.0.quality_state",
        "body.lines.1.quantity",
    ]
    missing = await wired.stock.post(
        "/v1/scraps", json=document(s.location, line(s.plain_item, "1"))
    )
    assert [e["field"] for e in missing.json()["errors"]] == ["body.reason"]
    supplier = await wired.stock.post(
        "/v1/supplier-returns",
        json=document(s.location, line(s.lot_item, "1", s.lot, "pending_inspection")),
    )
    assert supplier.status_code == 422
    assert [e["field"] for e in supplier.json()["errors"]] == [
        "body.counterparty",
        "body.lines.0.quality_state",
    ]
    customer = await wired.stock.post("/v1/customer-returns", json=document(s.location))
    assert [e["field"] for e in customer.json()["errors"]] == ["body.counterparty", "body.lines"]
    facts = await wired.stock.post(
        "/v1/supplier-returns",
        json=document(
            "NO/SUCH/PLACE",
            line(s.lot_item, "1", s.lot),
            line("NO-SUCH-ITEM", "1"),
            line(s.lot_item, "1", "NO-LOT"),
            line(s.lot_item, "1"),
            line(s.plain_item, "1", "L-1"),
            counterparty="Yageo",
        ),
    )
    assert facts.status_code == 422
    assert [(e["field"], e["type"]) for e in facts.json()["errors"]] == [
        ("body.location_code", "not_found"),
        ("body.lines.1.item_code", "not_found"),
        ("body.lines.2.lot_number", "not_found"),
        ("body.lines.3.lot_number", "missing"),
        ("body.lines.4.lot_number", "invalid"),
    ]
    assert (await wired.stock.get("/v1/supplier-returns")).json()["items"] == []


async def test_the_scrapped_location_is_virtual(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    virtual = (
        await wired.stock.get("/v1/locations", params={"include_virtual": True, "limit": 500})
    ).json()["items"]
    scrapped = [loc for loc in virtual if loc["code"] == SCRAPPED]
    assert [(loc["location_type"], loc["is_virtual"]) for loc in scrapped] == [("scrapped", True)]
    create = await wired.stock.post(
        "/v1/locations",
        json={"code": code("SCR"), "name": "Scrapped", "location_type": "scrapped"},
    )
    assert create.status_code == 422
    assert [e["field"] for e in create.json()["errors"]] == ["body.location_type"]
    # a physical scrap area is still an ordinary location
    assert (await make_location(wired, "WH1/SCRAP-AREA", "scrap")).startswith("WH1/SCRAP-AREA")
    into = await wired.stock.post(
        "/v1/transfers",
        json={
            "from_location_code": s.location,
            "to_location_code": SCRAPPED,
            "lines": [line(s.plain_item, "1", state="defective")],
        },
    )
    assert into.status_code == 422
    assert [e["field"] for e in into.json()["errors"]] == ["body.to_location_code"]
    at = await wired.stock.post(
        "/v1/scraps", json=document(SCRAPPED, line(s.plain_item, "1"), reason="x")
    )
    assert at.status_code == 422
    assert [e["field"] for e in at.json()["errors"]] == ["body.location_code"]


async def test_retry_with_the_same_key_posts_once(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    body = document(s.location, line(s.plain_item, "2"), reason="dropped")
    key = {"Idempotency-Key": code("k")}
    first = await wired.stock.post("/v1/scraps", json=body, headers=key)
    again = await wired.stock.post("/v1/scraps", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (s.plain_item, s.location, None, "defective", Decimal(8)) in await balances(
        wired, location_code=s.location
    )


async def test_roles(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    body = document(s.location, line(s.plain_item, "1"), reason="x")
    refused = await wired.stock.post("/v1/scraps", json=body, headers=auth("planner"))
    assert refused.status_code == 403
    allowed = await wired.stock.post("/v1/scraps", json=body, headers=auth("warehouse"))
    assert allowed.status_code == 201, allowed.text
    doc_id = allowed.json()["id"]
    undo = await wired.stock.post(f"/v1/scraps/{doc_id}/reverse", headers=auth("qc"))
    assert undo.status_code == 403
    assert (await wired.stock.get(f"/v1/scraps/{doc_id}", headers=auth("planner"))).is_success
    assert (await wired.stock.get("/v1/scraps/999999")).status_code == 404
    assert (await wired.stock.post("/v1/scraps/999999/reverse")).status_code == 404
