"""Production receipts: outputs from production, components consumed at the line (named or
backflushed FEFO then FIFO), all or nothing, reversible; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location

URL = "/v1/production-receipts"
PRODUCTION = "VIRTUAL/PRODUCTION"
QC = auth("qc")
TODAY = date.today()


async def _location(s: Slice, prefix: str, location_type: str) -> str:
    location = code(prefix)
    body = {"code": location, "name": location, "location_type": location_type}
    made = await s.stock.post("/v1/locations", json=body)
    assert made.status_code == 201, made.text
    return location


async def _qualified(
    s: Slice, item: str, location: str, quantity: str, lot: str | None = None, **receipt: Any
) -> None:
    """Receive `quantity` and pass it through QC: qualified stock at `location`."""
    body = {"item_code": item, "location_code": location, "quantity": quantity, **receipt}
    if lot:
        body["lot_number"] = lot
    posted = await s.stock.post("/v1/receipts", json=body)
    assert posted.status_code == 201, posted.text
    qc = {
        "item_code": item,
        "lot_number": lot,
        "location_code": location,
        "accepted_quantity": quantity,
        "rejected_quantity": "0",
        "sample_size": 1,
        "inspector": "QC Li",
    }
    inspected = await s.stock.post("/v1/inspections", json=qc, headers=QC)
    assert inspected.status_code == 201, inspected.text


async def _issue(s: Slice, line: str, lines: list[dict[str, Any]]) -> None:
    """A material requisition to the line, submitted and posted."""
    created = await s.stock.post(
        "/v1/requisitions",
        json={"work_order": code("WO"), "to_location_code": line, "lines": lines},
    )
    assert created.status_code == 201, created.text
    doc_id = created.json()["id"]
    assert (await s.stock.post(f"/v1/requisitions/{doc_id}/submit")).status_code == 200
    posted = await s.stock.post(f"/v1/requisitions/{doc_id}/post")
    assert posted.status_code == 200, posted.text


async def balances(s: Slice, **params: Any) -> dict[tuple[str, str, str | None, str], Decimal]:
    """Every non-zero balance as (item, location, lot, state) -> quantity."""
    found: dict[tuple[str, str, str | None, str], Decimal] = {}
    cursor = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = (await s.stock.get("/v1/balances", params=query)).json()
        for b in page["items"]:
            key = (b["item_code"], b["location_code"], b["lot_number"], b["quality_state"])
            found[key] = Decimal(b["quantity"])
        cursor = page["next_cursor"]
        if cursor is None:
            return found


async def stages(s: Slice, item: str) -> set[tuple[str, str]]:
    rows = (await s.stock.get("/v1/balances", params={"item_code": item})).json()["items"]
    return {(b["location_code"], b["stage"]) for b in rows}


async def ledger(s: Slice) -> list[dict[str, Any]]:
    page = await s.stock.get(
        "/v1/movements", params={"document_type": "production_receipt", "limit": 500}
    )
    items: list[dict[str, Any]] = page.json()["items"]
    return items


async def events_of(s: Slice, *types: str) -> list[dict[str, Any]]:
    feed = (await s.stock.get("/v1/events", params={"limit": 1000})).json()["events"]
    return [e for e in feed if e["type"] in types]


def output(item: str, qty: str, lot: str | None = None, state: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"item_code": item, "quantity": qty}
    if lot is not None:
        body["lot_number"] = lot
    if state is not None:
        body["quality_state"] = state
    return body


def component(item: str, qty: str, lot: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"item_code": item, "quantity": qty}
    if lot is not None:
        body["lot_number"] = lot
    return body


def moves(doc: dict[str, Any]) -> list[tuple[str, str | None, str, str, str, Decimal, str]]:
    return [
        (
            m["item_code"],
            m["lot_number"],
            m["from_location"],
            m["to_location"],
            m["to_state"],
            Decimal(m["quantity"]),
            m["stage"],
        )
        for m in doc["movements"]
    ]


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


@dataclass
class Shop:
    """A store, a production line holding issued components, a finished-goods location.

    At the line (qualified): lot-tracked A in lots A-OLD 20 (received 40 days ago), A-NEW 40
    (10 days ago; received first, so its lot id is older) and A-EXP 10 (expired); untracked B
    80; lot-tracked C in lot C1 30. Prices: A 0.5, B 0.1, C 2.
    """

    board: str  # finished good, lot-tracked
    module: str  # semi-finished, untracked
    a: str
    b: str
    c: str
    store: str
    line: str
    fg: str


@pytest.fixture
async def shop(wired: Slice) -> Shop:
    board = await make_item(wired, item_type="finished_good", shelf_life_days=730)
    module = await make_item(wired, tracking="none", item_type="semi_finished")
    a = await make_item(wired, shelf_life_days=365)
    b = await make_item(wired, tracking="none")
    c = await make_item(wired)
    store = await make_location(wired)
    line = await _location(wired, "LINE", "production_line")
    fg = await _location(wired, "WH1/FG", "finished_goods")
    await _qualified(wired, a, store, "40", "A-NEW", receipt_date=ago(10), unit_price="0.5")
    await _qualified(wired, a, store, "20", "A-OLD", receipt_date=ago(40), unit_price="0.5")
    await _qualified(wired, a, store, "10", "A-EXP", receipt_date=ago(400), unit_price="0.5")
    await _qualified(wired, b, store, "100", unit_price="0.1")
    await _qualified(wired, c, store, "30", "C1", unit_price="2")
    await _issue(
        wired,
        line,
        [component(a, "60"), component(b, "80"), component(c, "30", "C1")],
    )
    # a requisition never issues an expired lot; a transfer brought this one to the line
    moved = await wired.stock.post(
        "/v1/transfers",
        json={
            "from_location_code": store,
            "to_location_code": line,
            "lines": [
                {
                    "item_code": a,
                    "lot_number": "A-EXP",
                    "quantity": "10",
                    "quality_state": "qualified",
                }
            ],
        },
    )
    assert moved.status_code == 201, moved.text
    assert await balances(wired, location_code=line) == {
        (a, line, "A-OLD", "qualified"): Decimal(20),
        (a, line, "A-NEW", "qualified"): Decimal(40),
        (a, line, "A-EXP", "qualified"): Decimal(10),
        (b, line, None, "qualified"): Decimal(80),
        (c, line, "C1", "qualified"): Decimal(30),
    }
    return Shop(board, module, a, b, c, store, line, fg)


def completion(
    s: Shop, *outputs: dict[str, Any], components: list[dict[str, Any]] | None = None, **header: Any
) -> dict[str, Any]:
    return {
        "work_order": header.pop("work_order", "WO-1"),
        "to_location_code": s.fg,
        "wip_location_code": s.line,
        "outputs": list(outputs),
        "components": components if components is not None else [],
        **header,
    }


async def test_completion_consumes_named_and_backflushed_components(
    wired: Slice, shop: Shop
) -> None:
    s = shop
    before_store = await balances(wired, location_code=s.store)
    body = completion(
        s,
        output(s.board, "10", "BRD-1"),
        components=[
            component(s.a, "25"),  # backflushed: A-OLD 20, then A-NEW 5; A-EXP never
            component(s.b, "40"),
            component(s.c, "12", "C1"),
            component(s.a, "5", "A-NEW"),  # named: taken before the backflush picks
        ],
        note="shift 1",
    )
    response = await wired.stock.post(URL, json=body)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["number"] == f"PR-{doc['id']:08d}"
    assert (doc["status"], doc["work_order"], doc["note"]) == ("posted", "WO-1", "shift 1")
    assert (doc["to_location_code"], doc["wip_location_code"]) == (s.fg, s.line)
    assert [
        (o["line_no"], o["item_code"], o["lot_number"], o["quantity"], o["quality_state"])
        for o in doc["outputs"]
    ] == [(1, s.board, "BRD-1", "10", "qualified")]
    assert [
        (c["line_no"], c["item_code"], c["lot_number"], Decimal(c["quantity"]), c["backflushed"])
        for c in doc["components"]
    ] == [
        (1, s.a, "A-OLD", Decimal(20), True),
        (1, s.a, "A-NEW", Decimal(5), True),
        (2, s.b, None, Decimal(40), False),
        (3, s.c, "C1", Decimal(12), False),
        (4, s.a, "A-NEW", Decimal(5), False),
    ]
    # components first, then the output
    assert moves(doc) == [
        (s.a, "A-OLD", s.line, PRODUCTION, "qualified", Decimal(20), "wip"),
        (s.a, "A-NEW", s.line, PRODUCTION, "qualified", Decimal(5), "wip"),
        (s.b, None, s.line, PRODUCTION, "qualified", Decimal(40), "wip"),
        (s.c, "C1", s.line, PRODUCTION, "qualified", Decimal(12), "wip"),
        (s.a, "A-NEW", s.line, PRODUCTION, "qualified", Decimal(5), "wip"),
        (s.board, "BRD-1", PRODUCTION, s.fg, "qualified", Decimal(10), "finished"),
    ]
    # valuation: 30 A x 0.5 + 40 B x 0.1 + 12 C x 2 = 43 for 10 boards
    assert [Decimal(m["value"]) for m in doc["movements"]] == [
        Decimal(10),
        Decimal("2.5"),
        Decimal(4),
        Decimal(24),
        Decimal("2.5"),
        Decimal(43),
    ]
    assert Decimal(doc["movements"][-1]["unit_cost"]) == Decimal("4.3")
    assert await balances(wired, location_code=s.line) == {
        (s.a, s.line, "A-NEW", "qualified"): Decimal(30),
        (s.a, s.line, "A-EXP", "qualified"): Decimal(10),
        (s.b, s.line, None, "qualified"): Decimal(40),
        (s.c, s.line, "C1", "qualified"): Decimal(18),
    }
    assert await balances(wired, location_code=s.fg) == {
        (s.board, s.fg, "BRD-1", "qualified"): Decimal(10)
    }
    assert await stages(wired, s.board) == {(s.fg, "finished")}
    assert await balances(wired, location_code=s.store) == before_store
    assert [m["id"] for m in await ledger(wired)] == [m["id"] for m in doc["movements"]]
    # the produced lot: received today, expiring after the item's shelf life
    lots = (await wired.stock.get("/v1/lots", params={"item_code": s.board})).json()["items"]
    assert [(lot["lot_number"], lot["receipt_date"], lot["expiry_date"]) for lot in lots] == [
        ("BRD-1", TODAY.isoformat(), (TODAY + timedelta(days=730)).isoformat())
    ]
    assert (await wired.stock.get(f"{URL}/{doc['id']}")).json() == doc
    posted = await events_of(wired, "ProductionReceiptPosted", "MovementPosted", "LotCreated")
    assert [e["type"] for e in posted][-8:] == [
        "LotCreated",
        *["MovementPosted"] * 6,
        "ProductionReceiptPosted",
    ]
    assert [e["aggregate_id"] for e in posted][-7:-1] == [str(m["id"]) for m in doc["movements"]]
    payload = posted[-1]["payload"]
    assert payload["work_order"] == "WO-1"
    assert [(o["item_code"], o["lot_number"]) for o in payload["outputs"]] == [(s.board, "BRD-1")]
    assert [c["lot_number"] for c in payload["components"]] == [
        "A-OLD",
        "A-NEW",
        None,
        "C1",
        "A-NEW",
    ]
    created = [e for e in posted if e["type"] == "LotCreated"]
    assert created[-1]["payload"]["lot_number"] == "BRD-1"
    audit = (
        await wired.stock.get("/v1/audit", params={"entity_type": "production_receipt"})
    ).json()["items"]
    assert [(a["action"], a["entity_id"]) for a in audit] == [("post", str(doc["id"]))]


async def test_output_pending_final_qc_without_components(wired: Slice, shop: Shop) -> None:
    s = shop
    body = {
        "work_order": "WO-7",
        "to_location_code": s.store,
        "outputs": [output(s.module, "6", state="pending_inspection")],
    }
    response = await wired.stock.post(URL, json=body)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["wip_location_code"] is None and doc["components"] == []
    assert moves(doc) == [
        (s.module, None, PRODUCTION, s.store, "pending_inspection", Decimal(6), "semi_finished")
    ]
    assert await balances(wired, item_code=s.module) == {
        (s.module, s.store, None, "pending_inspection"): Decimal(6)
    }
    qc = {
        "item_code": s.module,
        "location_code": s.store,
        "accepted_quantity": "5",
        "rejected_quantity": "1",
        "sample_size": 6,
        "inspector": "QC Li",
    }
    assert (await wired.stock.post("/v1/inspections", json=qc, headers=QC)).status_code == 201
    assert await balances(wired, item_code=s.module) == {
        (s.module, s.store, None, "qualified"): Decimal(5),
        (s.module, s.store, None, "defective"): Decimal(1),
    }


async def test_bad_input_names_every_field_and_changes_nothing(wired: Slice, shop: Shop) -> None:
    s = shop
    before = await balances(wired)
    shape = await wired.stock.post(
        URL,
        json={
            "work_order": " ",
            "to_location_code": s.fg,
            "outputs": [output(s.board, "1", "L", "defective")],
            "components": [component(s.a, "0")],
        },
    )
    assert shape.status_code == 422
    assert [e["field"] for e in shape.json()["errors"]] == [
        "body.work_order",
        "body.outputs.0.quality_state",
        "body.components.0.quantity",
    ]
    empty = await wired.stock.post(URL, json={"to_location_code": s.fg, "outputs": []})
    assert [e["field"] for e in empty.json()["errors"]] == ["body.work_order", "body.outputs"]
    serial = await make_item(wired, tracking="serial")
    facts = await wired.stock.post(
        URL,
        json={
            "work_order": "WO-1",
            "to_location_code": s.line,  # a production line is no place for output
            "outputs": [
                output(s.board, "1", "BRD-9"),
                output(s.a, "1", "A-9"),  # raw material
                output(s.board, "1"),  # lot-tracked, no lot
                output(s.module, "1", "M-1"),  # untracked, with a lot
                output("NO-SUCH-ITEM", "1"),
            ],
            "components": [
                component(s.a, "1"),
                component("NO-SUCH-ITEM", "1"),
                component(s.c, "1", "NO-LOT"),
                component(s.b, "1", "B-1"),
                component(serial, "1"),
            ],
        },
    )
    assert facts.status_code == 422
    assert [(e["field"], e["type"]) for e in facts.json()["errors"]] == [
        ("body.to_location_code", "invalid"),
        ("body.wip_location_code", "missing"),
        ("body.outputs.1.item_code", "invalid"),
        ("body.outputs.2.lot_number", "missing"),
        ("body.outputs.3.lot_number", "invalid"),
        ("body.outputs.4.item_code", "not_found"),
        ("body.components.1.item_code", "not_found"),
        ("body.components.2.lot_number", "not_found"),
        ("body.components.3.lot_number", "invalid"),
        ("body.components.4.serial_numbers", "missing"),
    ]
    wip = await wired.stock.post(
        URL,
        json=completion(s, output(s.board, "1", "BRD-9"), wip_location_code=s.store),
    )
    assert [e["field"] for e in wip.json()["errors"]] == ["body.wip_location_code"]
    unknown = await wired.stock.post(
        URL, json=completion(s, output(s.board, "1", "BRD-9"), to_location_code="NO/SUCH")
    )
    assert [(e["field"], e["type"]) for e in unknown.json()["errors"]] == [
        ("body.to_location_code", "not_found")
    ]
    assert await balances(wired) == before
    assert (await wired.stock.get(URL)).json()["items"] == []
    assert await ledger(wired) == []
    assert (await wired.stock.get("/v1/lots", params={"item_code": s.board})).json()["items"] == []


async def test_shortage_is_409_and_changes_nothing(wired: Slice, shop: Shop) -> None:
    s = shop
    before = await balances(wired)
    # backflush: 60 unexpired A at the line, 5 of them named by another line
    flushed = await wired.stock.post(
        URL,
        json=completion(
            s,
            output(s.board, "1", "BRD-1"),
            components=[component(s.a, "5", "A-OLD"), component(s.b, "1"), component(s.a, "56")],
        ),
    )
    assert flushed.status_code == 409, flushed.text
    problem = flushed.json()
    assert problem["code"] == "insufficient_stock"
    assert (problem["item_code"], problem["location_code"], problem["lot_number"]) == (
        s.a,
        s.line,
        None,
    )
    assert (problem["quality_state"], problem["available"], problem["needed"]) == (
        "qualified",
        "55",
        "56",
    )
    assert [e["field"] for e in problem["errors"]] == ["body.components.2.quantity"]
    # a named lot and an untracked item are taken as asked, or not at all
    named = await wired.stock.post(
        URL,
        json=completion(
            s,
            output(s.board, "1", "BRD-1"),
            components=[
                component(s.c, "20", "C1"),
                component(s.b, "1"),
                component(s.c, "11", "C1"),
            ],
        ),
    )
    assert named.status_code == 409, named.text
    problem = named.json()
    assert (problem["item_code"], problem["lot_number"], problem["location_code"]) == (
        s.c,
        "C1",
        s.line,
    )
    assert (problem["available"], problem["needed"]) == ("30", "31")
    assert [e["field"] for e in problem["errors"]] == [
        "body.components.0.quantity",
        "body.components.2.quantity",
    ]
    untracked = await wired.stock.post(
        URL,
        json=completion(s, output(s.board, "1", "BRD-1"), components=[component(s.b, "81")]),
    )
    assert untracked.status_code == 409
    assert (untracked.json()["item_code"], untracked.json()["lot_number"]) == (s.b, None)
    assert [e["field"] for e in untracked.json()["errors"]] == ["body.components.0.quantity"]
    assert await balances(wired) == before
    assert (await wired.stock.get(URL)).json()["items"] == []
    assert await ledger(wired) == []
    assert (await wired.stock.get("/v1/lots", params={"item_code": s.board})).json()["items"] == []
    assert await events_of(wired, "ProductionReceiptPosted") == []


async def test_a_lot_grows_only_from_its_own_work_order(wired: Slice, shop: Shop) -> None:
    s = shop
    first = await wired.stock.post(URL, json=completion(s, output(s.board, "2", "BRD-1")))
    assert first.status_code == 201, first.text
    again = await wired.stock.post(URL, json=completion(s, output(s.board, "3", "BRD-1")))
    assert again.status_code == 201, again.text
    assert await balances(wired, item_code=s.board) == {
        (s.board, s.fg, "BRD-1", "qualified"): Decimal(5)
    }
    other = await wired.stock.post(
        URL,
        json=completion(
            s,
            output(s.board, "1", "BRD-2"),
            output(s.board, "4", "BRD-1"),
            work_order="WO-2",
        ),
    )
    assert other.status_code == 409, other.text
    problem = other.json()
    assert problem["code"] == "lot_conflict" and "WO-1" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["body.outputs.1.lot_number"]
    # a purchased lot of the same item is no work order's either
    await _qualified(wired, s.board, s.fg, "1", "BOUGHT-1")
    bought = await wired.stock.post(URL, json=completion(s, output(s.board, "1", "BOUGHT-1")))
    assert bought.status_code == 409 and bought.json()["code"] == "lot_conflict"
    assert await balances(wired, item_code=s.board) == {
        (s.board, s.fg, "BRD-1", "qualified"): Decimal(5),
        (s.board, s.fg, "BOUGHT-1", "qualified"): Decimal(1),
    }
    lots = (await wired.stock.get("/v1/lots", params={"item_code": s.board})).json()["items"]
    assert sorted(lot["lot_number"] for lot in lots) == ["BOUGHT-1", "BRD-1"]


async def test_reversal_takes_everything_back_once(wired: Slice, shop: Shop) -> None:
    s = shop
    before = await balances(wired)
    posted = await wired.stock.post(
        URL,
        json=completion(
            s,
            output(s.board, "4", "BRD-1"),
            output(s.module, "2", state="pending_inspection"),
            components=[component(s.a, "30"), component(s.b, "8")],
        ),
    )
    assert posted.status_code == 201, posted.text
    doc = posted.json()
    assert await balances(wired) != before
    undone = await wired.stock.post(f"{URL}/{doc['id']}/reverse")
    assert undone.status_code == 200, undone.text
    out = undone.json()
    assert out["status"] == "reversed" and out["reversed_by"] == "user:tester"
    assert await balances(wired) == before
    back = [m for m in out["movements"] if m["reversal_of_id"] is not None]
    assert [
        (m["item_code"], m["lot_number"], m["from_location"], m["to_location"]) for m in back
    ] == [  # newest first: the outputs leave, then the components return
        (s.module, None, s.fg, PRODUCTION),
        (s.board, "BRD-1", s.fg, PRODUCTION),
        (s.b, None, PRODUCTION, s.line),
        (s.a, "A-NEW", PRODUCTION, s.line),
        (s.a, "A-OLD", PRODUCTION, s.line),
    ]
    originals = doc["movements"][::-1]
    assert [m["reversal_of_id"] for m in back] == [m["id"] for m in originals]
    assert [Decimal(m["value"]) for m in back] == [Decimal(m["value"]) for m in originals]
    again = await wired.stock.post(f"{URL}/{doc['id']}/reverse")
    assert again.status_code == 409 and again.json()["code"] == "document_reversed"
    assert await balances(wired) == before
    assert len(await ledger(wired)) == 10
    reversed_events = await events_of(wired, "ProductionReceiptReversed")
    assert [e["aggregate_id"] for e in reversed_events] == [str(doc["id"])]
    assert reversed_events[0]["payload"]["status"] == "reversed"
    audit = (
        await wired.stock.get("/v1/audit", params={"entity_type": "production_receipt"})
    ).json()["items"]
    assert [a["action"] for a in audit] == ["reverse", "post"]


async def test_reversal_is_refused_once_the_output_moved_on(wired: Slice, shop: Shop) -> None:
    s = shop
    posted = await wired.stock.post(
        URL,
        json=completion(s, output(s.board, "4", "BRD-1"), components=[component(s.b, "8")]),
    )
    assert posted.status_code == 201, posted.text
    doc = posted.json()
    moved = await wired.stock.post(
        "/v1/transfers",
        json={
            "from_location_code": s.fg,
            "to_location_code": s.store,
            "lines": [
                {
                    "item_code": s.board,
                    "lot_number": "BRD-1",
                    "quantity": "1",
                    "quality_state": "qualified",
                }
            ],
        },
    )
    assert moved.status_code == 201, moved.text
    before = await balances(wired)
    refused = await wired.stock.post(f"{URL}/{doc['id']}/reverse")
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
    problem = refused.json()
    assert problem["detail"].startswith(f"production receipt {doc['number']} cannot be reversed")
    assert (problem["item_code"], problem["available"], problem["needed"]) == (s.board, "3", "4")
    assert await balances(wired) == before
    assert (await wired.stock.get(f"{URL}/{doc['id']}")).json()["status"] == "posted"


async def test_retry_with_the_same_key_posts_once(wired: Slice, shop: Shop) -> None:
    s = shop
    body = completion(s, output(s.board, "2", "BRD-1"), components=[component(s.a, "3")])
    key = {"Idempotency-Key": code("k")}
    first = await wired.stock.post(URL, json=body, headers=key)
    again = await wired.stock.post(URL, json=body, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert len((await wired.stock.get(URL)).json()["items"]) == 1
    assert len(await ledger(wired)) == 2
    assert (await balances(wired, location_code=s.line))[(s.a, s.line, "A-OLD", "qualified")] == 17
    other = await wired.stock.post(
        URL, json=completion(s, output(s.board, "9", "BRD-1")), headers=key
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


async def test_listing_filters_and_pages(wired: Slice, shop: Shop) -> None:
    s = shop
    bodies = [
        completion(s, output(s.board, "1", "BRD-1"), work_order="WO-1"),
        completion(s, output(s.module, "1"), work_order="WO-2"),
        completion(s, output(s.board, "1", "BRD-1"), output(s.module, "1"), work_order="WO-1"),
    ]
    ids = []
    for body in bodies:
        posted = await wired.stock.post(URL, json=body)
        assert posted.status_code == 201, posted.text
        ids.append(posted.json()["id"])
    assert (await wired.stock.post(f"{URL}/{ids[2]}/reverse")).status_code == 200

    async def listed(**params: Any) -> list[int]:
        page = await wired.stock.get(URL, params=params)
        assert page.status_code == 200, page.text
        return [d["id"] for d in page.json()["items"]]

    assert await listed() == ids
    assert await listed(work_order="WO-1") == [ids[0], ids[2]]
    assert await listed(item_code=s.module) == [ids[1], ids[2]]
    assert await listed(item_code=s.a) == []  # consumed is not produced
    assert await listed(status="reversed") == [ids[2]]
    assert await listed(status="posted", work_order="WO-1") == [ids[0]]
    seen, cursor = [], None
    while True:
        page = (
            await wired.stock.get(
                URL, params={"limit": 2, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        assert len(page["items"]) <= 2
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert (await wired.stock.get(URL, params={"cursor": "garbage"})).status_code == 422
    assert (await wired.stock.get(URL, params={"status": "void"})).status_code == 422


async def test_roles(wired: Slice, shop: Shop) -> None:
    s = shop
    body = completion(s, output(s.module, "1"))
    assert (await wired.stock.post(URL, json=body, headers=auth("planner"))).status_code == 403
    assert (await wired.stock.post(URL, json=body, headers=auth("qc"))).status_code == 403
    mes = await wired.stock.post(URL, json=body, headers=auth("integration"))
    assert mes.status_code == 201, mes.text
    by_hand = await wired.stock.post(URL, json=body, headers=auth("warehouse"))
    assert by_hand.status_code == 201, by_hand.text
    doc_id = mes.json()["id"]
    for role in ("integration", "qc", "planner"):
        undo = await wired.stock.post(f"{URL}/{doc_id}/reverse", headers=auth(role))
        assert undo.status_code == 403, role
    got = await wired.stock.get(f"{URL}/{doc_id}", headers=auth("planner"))
    assert got.status_code == 200
    assert all("value" not in m for m in got.json()["movements"]), "costs are for finance"
    assert (await wired.stock.post(f"{URL}/{doc_id}/reverse", headers=auth("warehouse"))).is_success
    assert (await wired.stock.get(f"{URL}/999999")).status_code == 404
    assert (await wired.stock.post(f"{URL}/999999/reverse")).status_code == 404
    assert (
        await wired.stock.post(URL, json=body, headers={"Authorization": ""})
    ).status_code == 401


async def test_concurrent_backflushes_never_overdraw(wired: Slice, shop: Shop) -> None:
    """40 completions backflushing 2 A each against 60 unexpired at the line: 30 post."""
    s = shop

    async def complete() -> httpx.Response:
        return await wired.stock.post(
            URL,
            json=completion(s, output(s.module, "1"), components=[component(s.a, "2")]),
        )

    results = await asyncio.gather(*(complete() for _ in range(40)))
    statuses = [r.status_code for r in results]
    assert statuses.count(201) == 30 and statuses.count(409) == 10, sorted(set(statuses))
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"insufficient_stock"}
    assert await balances(wired, item_code=s.a, location_code=s.line) == {
        (s.a, s.line, "A-EXP", "qualified"): Decimal(10)
    }
    assert await balances(wired, item_code=s.module) == {
        (s.module, s.fg, None, "qualified"): Decimal(30)
    }
