"""Serial-tracked units through transfers, scrap, supplier and customer returns and QC
inspections: one movement per unit in its lot, the serial's status and place kept, errors
that name the unit and its line, reversals that carry the units back. SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
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
CUSTOMER = "VIRTUAL/CUSTOMER"
D = Decimal


@dataclass
class World:
    catalog: httpx.AsyncClient
    stock: httpx.AsyncClient


@asynccontextmanager
async def world_apps(database_factory: Any) -> AsyncIterator[World]:
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
            yield World(*clients)
        finally:
            for client in clients:
                await client.aclose()


@pytest.fixture
async def world(database_factory) -> AsyncIterator[World]:
    async with world_apps(database_factory) as w:
        yield w


def code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def make_item(w: World, tracking: str = "serial") -> str:
    item_code = code("SPK")
    body = {
        "code": item_code,
        "name": "Smart speaker",
        "uom": "pcs",
        "item_type": "finished_good",
        "tracking": tracking,
    }
    response = await w.catalog.post("/v1/items", json=body)
    assert response.status_code == 201, response.text
    return item_code


async def make_location(w: World, prefix: str = "WH1/FG") -> str:
    location = code(prefix)
    body = {"code": location, "name": location, "location_type": "storage"}
    response = await w.stock.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return location


async def receive(w: World, item: str, location: str, serials: list[str], lot: str | None) -> None:
    body: dict[str, Any] = {
        "item_code": item,
        "location_code": location,
        "quantity": str(len(serials)),
        "serial_numbers": serials,
        "unit_price": "50",
    }
    if lot is not None:
        body["lot_number"] = lot
    response = await w.stock.post("/v1/receipts", json=body)
    assert response.status_code == 201, response.text


def inspection(
    item: str, location: str, accepted: list[str], rejected: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "item_code": item,
        "location_code": location,
        "accepted_quantity": str(len(accepted)),
        "rejected_quantity": str(len(rejected)),
        "accepted_serial_numbers": accepted,
        "rejected_serial_numbers": rejected,
        "sample_size": len(accepted) + len(rejected),
        "inspector": "QC Wang",
        **extra,
    }


async def inspect(
    w: World, item: str, location: str, accepted: list[str], rejected: list[str], **extra: Any
) -> httpx.Response:
    return await w.stock.post(
        "/v1/inspections",
        json=inspection(item, location, accepted, rejected, **extra),
        headers=auth("qc"),
    )


async def ship(w: World, item: str, location: str, serials: list[str], lot: str) -> None:
    """Ship qualified units of `lot` to a customer."""
    response = await w.stock.post(
        "/v1/shipments",
        json={
            "sales_order": code("SO"),
            "customer": "ACME",
            "from_location_code": location,
            "lines": [line(item, serials, lot_number=lot)],
        },
    )
    assert response.status_code == 201, response.text
    assert [u[0] for u in units(response.json())] == serials


async def balances(w: World, item: str) -> dict[str, tuple[str, str | None, str, Decimal]]:
    """Every unit in stock: serial -> (location, lot, state, quantity)."""
    rows = (await w.stock.get("/v1/balances", params={"item_code": item, "limit": 500})).json()
    found = {}
    for b in rows["items"]:
        assert b["serial_number"] not in found, b
        found[b["serial_number"]] = (
            b["location_code"],
            b["lot_number"],
            b["quality_state"],
            D(b["quantity"]),
        )
    return found


async def serials(w: World, item: str) -> dict[str, tuple[str, str | None, str | None, str | None]]:
    """Every known unit: serial -> (status, location, state, lot)."""
    rows = (await w.stock.get("/v1/serials", params={"item_code": item, "limit": 500})).json()
    return {
        r["serial_number"]: (r["status"], r["location_code"], r["quality_state"], r["lot_number"])
        for r in rows["items"]
    }


async def history(w: World, item: str, serial: str) -> list[tuple[str, str, str, str | None]]:
    """A unit's movements: (document type, from, to, lot)."""
    found = (
        await w.stock.get("/v1/serials", params={"item_code": item, "serial_number": serial})
    ).json()["items"]
    detail = (await w.stock.get(f"/v1/serials/{found[0]['id']}")).json()
    return [
        (m["document_type"], m["from_location"], m["to_location"], m["lot_number"])
        for m in detail["history"]
    ]


def units(doc: dict) -> list[tuple[str | None, str | None, str, str, str, str, Decimal, bool]]:
    """A document's movements: (serial, lot, from, to, from state, to state, qty, reversal)."""
    return [
        (
            m["serial_number"],
            m["lot_number"],
            m["from_location"],
            m["to_location"],
            m["from_state"],
            m["to_state"],
            D(m["quantity"]),
            m["reversal_of_id"] is not None,
        )
        for m in doc["movements"]
    ]


def line(item: str, serial_numbers: list[str] | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"item_code": item, "quantity": str(len(serial_numbers or [])), **extra}
    if serial_numbers is not None:
        body["serial_numbers"] = serial_numbers
    return body


async def events_of(w: World, *types: str) -> list[dict]:
    feed = (await w.stock.get("/v1/events", params={"limit": 500})).json()["events"]
    return [e for e in feed if e["type"] in types]


@dataclass
class Stock:
    item: str
    lot: str
    place: str
    other: str
    qualified: list[str]
    defective: list[str]


@pytest.fixture
async def stock(world: World) -> Stock:
    """At `place`: lot-B units, 3 qualified and 2 defective, through a receipt and a QC."""
    item, place, other, lot = (
        await make_item(world),
        await make_location(world),
        await make_location(world),
        code("B"),
    )
    qualified, defective = [code("SN") for _ in range(3)], [code("SN") for _ in range(2)]
    await receive(world, item, place, qualified + defective, lot)
    checked = await inspect(world, item, place, qualified, defective)
    assert checked.status_code == 201, checked.text
    return Stock(item, lot, place, other, qualified, defective)


# --- transfers -------------------------------------------------------------------------------


async def test_a_transfer_moves_each_unit_in_its_lot_and_back_on_reversal(
    world: World, stock: Stock
) -> None:
    s = stock
    moving = s.qualified[:2]
    posted = await world.stock.post(
        "/v1/transfers",
        json={
            "from_location_code": s.place,
            "to_location_code": s.other,
            "lines": [line(s.item, moving)],  # no lot named: each unit keeps its own
        },
    )
    assert posted.status_code == 201, posted.text
    doc = posted.json()
    assert [(ln["serial_numbers"], ln["quantity"], ln["lot_number"]) for ln in doc["lines"]] == [
        (moving, "2", None)
    ]
    assert units(doc) == [
        (sn, s.lot, s.place, s.other, "qualified", "qualified", D(1), False) for sn in moving
    ]
    expected = {sn: (s.other, s.lot, "qualified", D(1)) for sn in moving}
    expected[s.qualified[2]] = (s.place, s.lot, "qualified", D(1))
    expected.update({sn: (s.place, s.lot, "defective", D(1)) for sn in s.defective})
    assert await balances(world, s.item) == expected
    found = await serials(world, s.item)
    assert {sn: found[sn] for sn in moving} == {
        sn: ("in_stock", s.other, "qualified", s.lot) for sn in moving
    }
    # GET shows the same; the events carry the units
    again = (await world.stock.get(f"/v1/transfers/{doc['id']}")).json()
    assert again["lines"][0]["serial_numbers"] == moving
    (event,) = await events_of(world, "TransferPosted")
    assert event["payload"]["lines"][0]["serial_numbers"] == moving
    moved = [
        e["payload"]["serial_number"]
        for e in await events_of(world, "MovementPosted")
        if e["payload"]["document_type"] == "transfer"
    ]
    assert moved == moving

    reversed_ = await world.stock.post(f"/v1/transfers/{doc['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    assert [u for u in units(reversed_.json()) if u[-1]] == [  # newest first
        (sn, s.lot, s.other, s.place, "qualified", "qualified", D(1), True)
        for sn in reversed(moving)
    ]
    assert await balances(world, s.item) == {
        **{sn: (s.place, s.lot, "qualified", D(1)) for sn in s.qualified},
        **{sn: (s.place, s.lot, "defective", D(1)) for sn in s.defective},
    }
    assert {sn: (await serials(world, s.item))[sn] for sn in moving} == {
        sn: ("in_stock", s.place, "qualified", s.lot) for sn in moving
    }
    assert [h[0] for h in await history(world, s.item, moving[0])] == [
        "purchase_receipt",
        "inspection",
        "transfer",
        "transfer",
    ]
    twice = await world.stock.post(f"/v1/transfers/{doc['id']}/reverse")
    assert twice.status_code == 409 and twice.json()["code"] == "document_reversed"


async def test_a_unit_that_is_not_there_is_short_and_nothing_moves(
    world: World, stock: Stock
) -> None:
    s = stock
    before = await balances(world, s.item)
    ghost = code("SN")

    async def refused(lines: list[dict], source: str | None = None) -> dict:
        source = source or s.place
        response = await world.stock.post(
            "/v1/transfers",
            json={
                "from_location_code": source,
                "to_location_code": s.other if source == s.place else s.place,
                "lines": lines,
            },
        )
        assert response.status_code == 409, response.text
        return response.json()

    # a defective unit taken as qualified (the default state)
    problem = await refused([line(s.item, [s.qualified[0]]), line(s.item, [s.defective[0]])])
    assert problem["code"] == "insufficient_stock"
    assert (problem["serial_number"], problem["lot_number"], problem["quality_state"]) == (
        s.defective[0],
        s.lot,
        "qualified",
    )
    assert (problem["available"], problem["needed"], problem["location_code"]) == (
        "0",
        "1",
        s.place,
    )
    assert s.defective[0] in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["body.lines.1.serial_numbers"]
    # a unit never received
    problem = await refused([line(s.item, [ghost])])
    assert problem["serial_number"] == ghost and problem["lot_number"] is None
    # a unit at another location
    problem = await refused([line(s.item, [s.qualified[0]])], source=s.other)
    assert problem["serial_number"] == s.qualified[0] and problem["location_code"] == s.other
    # a unit named in a lot it is not in
    other_lot = code("B")
    await receive(world, s.item, s.place, [code("SN")], other_lot)
    problem = await refused([line(s.item, [s.qualified[1]], lot_number=other_lot)])
    assert (problem["serial_number"], problem["lot_number"]) == (s.qualified[1], other_lot)
    assert [e["field"] for e in problem["errors"]] == ["body.lines.0.serial_numbers"]

    after = await balances(world, s.item)
    assert {sn: after[sn] for sn in before} == before
    assert (await world.stock.get("/v1/transfers")).json()["items"] == []
    assert all(
        status == "in_stock" and place == s.place
        for sn, (status, place, _, _) in (await serials(world, s.item)).items()
        if sn in before
    )


async def test_serial_lines_are_checked_field_by_field(world: World, stock: Stock) -> None:
    s = stock
    plain = await make_item(world, tracking="none")
    before = await balances(world, s.item)
    response = await world.stock.post(
        "/v1/transfers",
        json={
            "from_location_code": s.place,
            "to_location_code": s.other,
            "lines": [
                {"item_code": s.item, "quantity": "2"},  # no serials
                {"item_code": s.item, "quantity": "3", "serial_numbers": s.qualified[:2]},
                {"item_code": s.item, "quantity": "2", "serial_numbers": [s.defective[0]] * 2},
                line(s.item, [s.qualified[2], s.qualified[0]]),  # the first also on line 1
                line(plain, ["X-1"]),  # not serial-tracked
                line(s.item, [s.qualified[2]], lot_number="NO-SUCH-LOT"),
            ],
        },
    )
    assert response.status_code == 422, response.text
    errors = [(e["field"], e["type"], e["message"]) for e in response.json()["errors"]]
    assert [(field, kind) for field, kind, _ in errors] == [
        ("body.lines.0.serial_numbers", "missing"),
        ("body.lines.1.serial_numbers", "invalid"),
        ("body.lines.2.serial_numbers", "duplicate"),
        ("body.lines.3.serial_numbers", "duplicate"),
        ("body.lines.4.serial_numbers", "invalid"),
        ("body.lines.5.serial_numbers", "duplicate"),
        ("body.lines.5.lot_number", "not_found"),
    ]
    assert errors[1][2] == "2 serial number(s) for a quantity of 3"
    assert errors[3][2] == f"serial {s.qualified[0]} of {s.item} is already on line 2"
    assert errors[4][2] == f"item {plain} is not serial-tracked"
    assert await balances(world, s.item) == before
    assert (await world.stock.get("/v1/transfers")).json()["items"] == []


async def test_two_transfers_of_one_unit_move_it_once(world: World, stock: Stock) -> None:
    s = stock
    third = await make_location(world)
    results = await asyncio.gather(
        *(
            world.stock.post(
                "/v1/transfers",
                json={
                    "from_location_code": s.place,
                    "to_location_code": target,
                    "lines": [line(s.item, [s.qualified[0]])],
                },
            )
            for target in (s.other, third)
        )
    )
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    (winner,) = [r.json() for r in results if r.status_code == 201]
    target = winner["to_location_code"]
    assert (await balances(world, s.item))[s.qualified[0]] == (target, s.lot, "qualified", D(1))
    assert (await serials(world, s.item))[s.qualified[0]][:2] == ("in_stock", target)


async def test_a_retried_transfer_moves_the_units_once(world: World, stock: Stock) -> None:
    s = stock
    body = {
        "from_location_code": s.place,
        "to_location_code": s.other,
        "lines": [line(s.item, s.qualified)],
    }
    headers = {"Idempotency-Key": code("key")}
    first = await world.stock.post("/v1/transfers", json=body, headers=headers)
    second = await world.stock.post("/v1/transfers", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert len((await world.stock.get("/v1/transfers")).json()["items"]) == 1
    moved = await balances(world, s.item)
    assert {sn: moved[sn][0] for sn in s.qualified} == dict.fromkeys(s.qualified, s.other)


# --- scrap, supplier returns, customer returns -----------------------------------------------


async def test_scrap_takes_units_off_the_books_and_reversal_brings_them_back(
    world: World, stock: Stock
) -> None:
    s = stock
    posted = await world.stock.post(
        "/v1/scraps",
        json={
            "location_code": s.place,
            "reason": "water damage",
            "lines": [
                line(s.item, [s.defective[0]]),
                line(s.item, [s.qualified[0]], **{"quality_state": "qualified"}),
            ],
        },
    )
    assert posted.status_code == 201, posted.text
    doc = posted.json()
    assert [ln["serial_numbers"] for ln in doc["lines"]] == [[s.defective[0]], [s.qualified[0]]]
    assert units(doc) == [
        (s.defective[0], s.lot, s.place, "VIRTUAL/SCRAPPED", "defective", "defective", D(1), False),
        (s.qualified[0], s.lot, s.place, "VIRTUAL/SCRAPPED", "qualified", "qualified", D(1), False),
    ]
    left = await balances(world, s.item)
    assert s.defective[0] not in left and s.qualified[0] not in left and len(left) == 3
    found = await serials(world, s.item)
    assert found[s.defective[0]] == ("scrapped", None, None, s.lot)
    assert found[s.qualified[0]] == ("scrapped", None, None, s.lot)
    # a scrapped unit is gone: scrapping it again is short
    again = await world.stock.post(
        "/v1/scraps",
        json={
            "location_code": s.place,
            "reason": "again",
            "lines": [line(s.item, [s.defective[0]])],
        },
    )
    assert again.status_code == 409 and again.json()["serial_number"] == s.defective[0]

    reversed_ = await world.stock.post(f"/v1/scraps/{doc['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    back = await balances(world, s.item)
    assert back[s.defective[0]] == (s.place, s.lot, "defective", D(1))
    assert back[s.qualified[0]] == (s.place, s.lot, "qualified", D(1))
    found = await serials(world, s.item)
    assert found[s.defective[0]] == ("in_stock", s.place, "defective", s.lot)
    assert [h[0] for h in await history(world, s.item, s.defective[0])][-2:] == ["scrap", "scrap"]


async def test_supplier_return_sends_units_back_and_a_customer_cannot_return_them(
    world: World, stock: Stock
) -> None:
    s = stock
    posted = await world.stock.post(
        "/v1/supplier-returns",
        json={
            "location_code": s.place,
            "counterparty": "Foxconn",
            "lines": [line(s.item, s.defective)],
        },
    )
    assert posted.status_code == 201, posted.text
    doc = posted.json()
    assert doc["lines"][0]["serial_numbers"] == s.defective
    assert [u[0] for u in units(doc)] == s.defective
    found = await serials(world, s.item)
    assert {sn: found[sn][0] for sn in s.defective} == dict.fromkeys(s.defective, "returned")
    assert not set(s.defective) & set(await balances(world, s.item))
    # qualified units still in stock may not be returned from pending inspection either
    pending = await world.stock.post(
        "/v1/supplier-returns",
        json={
            "location_code": s.place,
            "counterparty": "Foxconn",
            "lines": [line(s.item, [s.qualified[0]], quality_state="defective")],
        },
    )
    assert pending.status_code == 409 and pending.json()["serial_number"] == s.qualified[0]
    # units returned to the supplier did not go to a customer
    refused = await world.stock.post(
        "/v1/customer-returns",
        json={
            "location_code": s.place,
            "counterparty": "ACME",
            "lines": [line(s.item, [s.defective[0]])],
        },
    )
    assert refused.status_code == 409 and refused.json()["code"] == "serial_conflict"
    assert [e["field"] for e in refused.json()["errors"]] == ["body.lines.0.serial_numbers"]

    reversed_ = await world.stock.post(f"/v1/supplier-returns/{doc['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    back = await balances(world, s.item)
    assert {sn: back[sn] for sn in s.defective} == {
        sn: (s.place, s.lot, "defective", D(1)) for sn in s.defective
    }
    found = await serials(world, s.item)
    assert {sn: found[sn][0] for sn in s.defective} == dict.fromkeys(s.defective, "in_stock")


async def test_a_customer_returns_shipped_units_pending_inspection(
    world: World, stock: Stock
) -> None:
    s = stock
    shipped = s.qualified[:2]
    await ship(world, s.item, s.place, shipped, s.lot)
    assert {sn: (await serials(world, s.item))[sn][0] for sn in shipped} == dict.fromkeys(
        shipped, "shipped"
    )
    returns = await world.stock.post(
        "/v1/customer-returns",
        json={
            "location_code": s.other,
            "counterparty": "ACME",
            "reference": "RMA-7",
            "lines": [line(s.item, [shipped[0]]), line(s.item, [shipped[1]], lot_number=s.lot)],
        },
    )
    assert returns.status_code == 201, returns.text
    doc = returns.json()
    assert [ln["serial_numbers"] for ln in doc["lines"]] == [[shipped[0]], [shipped[1]]]
    assert units(doc) == [
        (sn, s.lot, CUSTOMER, s.other, "pending_inspection", "pending_inspection", D(1), False)
        for sn in shipped
    ]
    back = await balances(world, s.item)
    assert {sn: back[sn] for sn in shipped} == {
        sn: (s.other, s.lot, "pending_inspection", D(1)) for sn in shipped
    }
    found = await serials(world, s.item)
    assert {sn: found[sn] for sn in shipped} == {
        sn: ("in_stock", s.other, "pending_inspection", s.lot) for sn in shipped
    }
    # once a returned unit is inspected, the return cannot be taken back: the unit moved on
    accepted = await inspect(world, s.item, s.other, [shipped[0]], [])
    assert accepted.status_code == 201, accepted.text
    refused = await world.stock.post(f"/v1/customer-returns/{doc['id']}/reverse")
    assert refused.status_code == 409, refused.text
    assert (refused.json()["code"], refused.json()["serial_number"]) == (
        "insufficient_stock",
        shipped[0],
    )
    assert "cannot be reversed" in refused.json()["detail"]
    assert (await serials(world, s.item))[shipped[0]][:3] == ("in_stock", s.other, "qualified")
    undone = await world.stock.post(
        f"/v1/inspections/{accepted.json()['id']}/reverse", headers=auth("qc")
    )
    assert undone.status_code == 200, undone.text

    reversed_ = await world.stock.post(f"/v1/customer-returns/{doc['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    assert not set(shipped) & set(await balances(world, s.item))
    assert [h[0] for h in await history(world, s.item, shipped[0])] == [
        "purchase_receipt",
        "inspection",
        "shipment",
        "customer_return",
        "inspection",
        "inspection",
        "customer_return",
    ]
    found = await serials(world, s.item)
    assert {sn: found[sn][0] for sn in shipped} == dict.fromkeys(shipped, "shipped")


async def test_a_customer_return_of_units_never_shipped_changes_nothing(
    world: World, stock: Stock
) -> None:
    s = stock
    await ship(world, s.item, s.place, [s.qualified[0]], s.lot)
    other_lot = code("B")
    await receive(world, s.item, s.other, [code("SN")], other_lot)
    before = await balances(world, s.item)
    ghost = code("SN")
    response = await world.stock.post(
        "/v1/customer-returns",
        json={
            "location_code": s.place,
            "counterparty": "ACME",
            "lines": [
                line(s.item, [s.qualified[0]]),  # shipped: fine
                line(s.item, [ghost]),  # never seen
                line(s.item, [s.qualified[1]]),  # still in stock
                line(s.item, [s.qualified[0]], lot_number=other_lot),  # wrong lot, twice
            ],
        },
    )
    assert response.status_code == 422, response.text  # the same unit on two lines
    assert [e["field"] for e in response.json()["errors"]] == ["body.lines.3.serial_numbers"]
    response = await world.stock.post(
        "/v1/customer-returns",
        json={
            "location_code": s.place,
            "counterparty": "ACME",
            "lines": [
                line(s.item, [ghost]),
                line(s.item, [s.qualified[1]]),
                line(s.item, [s.qualified[0]], lot_number=other_lot),
            ],
        },
    )
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "serial_conflict"
    assert [(e["field"], e["message"]) for e in problem["errors"]] == [
        ("body.lines.0.serial_numbers", f"serial {ghost} of {s.item} was never in stock"),
        (
            "body.lines.1.serial_numbers",
            f"serial {s.qualified[1]} of {s.item} is in_stock, not shipped",
        ),
        (
            "body.lines.2.serial_numbers",
            f"serial {s.qualified[0]} of {s.item} is not of lot {other_lot}",
        ),
    ]
    assert await balances(world, s.item) == before
    assert (await world.stock.get("/v1/customer-returns")).json()["items"] == []
    assert ghost not in await serials(world, s.item)


# --- inspections -----------------------------------------------------------------------------


async def test_an_inspection_names_the_units_it_accepts_and_rejects(world: World) -> None:
    item, place, quarantine, lot = (
        await make_item(world),
        await make_location(world),
        await make_location(world, "WH1/QA"),
        code("B"),
    )
    received = [code("SN") for _ in range(4)]
    await receive(world, item, place, received, lot)
    posted = await inspect(
        world,
        item,
        place,
        received[:2],
        received[2:3],
        rejected_location_code=quarantine,
        defects=[{"code": "NO-BOOT", "quantity": 1}],
    )
    assert posted.status_code == 201, posted.text
    doc = posted.json()
    assert (doc["accepted_serial_numbers"], doc["rejected_serial_numbers"]) == (
        received[:2],
        received[2:3],
    )
    assert (doc["result"], doc["lot"]) == ("partial", None)
    assert units(doc) == [
        (received[0], lot, place, place, "pending_inspection", "qualified", D(1), False),
        (received[1], lot, place, place, "pending_inspection", "qualified", D(1), False),
        (received[2], lot, place, quarantine, "pending_inspection", "defective", D(1), False),
    ]
    assert await balances(world, item) == {
        received[0]: (place, lot, "qualified", D(1)),
        received[1]: (place, lot, "qualified", D(1)),
        received[2]: (quarantine, lot, "defective", D(1)),
        received[3]: (place, lot, "pending_inspection", D(1)),
    }
    assert (await serials(world, item))[received[2]] == ("in_stock", quarantine, "defective", lot)
    stored = (await world.stock.get(f"/v1/inspections/{doc['id']}")).json()
    assert stored["accepted_serial_numbers"] == received[:2]
    assert stored["rejected_serial_numbers"] == received[2:3]
    listed = (await world.stock.get("/v1/inspections", params={"item_code": item})).json()
    assert [d["rejected_serial_numbers"] for d in listed["items"]] == [received[2:3]]
    (event,) = [
        e for e in await events_of(world, "InspectionPosted") if e["payload"]["item_code"] == item
    ]
    assert event["payload"]["accepted_serial_numbers"] == received[:2]

    # a unit already inspected is no longer pending: 409 naming it, nothing moves
    again = await inspect(world, item, place, [received[3]], [received[0]], lot_number=lot)
    assert again.status_code == 409, again.text
    problem = again.json()
    assert (problem["code"], problem["serial_number"]) == ("insufficient_stock", received[0])
    assert [e["field"] for e in problem["errors"]] == ["body.rejected_serial_numbers"]
    assert (await balances(world, item))[received[3]] == (place, lot, "pending_inspection", D(1))

    reversed_ = await world.stock.post(f"/v1/inspections/{doc['id']}/reverse", headers=auth("qc"))
    assert reversed_.status_code == 200, reversed_.text
    assert await balances(world, item) == {
        sn: (place, lot, "pending_inspection", D(1)) for sn in received
    }
    found = await serials(world, item)
    assert {sn: found[sn][1:3] for sn in received} == dict.fromkeys(
        received, (place, "pending_inspection")
    )


async def test_an_inspection_in_a_named_lot_takes_only_units_of_that_lot(world: World) -> None:
    item, place = await make_item(world), await make_location(world)
    first, second = code("B"), code("B")
    one, two = code("SN"), code("SN")
    await receive(world, item, place, [one], first)
    await receive(world, item, place, [two], second)
    wrong = await inspect(world, item, place, [one, two], [], lot_number=first)
    assert wrong.status_code == 409, wrong.text
    assert (wrong.json()["serial_number"], wrong.json()["lot_number"]) == (two, first)
    assert [e["field"] for e in wrong.json()["errors"]] == ["body.accepted_serial_numbers"]
    right = await inspect(world, item, place, [one], [], lot_number=first)
    assert right.status_code == 201, right.text
    assert right.json()["lot"]["lot_number"] == first
    assert (await balances(world, item)) == {
        one: (place, first, "qualified", D(1)),
        two: (place, second, "pending_inspection", D(1)),
    }


async def test_inspection_serial_lists_are_checked(world: World) -> None:
    item, plain, place = (
        await make_item(world),
        await make_item(world, tracking="none"),
        await make_location(world),
    )
    received = [code("SN") for _ in range(3)]
    await receive(world, item, place, received, None)

    async def fields(body: dict) -> list[tuple[str, str]]:
        response = await world.stock.post("/v1/inspections", json=body, headers=auth("qc"))
        assert response.status_code == 422, response.text
        return [(e["field"], e["type"]) for e in response.json()["errors"]]

    missing = inspection(item, place, [], [])
    missing.update(accepted_quantity="2", rejected_quantity="1")
    assert await fields(missing) == [
        ("body.accepted_serial_numbers", "missing"),
        ("body.rejected_serial_numbers", "missing"),
    ]
    miscounted = inspection(item, place, received[:2], [received[2]], accepted_quantity="1")
    assert await fields(miscounted) == [("body.accepted_serial_numbers", "invalid")]
    both = inspection(item, place, received[:2], [received[1]])
    assert await fields(both) == [("body.rejected_serial_numbers", "duplicate")]
    twice = inspection(item, place, [received[0], received[0]], [])
    assert await fields(twice) == [("body.accepted_serial_numbers", "duplicate")]
    not_serial = inspection(plain, place, ["X-1"], [])
    assert await fields(not_serial) == [("body.accepted_serial_numbers", "invalid")]
    assert await balances(world, item) == {
        sn: (place, None, "pending_inspection", D(1)) for sn in received
    }
    assert (await world.stock.get("/v1/inspections")).json()["items"] == []
