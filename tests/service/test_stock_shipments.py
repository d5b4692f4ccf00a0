"""Sales shipments: qualified finished goods to VIRTUAL/CUSTOMER, FEFO then FIFO, all or
nothing, reversible once; on SQLite and PostgreSQL with catalog and trace in-process."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item

CUSTOMER = "VIRTUAL/CUSTOMER"
QC = auth("qc")
Q, P, D = "qualified", "pending_inspection", "defective"


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


async def finished(s: Slice, tracking: str = "lot", **extra: Any) -> str:
    return await make_item(s, tracking, item_type="finished_good", **extra)


async def place(s: Slice, location_type: str = "finished_goods") -> str:
    location = code("WH1/FG")
    body = {"code": location, "name": location, "location_type": location_type}
    response = await s.stock.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return location


async def stock_in(
    s: Slice,
    item: str,
    location: str,
    quantity: str,
    lot: str | None = None,
    *,
    accepted: str | None = None,
    rejected: str = "0",
    received: str | None = None,
) -> None:
    """Receive `quantity` (pending) and inspect `accepted` (all by default) and `rejected`."""
    body: dict[str, Any] = {"item_code": item, "location_code": location, "quantity": quantity}
    if lot is not None:
        body["lot_number"] = lot
    if received is not None:
        body["receipt_date"] = received
    posted = await s.stock.post("/v1/receipts", json=body)
    assert posted.status_code == 201, posted.text
    qc = {
        "item_code": item,
        "lot_number": lot,
        "location_code": location,
        "accepted_quantity": quantity if accepted is None else accepted,
        "rejected_quantity": rejected,
        "sample_size": 1,
        "inspector": "QC Li",
    }
    inspected = await s.stock.post("/v1/inspections", json=qc, headers=QC)
    assert inspected.status_code == 201, inspected.text


def line(item: str, qty: str, lot: str | None = None, so_line: str | None = None) -> dict:
    body: dict[str, Any] = {"item_code": item, "quantity": qty}
    if lot is not None:
        body["lot_number"] = lot
    if so_line is not None:
        body["sales_order_line"] = so_line
    return body


def shipment(location: str, *lines: dict, **header: Any) -> dict:
    return {
        "sales_order": header.pop("sales_order", "SO-1001"),
        "customer": header.pop("customer", "ACME Robotics"),
        "from_location_code": location,
        **header,
        "lines": list(lines),
    }


async def ship(s: Slice, body: dict, **kwargs: Any) -> dict:
    response = await s.stock.post("/v1/shipments", json=body, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()


async def balances(s: Slice, item: str) -> dict[tuple[str, str | None, str], Decimal]:
    """Every non-zero balance of `item` by (location, lot, state)."""
    rows = (await s.stock.get("/v1/balances", params={"item_code": item, "limit": 500})).json()
    return {
        (b["location_code"], b["lot_number"], b["quality_state"]): Decimal(b["quantity"])
        for b in rows["items"]
    }


async def ledger(s: Slice, item: str) -> list[tuple[str, str, str, str, str, str | None, Decimal]]:
    rows = (await s.stock.get("/v1/movements", params={"item_code": item, "limit": 500})).json()
    return [
        (
            m["document_type"],
            m["from_location"],
            m["to_location"],
            m["from_state"],
            m["to_state"],
            m["lot_number"],
            Decimal(m["quantity"]),
        )
        for m in rows["items"]
    ]


def shipped(doc: dict) -> list[tuple[int, str | None, str, str | None, Decimal]]:
    return [
        (
            ln["line_no"],
            ln["sales_order_line"],
            ln["item_code"],
            ln["lot_number"],
            Decimal(ln["quantity"]),
        )
        for ln in doc["lines"]
    ]


def moves(doc: dict) -> list[tuple[str, str, str, str, str | None, Decimal, int | None]]:
    return [
        (
            m["from_location"],
            m["to_location"],
            m["from_state"],
            m["to_state"],
            m["lot_number"],
            Decimal(m["quantity"]),
            m["reversal_of_id"],
        )
        for m in doc["movements"]
    ]


async def events_of(s: Slice, *types: str) -> list[dict]:
    feed = (await s.stock.get("/v1/events", params={"limit": 1000})).json()["events"]
    return [e for e in feed if e["type"] in types]


async def shipments(s: Slice, **params: Any) -> list[dict]:
    return (await s.stock.get("/v1/shipments", params=params)).json()["items"]


# --- posting ---------------------------------------------------------------------------------


async def test_receipt_inspection_then_shipment(wired: Slice) -> None:
    item, plain = await finished(wired), await finished(wired, tracking="none")
    fg, lot = await place(wired), code("L")
    await stock_in(wired, item, fg, "100", lot, accepted="90", rejected="10")
    await stock_in(wired, plain, fg, "8")
    doc = await ship(
        wired,
        shipment(
            fg,
            line(item, "30", lot, so_line="10"),
            line(plain, "8", so_line="20"),
            carrier="DHL",
            tracking_number="JD0123",
            note="dock 2",
        ),
    )
    assert re.fullmatch(r"SH-\d{8}", doc["number"])
    assert (doc["status"], doc["sales_order"], doc["customer"], doc["from_location_code"]) == (
        "posted",
        "SO-1001",
        "ACME Robotics",
        fg,
    )
    assert (doc["carrier"], doc["tracking_number"], doc["note"]) == ("DHL", "JD0123", "dock 2")
    assert doc["posted_by"] == "user:tester" and doc["reversed_at"] is None
    assert shipped(doc) == [(1, "10", item, lot, Decimal(30)), (2, "20", plain, None, Decimal(8))]
    assert moves(doc) == [
        (fg, CUSTOMER, Q, Q, lot, Decimal(30), None),
        (fg, CUSTOMER, Q, Q, None, Decimal(8), None),
    ]
    assert {m["document_type"] for m in doc["movements"]} == {"shipment"}
    assert {m["stage"] for m in doc["movements"]} == {"finished"}
    assert await balances(wired, item) == {(fg, lot, Q): Decimal(60), (fg, lot, D): Decimal(10)}
    assert await balances(wired, plain) == {}
    assert await ledger(wired, item) == [
        ("purchase_receipt", "VIRTUAL/SUPPLIER", fg, P, P, lot, Decimal(100)),
        ("inspection", fg, fg, P, Q, lot, Decimal(90)),
        ("inspection", fg, fg, P, D, lot, Decimal(10)),
        ("shipment", fg, CUSTOMER, Q, Q, lot, Decimal(30)),
    ]
    assert (await wired.stock.get(f"/v1/shipments/{doc['id']}")).json() == doc
    # one MovementPosted per movement, then the shipment with customer, order and lots
    posted = await events_of(wired, "ShipmentPosted", "MovementPosted")
    assert [e["type"] for e in posted[-3:]] == ["MovementPosted"] * 2 + ["ShipmentPosted"]
    assert [e["aggregate_id"] for e in posted[-3:-1]] == [str(m["id"]) for m in doc["movements"]]
    payload = posted[-1]["payload"]
    assert (payload["sales_order"], payload["customer"]) == ("SO-1001", "ACME Robotics")
    assert [(ln["item_code"], ln["lot_number"]) for ln in payload["lines"]] == [
        (item, lot),
        (plain, None),
    ]
    audit = (await wired.stock.get("/v1/audit", params={"entity_type": "shipment"})).json()
    assert [(a["action"], a["entity_id"]) for a in audit["items"]] == [("post", str(doc["id"]))]


async def test_picks_first_expiring_then_first_received_split_across_lots(wired: Slice) -> None:
    perishable = await finished(wired, shelf_life_days=365)
    durable = await finished(wired)  # no shelf life: first received first
    fg = await place(wired)
    await stock_in(wired, perishable, fg, "50", "OLD", received=days_ago(400))  # expired
    await stock_in(wired, perishable, fg, "30", "LATER", received=days_ago(10))
    await stock_in(wired, perishable, fg, "30", "EARLIER", received=days_ago(100))
    await stock_in(wired, durable, fg, "20", "SECOND", received=days_ago(20))
    await stock_in(wired, durable, fg, "20", "FIRST", received=days_ago(50))
    doc = await ship(wired, shipment(fg, line(perishable, "40"), line(durable, "25", so_line="2")))
    assert shipped(doc) == [
        (1, None, perishable, "EARLIER", Decimal(30)),
        (1, None, perishable, "LATER", Decimal(10)),
        (2, "2", durable, "FIRST", Decimal(20)),
        (2, "2", durable, "SECOND", Decimal(5)),
    ]
    assert [(m[4], m[5]) for m in moves(doc)] == [
        ("EARLIER", Decimal(30)),
        ("LATER", Decimal(10)),
        ("FIRST", Decimal(20)),
        ("SECOND", Decimal(5)),
    ]
    assert await balances(wired, perishable) == {
        (fg, "OLD", Q): Decimal(50),  # expired: never picked
        (fg, "LATER", Q): Decimal(20),
    }
    assert await balances(wired, durable) == {(fg, "SECOND", Q): Decimal(15)}


async def test_named_lots_are_served_before_picked_lines(wired: Slice) -> None:
    item, fg = await finished(wired, shelf_life_days=365), await place(wired)
    await stock_in(wired, item, fg, "30", "EARLY", received=days_ago(200))
    await stock_in(wired, item, fg, "10", "LATE", received=days_ago(5))
    # line 1 leaves the lot open; line 2 wants EARLY, which FEFO alone would give line 1
    doc = await ship(wired, shipment(fg, line(item, "10"), line(item, "30", "EARLY")))
    assert shipped(doc) == [
        (1, None, item, "LATE", Decimal(10)),
        (2, None, item, "EARLY", Decimal(30)),
    ]
    assert [(m[4], m[5]) for m in moves(doc)] == [("LATE", Decimal(10)), ("EARLY", Decimal(30))]
    assert await balances(wired, item) == {}


async def test_expired_lots_never_ship(wired: Slice) -> None:
    item, fg = await finished(wired, shelf_life_days=365), await place(wired)
    await stock_in(wired, item, fg, "10", "STALE", received=days_ago(366))  # expired yesterday
    await stock_in(wired, item, fg, "4", "LAST-DAY", received=days_ago(365))  # expires today
    before = await balances(wired, item)
    named = await wired.stock.post("/v1/shipments", json=shipment(fg, line(item, "1", "STALE")))
    assert named.status_code == 422
    assert [(e["field"], e["type"]) for e in named.json()["errors"]] == [
        ("body.lines.0.lot_number", "expired")
    ]
    picked = await wired.stock.post("/v1/shipments", json=shipment(fg, line(item, "5")))
    assert picked.status_code == 409, picked.text
    problem = picked.json()
    assert problem["code"] == "insufficient_stock"
    assert (problem["available"], problem["needed"], problem["lot_number"]) == ("4", "5", None)
    assert await balances(wired, item) == before
    # a lot still ships on its expiry date
    doc = await ship(wired, shipment(fg, line(item, "4")))
    assert shipped(doc) == [(1, None, item, "LAST-DAY", Decimal(4))]
    assert await balances(wired, item) == {(fg, "STALE", Q): Decimal(10)}


async def test_pending_and_defective_stock_never_ships(wired: Slice) -> None:
    item, plain = await finished(wired), await finished(wired, tracking="none")
    fg, lot = await place(wired), code("L")
    await stock_in(wired, item, fg, "50", lot, accepted="20", rejected="10")  # 20 still pending
    pending = await wired.stock.post(
        "/v1/receipts", json={"item_code": plain, "location_code": fg, "quantity": "9"}
    )
    assert pending.status_code == 201
    before = {**await balances(wired, item), **await balances(wired, plain)}
    assert before == {
        (fg, lot, Q): Decimal(20),
        (fg, lot, P): Decimal(20),
        (fg, lot, D): Decimal(10),
        (fg, None, P): Decimal(9),
    }
    for body, available, needed in [
        (shipment(fg, line(item, "21", lot)), "20", "21"),
        (shipment(fg, line(item, "21")), "20", "21"),
        (shipment(fg, line(plain, "1")), "0", "1"),
    ]:
        response = await wired.stock.post("/v1/shipments", json=body)
        assert response.status_code == 409, response.text
        problem = response.json()
        assert (problem["available"], problem["needed"], problem["quality_state"]) == (
            available,
            needed,
            Q,
        )
    assert {**await balances(wired, item), **await balances(wired, plain)} == before
    assert await shipments(wired) == []
    # picking passes over a lot that expires first but is still pending inspection
    newer = code("L")
    await stock_in(wired, item, fg, "5", newer)
    doc = await ship(wired, shipment(fg, line(item, "25")))
    assert shipped(doc) == [(1, None, item, lot, Decimal(20)), (1, None, item, newer, Decimal(5))]
    assert await balances(wired, item) == {(fg, lot, P): Decimal(20), (fg, lot, D): Decimal(10)}


async def test_only_finished_goods_from_stores(wired: Slice) -> None:
    raw = await make_item(wired, tracking="none")
    semi = await make_item(wired, tracking="none", item_type="semi_finished")
    serial = await finished(wired, tracking="serial")
    plain = await finished(wired, tracking="none")
    fg, smt = await place(wired), await place(wired, "production_line")
    await stock_in(wired, plain, fg, "10")
    response = await wired.stock.post(
        "/v1/shipments",
        json=shipment(
            smt,
            line(raw, "1"),
            line(semi, "1"),
            line(serial, "1"),
            line(plain, "1", "L-1"),
            line(plain, "1"),
        ),
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [
        "body.from_location_code",
        "body.lines.0.item_code",
        "body.lines.1.item_code",
        "body.lines.2.serial_numbers",
        "body.lines.3.lot_number",
    ]
    assert "production line" in errors[0]["message"]
    assert "raw_material" in errors[1]["message"] and "semi_finished" in errors[2]["message"]
    assert "serial-tracked" in errors[3]["message"] and errors[3]["type"] == "missing"
    for location_type in ("quarantine", "scrap"):
        elsewhere = await place(wired, location_type)
        refused = await wired.stock.post(
            "/v1/shipments", json=shipment(elsewhere, line(plain, "1"))
        )
        assert [e["field"] for e in refused.json()["errors"]] == ["body.from_location_code"]
    assert await balances(wired, plain) == {(fg, None, Q): Decimal(10)}
    assert await shipments(wired) == []
    assert await events_of(wired, "ShipmentPosted") == []


async def test_bad_input_names_every_field_and_changes_nothing(wired: Slice) -> None:
    item, plain = await finished(wired), await finished(wired, tracking="none")
    fg, lot = await place(wired), code("L")
    await stock_in(wired, item, fg, "10", lot)
    before = await balances(wired, item)
    shape = await wired.stock.post(
        "/v1/shipments",
        json={
            "customer": "  ",
            "from_location_code": fg,
            "carrier": "x" * 101,
            "lines": [
                line(item, "0", lot),
                {"item_code": item, "quantity": "1", "lot_number": lot, "colour": "red"},
                line(item, "1.1234567", lot),
            ],
        },
    )
    assert shape.status_code == 422
    assert [e["field"] for e in shape.json()["errors"]] == [
        "body.sales_order",
        "body.customer",
        "body.carrier",
        "body.lines.0.quantity",
        "body.lines.1.colour",
        "body.lines.2.quantity",
    ]
    empty = await wired.stock.post("/v1/shipments", json=shipment(fg))
    assert [e["field"] for e in empty.json()["errors"]] == ["body.lines"]
    facts = await wired.stock.post(
        "/v1/shipments",
        json=shipment(
            "NO/SUCH/PLACE",
            line(item, "1", lot),
            line("NO-SUCH-ITEM", "1"),
            line(item, "1", "NO-LOT"),
            line(plain, "1", "L-1"),
            line(item, "1"),
        ),
    )
    assert facts.status_code == 422
    assert [(e["field"], e["type"]) for e in facts.json()["errors"]] == [
        ("body.from_location_code", "not_found"),
        ("body.lines.1.item_code", "not_found"),
        ("body.lines.2.lot_number", "not_found"),
        ("body.lines.3.lot_number", "invalid"),
    ]
    virtual = await wired.stock.post("/v1/shipments", json=shipment(CUSTOMER, line(item, "1")))
    assert [e["field"] for e in virtual.json()["errors"]] == ["body.from_location_code"]
    assert await balances(wired, item) == before
    assert await shipments(wired) == []
    assert (await wired.stock.get("/v1/movements", params={"document_type": "shipment"})).json()[
        "items"
    ] == []


async def test_shortage_names_item_location_lot_and_lines_and_posts_nothing(
    wired: Slice,
) -> None:
    item, other = await finished(wired), await finished(wired, tracking="none")
    fg = await place(wired)
    await stock_in(wired, item, fg, "40", "A", received=days_ago(30))
    await stock_in(wired, item, fg, "30", "B", received=days_ago(20))
    await stock_in(wired, other, fg, "5")
    before = {**await balances(wired, item), **await balances(wired, other)}
    # lot A alone: lines 1 and 3 want 50 of it
    named = await wired.stock.post(
        "/v1/shipments",
        json=shipment(fg, line(item, "30", "A"), line(other, "5"), line(item, "20", "A")),
    )
    assert named.status_code == 409, named.text
    problem = named.json()
    assert problem["code"] == "insufficient_stock"
    assert (problem["item_code"], problem["location_code"], problem["lot_number"]) == (
        item,
        fg,
        "A",
    )
    assert (problem["available"], problem["needed"]) == ("40", "50")
    assert [e["field"] for e in problem["errors"]] == [
        "body.lines.0.quantity",
        "body.lines.2.quantity",
    ]
    # the item as a whole: a named and a picked line want 80 of 70
    total = await wired.stock.post(
        "/v1/shipments",
        json=shipment(fg, line(other, "1"), line(item, "30", "A"), line(item, "50")),
    )
    assert total.status_code == 409, total.text
    problem = total.json()
    assert (problem["item_code"], problem["lot_number"]) == (item, None)
    assert (problem["available"], problem["needed"]) == ("70", "80")
    assert [e["field"] for e in problem["errors"]] == [
        "body.lines.1.quantity",
        "body.lines.2.quantity",
    ]
    assert {**await balances(wired, item), **await balances(wired, other)} == before
    assert await shipments(wired) == []
    assert await events_of(wired, "ShipmentPosted") == []


async def test_concurrent_shipments_never_overdraw(wired: Slice) -> None:
    """24 shipments of one unit against 12 qualified in two lots: exactly 12 post."""
    item, fg = await finished(wired), await place(wired)
    await stock_in(wired, item, fg, "5", "A", received=days_ago(9))
    await stock_in(wired, item, fg, "7", "B", received=days_ago(3))
    results = await asyncio.gather(
        *(wired.stock.post("/v1/shipments", json=shipment(fg, line(item, "1"))) for _ in range(24))
    )
    statuses = [r.status_code for r in results]
    assert statuses.count(201) == 12 and statuses.count(409) == 12, sorted(set(statuses))
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"insufficient_stock"}
    assert await balances(wired, item) == {}
    lots = [ln["lot_number"] for r in results if r.status_code == 201 for ln in r.json()["lines"]]
    assert sorted(lots) == ["A"] * 5 + ["B"] * 7


# --- reversal --------------------------------------------------------------------------------


async def test_reversal_returns_the_goods_qualified_and_only_once(wired: Slice) -> None:
    item, fg = await finished(wired), await place(wired)
    await stock_in(wired, item, fg, "10", "A", received=days_ago(9))
    await stock_in(wired, item, fg, "10", "B", received=days_ago(3), accepted="6", rejected="4")
    before = await balances(wired, item)
    doc = await ship(wired, shipment(fg, line(item, "14")))
    assert await balances(wired, item) == {(fg, "B", Q): Decimal(2), (fg, "B", D): Decimal(4)}
    results = await asyncio.gather(
        *(wired.stock.post(f"/v1/shipments/{doc['id']}/reverse") for _ in range(3))
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"document_reversed"}
    out = next(r.json() for r in results if r.status_code == 200)
    assert out["status"] == "reversed" and out["reversed_by"] == "user:tester"
    assert shipped(out) == shipped(doc)
    assert moves(out)[2:] == [  # reversed newest first
        (CUSTOMER, fg, Q, Q, "B", Decimal(4), doc["movements"][1]["id"]),
        (CUSTOMER, fg, Q, Q, "A", Decimal(10), doc["movements"][0]["id"]),
    ]
    assert await balances(wired, item) == before
    assert [row for row in await ledger(wired, item) if row[0] == "shipment"] == [
        ("shipment", fg, CUSTOMER, Q, Q, "A", Decimal(10)),
        ("shipment", fg, CUSTOMER, Q, Q, "B", Decimal(4)),
        ("shipment", CUSTOMER, fg, Q, Q, "B", Decimal(4)),  # reversed newest first
        ("shipment", CUSTOMER, fg, Q, Q, "A", Decimal(10)),
    ]
    again = await wired.stock.post(f"/v1/shipments/{doc['id']}/reverse")
    assert again.status_code == 409 and doc["number"] in again.json()["detail"]
    assert await balances(wired, item) == before
    reversed_events = await events_of(wired, "ShipmentReversed")
    assert [e["aggregate_id"] for e in reversed_events] == [str(doc["id"])]
    assert [ln["lot_number"] for ln in reversed_events[0]["payload"]["lines"]] == ["A", "B"]
    back = [m["id"] for m in out["movements"][2:]]
    moved = [e["aggregate_id"] for e in await events_of(wired, "MovementPosted")]
    assert [str(i) for i in back] == moved[-2:]
    audit = (await wired.stock.get("/v1/audit", params={"entity_type": "shipment"})).json()
    assert [a["action"] for a in audit["items"]] == ["reverse", "post"]
    assert (await wired.stock.get(f"/v1/shipments/{doc['id']}")).json() == out


async def test_retry_with_the_same_key_ships_once(wired: Slice) -> None:
    item, fg = await finished(wired, tracking="none"), await place(wired)
    await stock_in(wired, item, fg, "10")
    body = shipment(fg, line(item, "3"))
    key = {"Idempotency-Key": code("key")}
    first = await wired.stock.post("/v1/shipments", json=body, headers=key)
    again = await wired.stock.post("/v1/shipments", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await balances(wired, item) == {(fg, None, Q): Decimal(7)}
    assert len(await shipments(wired)) == 1
    other = await wired.stock.post("/v1/shipments", json=shipment(fg, line(item, "4")), headers=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    undo_key = {"Idempotency-Key": code("key")}
    reverse = f"/v1/shipments/{first.json()['id']}/reverse"
    undo = await wired.stock.post(reverse, headers=undo_key)
    undo_again = await wired.stock.post(reverse, headers=undo_key)
    assert undo.status_code == undo_again.status_code == 200
    assert undo_again.headers["idempotent-replayed"] == "true"
    assert await balances(wired, item) == {(fg, None, Q): Decimal(10)}


# --- reading and roles -----------------------------------------------------------------------


async def test_list_filters_and_pages(wired: Slice) -> None:
    item, plain = await finished(wired), await finished(wired, tracking="none")
    fg = await place(wired)
    await stock_in(wired, item, fg, "10", "A")
    await stock_in(wired, plain, fg, "10")
    a = await ship(wired, shipment(fg, line(item, "1"), sales_order="SO-1", customer="ACME"))
    b = await ship(wired, shipment(fg, line(plain, "1"), sales_order="SO-2", customer="ACME"))
    c = await ship(
        wired, shipment(fg, line(item, "1"), line(plain, "1"), sales_order="SO-3", customer="Bolt")
    )
    assert (await wired.stock.post(f"/v1/shipments/{b['id']}/reverse")).status_code == 200

    async def ids(**params: Any) -> list[int]:
        return [d["id"] for d in await shipments(wired, **params)]

    assert await ids() == [a["id"], b["id"], c["id"]]
    assert await ids(sales_order="SO-2") == [b["id"]]
    assert await ids(customer="ACME") == [a["id"], b["id"]]
    assert await ids(item_code=item) == [a["id"], c["id"]]
    assert await ids(item_code=plain, customer="Bolt") == [c["id"]]
    assert await ids(status="reversed") == [b["id"]]
    assert await ids(status="posted", customer="ACME") == [a["id"]]
    assert await ids(sales_order="SO-404") == []
    assert (await wired.stock.get("/v1/shipments", params={"status": "lost"})).status_code == 422
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await wired.stock.get("/v1/shipments", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [a["id"], b["id"], c["id"]]
    assert (await shipments(wired, item_code=plain, customer="Bolt"))[0] == c
    bad = await wired.stock.get("/v1/shipments", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422


async def test_a_page_costs_the_same_queries_whatever_its_size(wired: Slice) -> None:
    """Lines, movements, locations and lots load per page, not per shipment (no N+1)."""
    item, plain = await finished(wired), await finished(wired, tracking="none")
    fg = await place(wired)
    await stock_in(wired, item, fg, "10", "A", received=days_ago(5))
    await stock_in(wired, item, fg, "10", "B", received=days_ago(2))
    await stock_in(wired, plain, fg, "10")
    docs = [await ship(wired, shipment(fg, line(item, "3"), line(plain, "1"))) for _ in range(5)]
    assert (await wired.stock.post(f"/v1/shipments/{docs[0]['id']}/reverse")).is_success

    async def statements(limit: int) -> int:
        seen: list[tuple[str, str]] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append((str(conn.engine.url), statement))

        event.listen(Engine, "before_cursor_execute", record)
        try:
            page = (await wired.stock.get("/v1/shipments", params={"limit": limit})).json()
        finally:
            event.remove(Engine, "before_cursor_execute", record)
        assert len(page["items"]) == limit
        stock_db = next(url for url, sql in seen if "FROM shipments" in sql)
        # trace polling the event feed meanwhile is not this request's work
        return sum(
            1
            for url, sql in seen
            if url == stock_db and sql.startswith("SELECT") and "FROM events" not in sql
        )

    assert await statements(1) == await statements(5)


async def test_roles_and_unknown_shipments(wired: Slice) -> None:
    item, fg = await finished(wired, tracking="none"), await place(wired)
    await stock_in(wired, item, fg, "5")
    body = shipment(fg, line(item, "1"))
    for role in ("planner", "qc"):
        refused = await wired.stock.post("/v1/shipments", json=body, headers=auth(role))
        assert refused.status_code == 403
    assert await balances(wired, item) == {(fg, None, Q): Decimal(5)}
    doc = await ship(wired, body, headers=auth("warehouse"))
    undo = await wired.stock.post(f"/v1/shipments/{doc['id']}/reverse", headers=auth("planner"))
    assert undo.status_code == 403
    assert (await wired.stock.get(f"/v1/shipments/{doc['id']}", headers=QC)).is_success
    assert (await wired.stock.get("/v1/shipments", headers=auth("planner"))).is_success
    assert (await wired.stock.get("/v1/shipments/999999")).status_code == 404
    assert (await wired.stock.post("/v1/shipments/999999/reverse")).status_code == 404
    assert (
        await wired.stock.post(f"/v1/shipments/{doc['id']}/reverse", headers=auth("warehouse"))
    ).status_code == 200
    assert await balances(wired, item) == {(fg, None, Q): Decimal(5)}
