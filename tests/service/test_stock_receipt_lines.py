"""Purchase receipts with lines: many items, lots and units in one document, posted whole
or not at all; the one-line form stays; drafts, reversal and the list see every line."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.conftest import auth
from tests.service import test_thin_slice_inprocess as base
from tests.service.test_stock_drafts_receipts import balances, events_of, listed, lots_of, worth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location

wired = base.wired  # the fixture
D = Decimal


async def ledger(w: Slice) -> list[dict]:
    return (await w.stock.get("/v1/movements", params={"limit": 500})).json()["items"]


async def setup(w: Slice) -> tuple[str, str, str, str]:
    """A lot-tracked, an untracked and a serial-tracked item, and a receiving location."""
    return (
        await make_item(w, tracking="lot"),
        await make_item(w, tracking="none"),
        await make_item(w, tracking="serial"),
        await make_location(w),
    )


async def trace_history(w: Slice, item: str, lot: str) -> list[tuple[str, str]]:
    """The lot's history in trace, once it has arrived there (within 2 s)."""
    history: list[dict] = []
    for _ in range(100):
        detail = await w.trace.get(
            "/v1/genealogy/node", params={"item_code": item, "lot_number": lot}
        )
        if detail.status_code == 200:
            history = detail.json()["history"]
        if history:
            break
        await asyncio.sleep(0.02)
    return [(h["action"], h["quantity"]) for h in history]


def receipt(location: str, *lines: dict[str, Any], **header: Any) -> dict[str, Any]:
    return {"location_code": location, "supplier": "Yageo", "lines": list(lines), **header}


async def test_one_receipt_of_many_lines_receives_every_lot_and_unit(wired: Slice) -> None:
    lotted, plain, serial, location = await setup(wired)
    other, lot, other_lot = await make_item(wired, tracking="lot"), code("L"), code("L")
    body = receipt(
        location,
        {
            "item_code": lotted,
            "quantity": "4000",
            "lot_number": lot,
            "supplier_lot": "YG-1",
            "date_code": "2611",
            "unit_price": "0.002",
        },
        {"item_code": plain, "quantity": "30", "unit_price": "1.5"},
        {
            "item_code": serial,
            "quantity": "2",
            "serial_numbers": ["SN-1", "SN-2"],
            "unit_price": "30",
        },
        {"item_code": lotted, "quantity": "1000", "lot_number": lot, "unit_price": "0.003"},
        {"item_code": other, "quantity": "7", "lot_number": other_lot},
        purchase_order="PO-77",
    )
    response = await wired.stock.post("/v1/receipts", json=body)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["status"] == "posted" and doc["item_code"] is None and doc["quantity"] is None
    assert [(ln["line_no"], ln["item_code"], ln["quantity"]) for ln in doc["lines"]] == [
        (1, lotted, "4000"),
        (2, plain, "30"),
        (3, serial, "2"),
        (4, lotted, "1000"),
        (5, other, "7"),
    ]
    assert doc["lines"][0]["lot"]["lot_number"] == lot
    assert (doc["lines"][0]["lot"]["supplier_lot"], doc["lines"][0]["lot"]["date_code"]) == (
        "YG-1",
        "2611",
    )
    assert doc["lines"][3]["lot"]["id"] == doc["lines"][0]["lot"]["id"]  # one lot, two lines
    assert doc["lines"][2]["serial_numbers"] == ["SN-1", "SN-2"]
    assert [(m["item_code"], m["quantity"], m["serial_number"]) for m in doc["movements"]] == [
        (lotted, "4000", None),
        (plain, "30", None),
        (serial, "1", "SN-1"),
        (serial, "1", "SN-2"),
        (lotted, "1000", None),
        (other, "7", None),
    ]
    assert {m["purchase_order"] for m in doc["movements"]} == {"PO-77"}
    assert await balances(wired, lotted) == {(lotted, location, lot, "pending_inspection", D(5000))}
    assert await worth(wired, lotted) == (D(5000), D("11"), D("0.0022"))
    assert await worth(wired, serial) == (D(2), D(60), D(30))
    assert await lots_of(wired, lotted) == [lot]
    created = await events_of(wired, "LotCreated")
    assert sorted(e["payload"]["lot_number"] for e in created) == sorted([lot, other_lot])
    (posted,) = await events_of(wired, "ReceiptPosted")
    assert len(posted["payload"]["lines"]) == 5
    # trace hears of each lot and of every movement into it (two lines: two movements)
    assert await trace_history(wired, lotted, lot) == [("received", "4000"), ("received", "1000")]
    assert await trace_history(wired, other, other_lot) == [("received", "7")]
    # the list finds it by an item on any line
    assert [r["id"] for r in await listed(wired, item_code=plain)] == [doc["id"]]
    assert [r["id"] for r in await listed(wired, item_code=serial)] == [doc["id"]]


async def test_every_bad_line_is_named_and_nothing_is_received(wired: Slice) -> None:
    lotted, plain, serial, _ = await setup(wired)
    before = await ledger(wired)
    body = receipt(
        "NO/SUCH",
        {"item_code": "NOPE", "quantity": "1"},
        {"item_code": lotted, "quantity": "5"},
        {"item_code": plain, "quantity": "5", "lot_number": "L1"},
        {"item_code": serial, "quantity": "2", "serial_numbers": ["SN-9"]},
        {"item_code": serial, "quantity": "1", "serial_numbers": ["SN-7"]},
        {"item_code": serial, "quantity": "1", "serial_numbers": ["SN-7"]},
    )
    response = await wired.stock.post("/v1/receipts", json=body)
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields[0] == "body.location_code"
    assert {
        "body.lines.0.item_code",
        "body.lines.1.lot_number",
        "body.lines.2.lot_number",
        "body.lines.3.serial_numbers",
    } <= set(fields)
    assert any(field.startswith("body.lines.5") for field in fields)  # SN-7 twice
    assert await ledger(wired) == before
    assert await lots_of(wired, lotted) == []


async def test_lines_or_the_one_line_form_never_both_nor_neither(wired: Slice) -> None:
    _, plain, _, location = await setup(wired)
    both = receipt(location, {"item_code": plain, "quantity": "1"}, item_code=plain, quantity="1")
    response = await wired.stock.post("/v1/receipts", json=both)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"body.item_code", "body.quantity"}
    neither = {"location_code": location, "supplier": "Yageo"}
    response = await wired.stock.post("/v1/receipts", json=neither)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"body.item_code", "body.quantity"}
    empty = await wired.stock.post("/v1/receipts", json=receipt(location))
    assert empty.status_code == 422
    one = await wired.stock.post(
        "/v1/receipts", json={"location_code": location, "item_code": plain, "quantity": "3"}
    )
    assert one.status_code == 201, one.text
    doc = one.json()
    assert (doc["item_code"], doc["quantity"], len(doc["lines"])) == (plain, "3", 1)
    assert doc["lines"][0]["item_code"] == plain


async def test_a_line_in_reels_and_a_draft_of_lines_reversed_whole(wired: Slice) -> None:
    lotted, plain, _, location = await setup(wired)
    item_id = (await wired.catalog.get(f"/v1/items/by-code/{plain}")).json()["id"]
    put = await wired.catalog.put(
        f"/v1/items/{item_id}/unit-conversions", json=[{"uom": "reel", "factor": "5000"}]
    )
    assert put.status_code == 200, put.text
    lot = code("L")
    body = receipt(
        location,
        {"item_code": plain, "quantity": "2", "uom": "reel", "unit_price": "0.001"},
        {"item_code": lotted, "quantity": "100", "lot_number": lot},
        draft=True,
    )
    draft = (await wired.stock.post("/v1/receipts", json=body)).json()
    assert draft["status"] == "draft" and draft["movements"] == []
    assert [ln["lot"] for ln in draft["lines"]] == [None, None]
    # prices, on the lines and in the stored request, are finance's to read
    seen = (await wired.stock.get(f"/v1/receipts/{draft['id']}", headers=auth("warehouse"))).json()
    assert "unit_price" not in seen["lines"][0]
    assert "unit_price" not in seen["draft_request"]["lines"][0]
    assert draft["draft_request"]["lines"][0]["unit_price"] == "0.001"
    assert await lots_of(wired, lotted) == []
    posted = await wired.stock.post(f"/v1/receipts/{draft['id']}/post")
    assert posted.status_code == 200, posted.text
    doc = posted.json()
    first = doc["lines"][0]
    assert (first["quantity"], first["entered_quantity"], first["entered_uom"]) == (
        "10000",
        "2",
        "reel",
    )
    assert doc["lines"][1]["lot"]["lot_number"] == lot
    reversed_ = await wired.stock.post(f"/v1/receipts/{doc['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["status"] == "reversed"
    assert [b for b in await balances(wired, lotted) if b[4]] == []
    assert [b for b in await balances(wired, plain) if b[4]] == []
