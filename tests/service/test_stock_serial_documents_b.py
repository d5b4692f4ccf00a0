"""Serial-tracked units through requisitions, production receipts and shipments: named on
the lines, one movement of quantity 1 each with its own lot, kept on the documents and in
their events, taken only where they are qualified in scope, reversible; on SQLite and
PostgreSQL with catalog and trace in-process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location

PR = "/v1/production-receipts"
PRODUCTION, CUSTOMER = "VIRTUAL/PRODUCTION", "VIRTUAL/CUSTOMER"
QC = auth("qc")
D = Decimal


async def place(s: Slice, prefix: str, location_type: str) -> str:
    location = code(prefix)
    body = {"code": location, "name": location, "location_type": location_type}
    made = await s.stock.post("/v1/locations", json=body)
    assert made.status_code == 201, made.text
    return location


def units(item: str, serials: list[str], lot: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_code": item,
        "quantity": str(len(serials)),
        "serial_numbers": serials,
    }
    if lot is not None:
        body["lot_number"] = lot
    return body


async def produce(
    s: Slice,
    to: str,
    outputs: list[dict[str, Any]],
    components: list[dict[str, Any]] | None = None,
    wip: str | None = None,
    **header: Any,
) -> dict[str, Any]:
    body = {
        "work_order": header.pop("work_order", "WO-1"),
        "to_location_code": to,
        "outputs": outputs,
        "components": components or [],
        **({"wip_location_code": wip} if wip else {}),
        **header,
    }
    posted = await s.stock.post(PR, json=body)
    assert posted.status_code == 201, posted.text
    doc: dict[str, Any] = posted.json()
    return doc


async def requisition(
    s: Slice, line: str, lines: list[dict[str, Any]], **header: Any
) -> dict[str, Any]:
    created = await s.stock.post(
        "/v1/requisitions",
        json={"work_order": code("WO"), "to_location_code": line, "lines": lines, **header},
    )
    assert created.status_code == 201, created.text
    doc_id = created.json()["id"]
    submitted = await s.stock.post(f"/v1/requisitions/{doc_id}/submit")
    assert submitted.status_code == 200, submitted.text
    doc: dict[str, Any] = submitted.json()
    return doc


async def issue(s: Slice, line: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    doc = await requisition(s, line, lines)
    posted = await s.stock.post(f"/v1/requisitions/{doc['id']}/post")
    assert posted.status_code == 200, posted.text
    out: dict[str, Any] = posted.json()
    return out


def shipment(location: str, *lines: dict[str, Any]) -> dict[str, Any]:
    return {
        "sales_order": "SO-7",
        "customer": "ACME Robotics",
        "from_location_code": location,
        "lines": list(lines),
    }


async def balances(s: Slice, item: str) -> dict[tuple[str, str | None, str | None, str], Decimal]:
    """Every non-zero balance of `item` by (location, lot, serial, state)."""
    rows = (await s.stock.get("/v1/balances", params={"item_code": item, "limit": 500})).json()
    return {
        (b["location_code"], b["lot_number"], b["serial_number"], b["quality_state"]): D(
            b["quantity"]
        )
        for b in rows["items"]
    }


async def serials(s: Slice, item: str) -> dict[str, tuple[str, str | None, str | None]]:
    """Every unit of `item`: (status, location, lot)."""
    rows = (await s.stock.get("/v1/serials", params={"item_code": item, "limit": 500})).json()
    return {
        r["serial_number"]: (r["status"], r["location_code"], r["lot_number"])
        for r in rows["items"]
    }


def moved(doc: dict[str, Any]) -> list[tuple[str, str | None, str | None, str, str, Decimal]]:
    return [
        (
            m["item_code"],
            m["lot_number"],
            m["serial_number"],
            m["from_location"],
            m["to_location"],
            D(m["quantity"]),
        )
        for m in doc["movements"]
    ]


async def events_of(s: Slice, *types: str) -> list[dict[str, Any]]:
    feed = (await s.stock.get("/v1/events", params={"limit": 1000})).json()["events"]
    return [e for e in feed if e["type"] in types]


async def ledger_count(s: Slice, item: str) -> int:
    rows = (await s.stock.get("/v1/movements", params={"item_code": item, "limit": 500})).json()
    return len(rows["items"])


@dataclass
class Plant:
    """A store holding three qualified modules M1..M3 (lot MOD-L1, worth 3 each, produced
    from 6 of an untracked raw material at 1.5), a production line holding 4 more of the raw
    material, a finished-goods location; boards are produced from modules."""

    raw: str  # untracked raw material
    module: str  # semi-finished, serial-tracked
    board: str  # finished good, serial-tracked
    store: str
    line: str
    fg: str
    m: list[str]  # the modules' serial numbers
    made: dict[str, Any]  # the production receipt that made them


@pytest.fixture
async def plant(wired: Slice) -> Plant:
    s = wired
    raw = await make_item(s, tracking="none")
    module = await make_item(s, tracking="serial", item_type="semi_finished")
    board = await make_item(s, tracking="serial", item_type="finished_good")
    store = await make_location(s)
    line = await place(s, "LINE", "production_line")
    fg = await place(s, "WH1/FG", "finished_goods")
    received = await s.stock.post(
        "/v1/receipts",
        json={"item_code": raw, "location_code": store, "quantity": "10", "unit_price": "1.5"},
    )
    assert received.status_code == 201, received.text
    qc = {
        "item_code": raw,
        "lot_number": None,
        "location_code": store,
        "accepted_quantity": "10",
        "rejected_quantity": "0",
        "sample_size": 1,
        "inspector": "QC Li",
    }
    assert (await s.stock.post("/v1/inspections", json=qc, headers=QC)).status_code == 201
    await issue(s, line, [{"item_code": raw, "quantity": "10"}])
    m = [code("M") for _ in range(3)]
    made = await produce(
        s,
        store,
        [units(module, m, "MOD-L1")],
        [{"item_code": raw, "quantity": "6"}],
        wip=line,
    )
    return Plant(raw, module, board, store, line, fg, m, made)


# --- the happy path ----------------------------------------------------------------------------


async def test_units_travel_from_production_through_the_line_to_the_customer(
    wired: Slice, plant: Plant
) -> None:
    s, p = wired, plant
    m1, m2, m3 = p.m
    # produced: one movement of one unit per serial, with the lot, at consumed value / units
    assert [(o["serial_numbers"], o["lot_number"], o["quantity"]) for o in p.made["outputs"]] == [
        ([m1, m2, m3], "MOD-L1", "3")
    ]
    assert moved(p.made)[1:] == [
        (p.module, "MOD-L1", serial, PRODUCTION, p.store, D(1)) for serial in p.m
    ]
    assert [D(m["value"]) for m in p.made["movements"]] == [D(9), D(3), D(3), D(3)]
    assert await serials(s, p.module) == {serial: ("in_stock", p.store, "MOD-L1") for serial in p.m}

    # issued to the line: the named units, each from where it is, with its lot
    doc = await requisition(s, p.line, [units(p.module, [m3, m1])])
    assert [ln["serial_numbers"] for ln in doc["lines"]] == [[m3, m1]]
    got = (await s.stock.get(f"/v1/requisitions/{doc['id']}")).json()
    assert got["lines"] == doc["lines"]
    suggestion = (await s.stock.get(f"/v1/requisitions/{doc['id']}/suggestion")).json()
    assert [
        (x["line_no"], x["location_code"], x["lot_number"], x["serial_number"], x["quantity"])
        for x in suggestion["picks"]
    ] == [(1, p.store, "MOD-L1", m3, "1"), (1, p.store, "MOD-L1", m1, "1")]
    assert suggestion["shortages"] == []
    posted = await s.stock.post(f"/v1/requisitions/{doc['id']}/post")
    assert posted.status_code == 200, posted.text
    issued = posted.json()
    assert moved(issued) == [
        (p.module, "MOD-L1", m3, p.store, p.line, D(1)),
        (p.module, "MOD-L1", m1, p.store, p.line, D(1)),
    ]
    assert [D(m["value"]) for m in issued["movements"]] == [D(3), D(3)]
    assert await balances(s, p.module) == {
        (p.line, "MOD-L1", m1, "qualified"): D(1),
        (p.line, "MOD-L1", m3, "qualified"): D(1),
        (p.store, "MOD-L1", m2, "qualified"): D(1),
    }

    # consumed into boards: the boards come in at what the modules were worth
    b1, b2 = code("B"), code("B")
    built = await produce(
        s, p.fg, [units(p.board, [b1, b2])], [units(p.module, [m1, m3])], wip=p.line
    )
    assert [
        (c["line_no"], c["lot_number"], c["quantity"], c["backflushed"], c["serial_numbers"])
        for c in built["components"]
    ] == [(1, "MOD-L1", "2", False, [m1, m3])]
    assert [o["serial_numbers"] for o in built["outputs"]] == [[b1, b2]]
    assert moved(built) == [
        (p.module, "MOD-L1", m1, p.line, PRODUCTION, D(1)),
        (p.module, "MOD-L1", m3, p.line, PRODUCTION, D(1)),
        (p.board, None, b1, PRODUCTION, p.fg, D(1)),
        (p.board, None, b2, PRODUCTION, p.fg, D(1)),
    ]
    assert [D(m["value"]) for m in built["movements"]] == [D(3)] * 4
    assert (await s.stock.get(f"{PR}/{built['id']}")).json() == built
    assert await serials(s, p.module) == {
        m1: ("consumed", None, "MOD-L1"),
        m2: ("in_stock", p.store, "MOD-L1"),
        m3: ("consumed", None, "MOD-L1"),
    }

    # shipped: the named unit leaves, the other stays
    response = await s.stock.post("/v1/shipments", json=shipment(p.fg, units(p.board, [b2])))
    assert response.status_code == 201, response.text
    shipped = response.json()
    assert [(ln["line_no"], ln["quantity"], ln["serial_numbers"]) for ln in shipped["lines"]] == [
        (1, "1", [b2])
    ]
    assert moved(shipped) == [(p.board, None, b2, p.fg, CUSTOMER, D(1))]
    assert (await s.stock.get(f"/v1/shipments/{shipped['id']}")).json() == shipped
    assert await balances(s, p.board) == {(p.fg, None, b1, "qualified"): D(1)}
    assert await serials(s, p.board) == {
        b1: ("in_stock", p.fg, None),
        b2: ("shipped", None, None),
    }

    # the events carry the units (trace builds the serial genealogy from them)
    found = await events_of(s, "RequisitionPosted", "ProductionReceiptPosted", "ShipmentPosted")
    by_type = {e["type"]: e["payload"] for e in found}
    assert by_type["RequisitionPosted"]["lines"][0]["serial_numbers"] == [m3, m1]
    assert by_type["ProductionReceiptPosted"]["components"][0]["serial_numbers"] == [m1, m3]
    assert by_type["ProductionReceiptPosted"]["outputs"][0]["serial_numbers"] == [b1, b2]
    assert by_type["ShipmentPosted"]["lines"][0]["serial_numbers"] == [b2]
    movements = await events_of(s, "MovementPosted")
    assert [e["payload"]["serial_number"] for e in movements[-1:]] == [b2]
    unit = (
        await s.stock.get("/v1/serials", params={"item_code": p.board, "serial_number": b2})
    ).json()["items"][0]
    history = (await s.stock.get(f"/v1/serials/{unit['id']}")).json()["history"]
    assert [h["document_type"] for h in history] == ["production_receipt", "shipment"]


# --- reversals -------------------------------------------------------------------------------


async def test_reversals_carry_the_units_back_and_a_corrected_receipt_may_reuse_them(
    wired: Slice, plant: Plant
) -> None:
    s, p = wired, plant
    m1, m2, m3 = p.m
    issued = await issue(s, p.line, [units(p.module, [m1, m2])])
    b1, b2 = code("B"), code("B")
    built = await produce(
        s, p.fg, [units(p.board, [b1, b2])], [units(p.module, [m1, m2])], wip=p.line
    )
    response = await s.stock.post("/v1/shipments", json=shipment(p.fg, units(p.board, [b1])))
    assert response.status_code == 201, response.text
    shipped = response.json()

    back = await s.stock.post(f"/v1/shipments/{shipped['id']}/reverse")
    assert back.status_code == 200, back.text
    assert moved(back.json())[1:] == [(p.board, None, b1, CUSTOMER, p.fg, D(1))]
    assert (await serials(s, p.board))[b1] == ("in_stock", p.fg, None)

    undone = await s.stock.post(f"{PR}/{built['id']}/reverse")
    assert undone.status_code == 200, undone.text
    assert moved(undone.json())[4:] == [  # newest first
        (p.board, None, b2, p.fg, PRODUCTION, D(1)),
        (p.board, None, b1, p.fg, PRODUCTION, D(1)),
        (p.module, "MOD-L1", m2, PRODUCTION, p.line, D(1)),
        (p.module, "MOD-L1", m1, PRODUCTION, p.line, D(1)),
    ]
    assert await balances(s, p.board) == {}
    assert await serials(s, p.module) == {
        m1: ("in_stock", p.line, "MOD-L1"),
        m2: ("in_stock", p.line, "MOD-L1"),
        m3: ("in_stock", p.store, "MOD-L1"),
    }

    # the corrected receipt produces the same boards again, from one module
    again = await produce(s, p.fg, [units(p.board, [b1, b2])], [units(p.module, [m1])], wip=p.line)
    assert [o["serial_numbers"] for o in again["outputs"]] == [[b1, b2]]
    assert await serials(s, p.board) == {b1: ("in_stock", p.fg, None), b2: ("in_stock", p.fg, None)}

    # the requisition cannot be reversed: m1 moved on from the line; nothing changes
    before = await balances(s, p.module)
    refused = await s.stock.post(f"/v1/requisitions/{issued['id']}/reverse")
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "insufficient_stock"
    assert problem["detail"].startswith(f"requisition {issued['number']} cannot be reversed")
    assert (problem["item_code"], problem["available"], problem["needed"]) == (p.module, "0", "1")
    assert await balances(s, p.module) == before
    assert (await s.stock.get(f"/v1/requisitions/{issued['id']}")).json()["status"] == "posted"


async def test_outputs_name_new_units(wired: Slice, plant: Plant) -> None:
    s, p = wired, plant
    m1, m2, _ = p.m
    b1 = code("B")
    await produce(s, p.fg, [units(p.board, [b1])])
    response = await s.stock.post("/v1/shipments", json=shipment(p.fg, units(p.board, [b1])))
    assert response.status_code == 201, response.text
    fresh = code("B")
    for outputs, field, says in [
        ([units(p.module, [m1])], "body.outputs.0.serial_numbers", "already in stock"),
        (
            [units(p.board, [fresh]), units(p.board, [b1])],
            "body.outputs.1.serial_numbers",
            "was shipped",
        ),
    ]:
        refused = await s.stock.post(
            PR, json={"work_order": "WO-9", "to_location_code": p.store, "outputs": outputs}
        )
        assert refused.status_code == 409, refused.text
        problem = refused.json()
        assert problem["code"] == "serial_conflict"
        assert [(e["field"], e["type"]) for e in problem["errors"]] == [(field, "conflict")]
        assert says in problem["errors"][0]["message"]
    # consumed as a component is not "produced and reversed": it cannot come out again
    await issue(s, p.line, [units(p.module, [m2])])
    await produce(s, p.fg, [units(p.board, [code("B")])], [units(p.module, [m2])], wip=p.line)
    before = {**await balances(s, p.board), **await balances(s, p.module)}
    reborn = await s.stock.post(
        PR,
        json={
            "work_order": "WO-9",
            "to_location_code": p.store,
            "outputs": [units(p.module, [m2])],
        },
    )
    assert reborn.status_code == 409 and reborn.json()["code"] == "serial_conflict"
    assert "was consumed" in reborn.json()["errors"][0]["message"]
    assert {**await balances(s, p.board), **await balances(s, p.module)} == before
    assert fresh not in await serials(s, p.board)
    assert (await s.stock.get(PR, params={"work_order": "WO-9"})).json()["items"] == []


# --- named units must be qualified in scope ----------------------------------------------------


async def test_requisition_units_must_be_qualified_in_scope(wired: Slice, plant: Plant) -> None:
    s, p = wired, plant
    m1, m2, m3 = p.m
    pending, never = code("P"), code("X")
    received = await s.stock.post(
        "/v1/receipts",
        json={
            "item_code": p.module,
            "location_code": p.store,
            "quantity": "1",
            "serial_numbers": [pending],
        },
    )
    assert received.status_code == 201, received.text
    before = {**await balances(s, p.module), **await balances(s, p.raw)}
    doc = await requisition(
        s,
        p.line,
        [units(p.module, [m1, pending, never]), {"item_code": p.raw, "quantity": "5"}],
    )
    suggestion = (await s.stock.get(f"/v1/requisitions/{doc['id']}/suggestion")).json()
    assert [(x["serial_number"], x["location_code"]) for x in suggestion["picks"]] == [
        (m1, p.store)
    ]
    assert [
        (x["line_no"], x["available"], x["needed"], x["serial_numbers"])
        for x in suggestion["shortages"]
    ] == [(1, "1", "3", [pending, never]), (2, "0", "5", [])]
    short = await s.stock.post(f"/v1/requisitions/{doc['id']}/post")
    assert short.status_code == 409, short.text
    problem = short.json()
    assert problem["code"] == "insufficient_stock"
    assert (problem["item_code"], problem["available"], problem["needed"]) == (p.module, "1", "3")
    assert problem["serial_numbers"] == [pending, never]
    assert [e["field"] for e in problem["errors"]] == ["lines.0.serial_numbers", "lines.1.quantity"]
    message = problem["errors"][0]["message"]
    assert f"{pending} of {p.module} is at {p.store} (pending_inspection)" in message
    assert f"{never} of {p.module} was never received" in message
    assert pending in problem["detail"]
    assert {**await balances(s, p.module), **await balances(s, p.raw)} == before
    again = (await s.stock.get(f"/v1/requisitions/{doc['id']}")).json()
    assert again["status"] == "submitted" and again["movements"] == []

    # only the stores under from_location_code count
    elsewhere = await make_location(s)
    scoped = await requisition(s, p.line, [units(p.module, [m2])], from_location_code=elsewhere)
    refused = await s.stock.post(f"/v1/requisitions/{scoped['id']}/post")
    assert refused.status_code == 409
    assert refused.json()["location_code"] == elsewhere
    assert f"is at {p.store} (qualified)" in refused.json()["errors"][0]["message"]

    # a line naming a lot takes only units of that lot
    other_lot = code("B")
    await produce(s, p.store, [units(p.module, [other_lot], "MOD-L2")])
    lot_line = await requisition(s, p.line, [units(p.module, [m3], "MOD-L2")])
    wrong = await s.stock.post(f"/v1/requisitions/{lot_line['id']}/post")
    assert wrong.status_code == 409
    assert wrong.json()["lot_number"] == "MOD-L2"
    assert "is in lot MOD-L1, not MOD-L2" in wrong.json()["errors"][0]["message"]
    assert await serials(s, p.module) == {
        m1: ("in_stock", p.store, "MOD-L1"),
        m2: ("in_stock", p.store, "MOD-L1"),
        m3: ("in_stock", p.store, "MOD-L1"),
        pending: ("in_stock", p.store, None),
        other_lot: ("in_stock", p.store, "MOD-L2"),
    }


async def test_shipments_take_qualified_unexpired_units_at_their_location(
    wired: Slice, plant: Plant
) -> None:
    s, p = wired, plant
    perishable = await make_item(
        s, tracking="serial", item_type="finished_good", shelf_life_days=365
    )
    old, young = code("OLD"), code("NEW")
    long_ago = (datetime.now(UTC) - timedelta(days=400)).isoformat()
    await produce(s, p.fg, [units(perishable, [old], "LOT-OLD")], posted_at=long_ago)
    await produce(s, p.fg, [units(perishable, [young], "LOT-NEW")])
    before = await balances(s, perishable)
    stale = await s.stock.post("/v1/shipments", json=shipment(p.fg, units(perishable, [old])))
    assert stale.status_code == 409, stale.text
    assert "is in lot LOT-OLD, which expired on" in stale.json()["errors"][0]["message"]
    assert [e["field"] for e in stale.json()["errors"]] == ["body.lines.0.serial_numbers"]
    named = await s.stock.post(
        "/v1/shipments", json=shipment(p.fg, units(perishable, [old], "LOT-OLD"))
    )
    assert named.status_code == 422
    assert [(e["field"], e["type"]) for e in named.json()["errors"]] == [
        ("body.lines.0.lot_number", "expired")
    ]
    other = await place(s, "WH1/FG", "finished_goods")
    away = await s.stock.post("/v1/shipments", json=shipment(other, units(perishable, [young])))
    assert away.status_code == 409
    problem = away.json()
    assert (problem["location_code"], problem["available"], problem["needed"]) == (other, "0", "1")
    assert f"is at {p.fg} (qualified)" in problem["errors"][0]["message"]
    assert await balances(s, perishable) == before
    assert (await s.stock.get("/v1/shipments")).json()["items"] == []

    # the same unit on four shipments at once leaves once
    results = await asyncio.gather(
        *(
            s.stock.post("/v1/shipments", json=shipment(p.fg, units(perishable, [young])))
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409], [r.text for r in results]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"insufficient_stock"}
    assert await balances(s, perishable) == {(p.fg, "LOT-OLD", old, "qualified"): D(1)}
    assert await ledger_count(s, perishable) == 3
    gone = await s.stock.post("/v1/shipments", json=shipment(p.fg, units(perishable, [young])))
    assert f"{young} of {perishable} is shipped" in gone.json()["errors"][0]["message"]


async def test_components_must_be_at_the_line(wired: Slice, plant: Plant) -> None:
    s, p = wired, plant
    m1, m2, _ = p.m
    await issue(s, p.line, [units(p.module, [m1])])
    before = {**await balances(s, p.module), **await balances(s, p.raw)}
    refused = await s.stock.post(
        PR,
        json={
            "work_order": "WO-2",
            "to_location_code": p.fg,
            "wip_location_code": p.line,
            "outputs": [units(p.board, [code("B")])],
            "components": [
                {"item_code": p.raw, "quantity": "5"},
                units(p.module, [m1, m2]),
            ],
        },
    )
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert [e["field"] for e in problem["errors"]] == [
        "body.components.0.quantity",
        "body.components.1.serial_numbers",
    ]
    assert f"{m2} of {p.module} is at {p.store} (qualified)" in problem["errors"][1]["message"]
    assert (problem["item_code"], problem["available"], problem["needed"]) == (p.raw, "4", "5")
    assert {**await balances(s, p.module), **await balances(s, p.raw)} == before
    assert await serials(s, p.board) == {}


# --- bad input ---------------------------------------------------------------------------------


async def test_serial_lines_are_checked_on_every_document(wired: Slice, plant: Plant) -> None:
    s, p = wired, plant
    m1, m2, m3 = p.m
    bad_lines = [
        {"item_code": p.module, "quantity": "1"},  # no serials
        units(p.module, [m1, m1]),  # twice on a line
        {**units(p.module, [m2]), "quantity": "2"},  # too few
        {"item_code": p.raw, "quantity": "1", "serial_numbers": ["Z1"]},  # not serial-tracked
        units(p.module, [m3, m2]),  # m2 is on line 3 already
    ]
    expected = [
        ("body.lines.0.serial_numbers", "missing"),
        ("body.lines.1.serial_numbers", "duplicate"),
        ("body.lines.2.serial_numbers", "invalid"),
        ("body.lines.3.serial_numbers", "invalid"),
        ("body.lines.4.serial_numbers", "duplicate"),
    ]
    created = await s.stock.post(
        "/v1/requisitions",
        json={"work_order": "WO-3", "to_location_code": p.line, "lines": bad_lines},
    )
    assert created.status_code == 422
    assert [(e["field"], e["type"]) for e in created.json()["errors"]] == expected
    shipped = await s.stock.post(
        "/v1/shipments",
        json=shipment(p.fg, *[{**line, "item_code": p.board} for line in bad_lines[:3]]),
    )
    assert [(e["field"], e["type"]) for e in shipped.json()["errors"]] == expected[:3]
    produced = await s.stock.post(
        PR,
        json={
            "work_order": "WO-3",
            "to_location_code": p.fg,
            "wip_location_code": p.line,
            "outputs": [{"item_code": p.board, "quantity": "1"}, units(p.board, ["Y1", "Y1"])],
            "components": [bad_lines[3], units(p.module, [m1]), units(p.module, [m1])],
        },
    )
    assert [(e["field"], e["type"]) for e in produced.json()["errors"]] == [
        ("body.outputs.0.serial_numbers", "missing"),
        ("body.outputs.1.serial_numbers", "duplicate"),
        ("body.components.0.serial_numbers", "invalid"),
        ("body.components.2.serial_numbers", "duplicate"),
    ]
    assert (await s.stock.get("/v1/requisitions", params={"work_order": "WO-3"})).json()[
        "items"
    ] == []
    assert (await s.stock.get("/v1/shipments")).json()["items"] == []
    assert len((await s.stock.get(PR)).json()["items"]) == 1  # the plant's own
    assert await serials(s, p.board) == {}


# --- concurrency -------------------------------------------------------------------------------


async def test_the_same_unit_on_concurrent_requisitions_is_issued_once(
    wired: Slice, plant: Plant
) -> None:
    s, p = wired, plant
    docs = [await requisition(s, p.line, [units(p.module, [p.m[1]])]) for _ in range(3)]
    results = await asyncio.gather(
        *(s.stock.post(f"/v1/requisitions/{doc['id']}/post") for doc in docs)
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409], [r.text for r in results]
    assert (await serials(s, p.module))[p.m[1]] == ("in_stock", p.line, "MOD-L1")
    assert (await balances(s, p.module))[(p.line, "MOD-L1", p.m[1], "qualified")] == D(1)


async def test_issues_and_returns_between_store_and_line_run_together(wired: Slice) -> None:
    """Requisitions (store -> line) and transfers back (line -> store) of the same stock at
    once: every one posts; the locks are taken in one order, so none deadlocks."""
    s = wired
    paste = await make_item(s, tracking="none", item_type="semi_finished")
    store = await make_location(s)
    line = await place(s, "LINE", "production_line")
    await produce(s, store, [{"item_code": paste, "quantity": "60"}])
    await issue(s, line, [{"item_code": paste, "quantity": "30"}])
    docs = [await requisition(s, line, [{"item_code": paste, "quantity": "1"}]) for _ in range(12)]
    back = {
        "from_location_code": line,
        "to_location_code": store,
        "lines": [{"item_code": paste, "quantity": "1", "quality_state": "qualified"}],
    }
    results = await asyncio.gather(
        *(s.stock.post(f"/v1/requisitions/{doc['id']}/post") for doc in docs),
        *(s.stock.post("/v1/transfers", json=back) for _ in range(12)),
    )
    assert [r.status_code for r in results] == [200] * 12 + [201] * 12, [
        r.text for r in results if not r.is_success
    ]
    assert await balances(s, paste) == {
        (store, None, None, "qualified"): D(30),
        (line, None, None, "qualified"): D(30),
    }
