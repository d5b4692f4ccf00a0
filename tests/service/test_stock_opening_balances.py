"""Opening balances (期初库存, SAP 561): a sheet of the stock a firm holds, checked cell by cell
in a dry run, posted whole as one document, reversed whole; catalog, stock and trace
in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from services.stock.domain.model import LEFT_AS, LocationType
from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item

OPENING = "VIRTUAL/OPENING"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
URL = "/v1/opening-balances"
HEADER: list[object] = [
    "Item Code", "Location", "Lot", "Serial Number", "Quality State", "Quantity", "Unit Cost",
    "Supplier", "Supplier Lot", "Date Code", "Receipt Date", "Expiry Date",
]  # fmt: skip
Bucket = tuple[str, str, str | None, str | None, str, Decimal]


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(item: str, location: str, qty: object = None, **cells: object) -> list[object]:
    """A data row under HEADER: lot, serials, state, cost and lot details by keyword."""
    names = ("lot", "serials", "state", "cost", "supplier", "supplier_lot", "date_code",
             "received", "expiry")  # fmt: skip
    values = {name: cells.get(name) for name in names}
    return [item, location, values["lot"], values["serials"], values["state"], qty,
            values["cost"], values["supplier"], values["supplier_lot"], values["date_code"],
            values["received"], values["expiry"]]  # fmt: skip


async def upload(
    s: Slice, data: bytes, *, dry_run: bool, headers: dict[str, str] | None = None, note: str = ""
) -> Any:
    return await s.stock.post(
        URL,
        params={"dry_run": str(dry_run).lower()},
        files={"file": ("opening.xlsx", data, XLSX)},
        data={"note": note} if note else None,
        headers=headers,
    )


def multipart(data: bytes) -> tuple[bytes, dict[str, str]]:
    """A multipart body with a boundary of our choosing (httpx picks a new one each time)."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="opening.xlsx"\r\nContent-Type: {XLSX}\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


async def balances(s: Slice, **params: Any) -> set[Bucket]:
    """Every non-zero balance as (item, location, lot, serial, state, quantity)."""
    page = (await s.stock.get("/v1/balances", params={**params, "limit": 500})).json()
    assert page["next_cursor"] is None
    return {
        (
            b["item_code"],
            b["location_code"],
            b["lot_number"],
            b["serial_number"],
            b["quality_state"],
            Decimal(b["quantity"]),
        )
        for b in page["items"]
        if Decimal(b["quantity"])
    }


async def ledger(s: Slice) -> list[dict]:
    page = await s.stock.get(
        "/v1/movements", params={"document_type": "opening_balance", "limit": 500}
    )
    return page.json()["items"]


async def events_of(s: Slice, *types: str) -> list[dict]:
    feed = (await s.stock.get("/v1/events", params={"limit": 1000})).json()["events"]
    return [e for e in feed if e["type"] in types]


async def location(s: Slice, kind: str = "storage", parent: str | None = None) -> str:
    made = code(f"{parent}/OB" if parent else "OB")
    body = {"code": made, "name": made, "location_type": kind, "parent_code": parent}
    response = await s.stock.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return made


@dataclass
class Stock:
    a: str
    b: str
    lot_item: str  # lot-tracked, shelf life 365 days
    plain_item: str
    serial_item: str


@pytest.fixture
async def stock(wired: Slice) -> Stock:
    return Stock(
        await location(wired),
        await location(wired),
        await make_item(wired, shelf_life_days=365),
        await make_item(wired, tracking="none"),
        await make_item(wired, tracking="serial"),
    )


def moves(movements: list[dict]) -> list[tuple[str, str, str | None, str, Decimal]]:
    return [
        (
            m["item_code"],
            m["from_location"],
            m["serial_number"],
            m["to_location"],
            Decimal(m["quantity"]),
        )
        for m in movements
    ]


# --- dry run and commit ----------------------------------------------------------------------


async def test_a_dry_run_changes_nothing_and_a_commit_posts_one_document(
    wired: Slice, stock: Stock
) -> None:
    s = stock
    lot = code("L")
    sheet = workbook(
        [
            HEADER,
            row(s.lot_item, s.a, 1000, lot=lot, cost="0.5", supplier="Yageo",
                supplier_lot="YG-7", date_code="2601", received=date(2026, 1, 5)),
            row(s.lot_item, s.a, 20, lot=lot, state="不良", cost=0.5),
            row(s.plain_item, s.b, "5,000"),
            row(s.serial_item, s.b, None, serials="S1, S2", cost=80),
            row(s.serial_item, s.b, 1, serials="S3", state="待检", cost=80),
        ]
    )  # fmt: skip
    dry = await upload(wired, sheet, dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["dry_run"], report["errors"], report["missing"]) == (True, [], [])
    assert [m["field"] for m in report["matched"]] == [
        "item_code", "location_code", "lot_number", "serial_numbers", "quality_state",
        "quantity", "unit_cost", "supplier", "supplier_lot", "date_code", "receipt_date",
        "expiry_date",
    ]  # fmt: skip
    assert (report["rows"], report["valid"], report["items"], report["serials"]) == (5, 5, 3, 3)
    assert report["new_lots"] == [f"{s.lot_item}/{lot}"]
    assert report["opening_balance"] is None
    assert await balances(wired) == set()
    assert (await wired.stock.get("/v1/lots", params={"item_code": s.lot_item})).json()[
        "items"
    ] == []
    assert (await wired.stock.get(URL)).json()["items"] == []

    posted = await upload(wired, sheet, dry_run=False, note="go-live")
    assert posted.status_code == 201, posted.text
    result = posted.json()
    assert result["dry_run"] is False and result["errors"] == []
    doc = result["opening_balance"]
    assert re.fullmatch(r"OB-\d{8}", doc["number"])
    assert (doc["status"], doc["note"], doc["line_count"], doc["serial_count"]) == (
        "posted",
        "go-live",
        5,
        3,
    )
    assert doc["file_name"] == "opening.xlsx" and len(doc["file_sha256"]) == 64
    assert [
        (ln["row"], ln["item_code"], ln["lot_number"], ln["serial_numbers"], ln["quantity"])
        for ln in doc["lines"]
    ] == [
        (2, s.lot_item, lot, [], "1000"),
        (3, s.lot_item, lot, [], "20"),
        (4, s.plain_item, None, [], "5000"),
        (5, s.serial_item, None, ["S1", "S2"], "2"),
        (6, s.serial_item, None, ["S3"], "1"),
    ]
    # one movement per line, one per unit for serials, all from VIRTUAL/OPENING
    assert moves(doc["movements"]) == [
        (s.lot_item, OPENING, None, s.a, Decimal(1000)),
        (s.lot_item, OPENING, None, s.a, Decimal(20)),
        (s.plain_item, OPENING, None, s.b, Decimal(5000)),
        (s.serial_item, OPENING, "S1", s.b, Decimal(1)),
        (s.serial_item, OPENING, "S2", s.b, Decimal(1)),
        (s.serial_item, OPENING, "S3", s.b, Decimal(1)),
    ]
    # valued at the sheet's unit cost; without one at the item's average (none yet: 0)
    assert [(Decimal(m["unit_cost"]), Decimal(m["value"])) for m in doc["movements"]] == [
        (Decimal("0.5"), Decimal(500)),
        (Decimal("0.5"), Decimal(10)),
        (Decimal(0), Decimal(0)),
        (Decimal(80), Decimal(80)),
        (Decimal(80), Decimal(80)),
        (Decimal(80), Decimal(80)),
    ]
    assert await balances(wired) >= {
        (s.lot_item, s.a, lot, None, "qualified", Decimal(1000)),
        (s.lot_item, s.a, lot, None, "defective", Decimal(20)),
        (s.plain_item, s.b, None, None, "qualified", Decimal(5000)),
        (s.serial_item, s.b, None, "S1", "qualified", Decimal(1)),
        (s.serial_item, s.b, None, "S2", "qualified", Decimal(1)),
        (s.serial_item, s.b, None, "S3", "pending_inspection", Decimal(1)),
    }
    assert len(await balances(wired, item_code=s.serial_item)) == 3
    (made,) = (await wired.stock.get("/v1/lots", params={"item_code": s.lot_item})).json()["items"]
    assert (made["supplier"], made["supplier_lot"], made["date_code"]) == ("Yageo", "YG-7", "2601")
    assert (made["receipt_date"], made["expiry_date"]) == ("2026-01-05", "2027-01-05")
    serials = (await wired.stock.get("/v1/serials", params={"item_code": s.serial_item})).json()
    assert {(r["serial_number"], r["status"], r["location_code"]) for r in serials["items"]} == {
        (sn, "in_stock", s.b) for sn in ("S1", "S2", "S3")
    }
    # the ledger, the document, the list, the events, the audit
    assert moves(await ledger(wired)) == moves(doc["movements"])
    assert (await wired.stock.get(f"{URL}/{doc['id']}")).json() == doc
    listed = (await wired.stock.get(URL)).json()["items"]
    assert [(d["id"], d["line_count"], d["serial_count"]) for d in listed] == [(doc["id"], 5, 3)]
    assert "lines" not in listed[0]
    created = await events_of(wired, "LotCreated")
    assert [e["payload"]["lot_number"] for e in created] == [lot]
    published = [
        e["payload"]
        for e in await events_of(wired, "MovementPosted")
        if e["payload"]["document_type"] == "opening_balance"
    ]
    assert [m["serial_number"] for m in published] == [None, None, None, "S1", "S2", "S3"]
    (done,) = await events_of(wired, "OpeningBalancePosted")
    assert done["payload"]["number"] == doc["number"] and "movements" not in done["payload"]
    assert [ln["serial_numbers"] for ln in done["payload"]["lines"]][3:] == [["S1", "S2"], ["S3"]]
    audit = await wired.stock.get("/v1/audit", params={"entity_type": "opening_balance"})
    assert [a["action"] for a in audit.json()["items"]] == ["post"]
    # costs are for finance and admin only
    seen = (await wired.stock.get(f"{URL}/{doc['id']}", headers=auth("warehouse"))).json()
    assert "unit_cost" not in seen["lines"][0] and "value" not in seen["movements"][0]


async def test_a_dry_run_names_every_bad_cell(wired: Slice, stock: Stock) -> None:
    s = stock
    warehouse = await location(wired, "warehouse")
    in_stock = code("SN")
    received = await wired.stock.post(
        "/v1/receipts",
        json={"item_code": s.serial_item, "location_code": s.a, "quantity": "1",
              "serial_numbers": [in_stock]},
    )  # fmt: skip
    assert received.status_code == 201, received.text
    old = code("L")
    receipt = {"item_code": s.lot_item, "location_code": s.a, "quantity": "1",
               "lot_number": old, "supplier": "Yageo"}  # fmt: skip
    assert (await wired.stock.post("/v1/receipts", json=receipt)).status_code == 201
    before = await balances(wired)
    new = code("L")
    sheet = workbook(
        [
            ["说明: 期初库存"],  # a title row above the header
            [
                "物料编码",
                "库位",
                "批号",
                "序列号",
                "质量状态",
                "数量",
                "单价",
                "供应商",
                "入库日期",
                "有效期",
                "备注",
            ],
            ["NO-SUCH-ITEM", s.a, None, None, "合格", 1],  # 3
            [s.plain_item, "NO/SUCH", None, None, "合格", 1],  # 4
            [s.lot_item, s.a, None, None, "合格", 1],  # 5: no lot
            [s.plain_item, s.a, "L1", None, "合格", 1],  # 6: a lot for an untracked item
            [s.serial_item, s.b, None, "A1 A2", "合格", 3],  # 7: 2 serials for 3
            [s.serial_item, s.b, None, in_stock, "合格", 1],  # 8: already in stock
            [s.plain_item, s.b, None, None, "合格", "abc"],  # 9
            [s.plain_item, s.b, None, None, "不良", -2],  # 10
            [s.plain_item, s.b, None, None, "待检", 1, -1],  # 11
            [s.lot_item, s.b, new, None, "合格", 1, None, None, "soon"],  # 12
            [s.plain_item, s.b, None, None, "坏了", 1],  # 13
            [s.plain_item, s.a, None, None, None, 5],  # 14
            [s.plain_item, s.a, None, None, "合格", 6],  # 15: the same bucket as row 14
            [s.serial_item, s.b, None, "B1", "合格", 1],  # 16
            [s.serial_item, s.a, None, "B1", "合格", 1],  # 17: B1 again
            [s.plain_item, warehouse, None, None, "合格", 1],  # 18: a warehouse node
            [s.plain_item, s.b, None, None, "不良", 1, None, "Yageo"],  # 19: no lot to describe
            [s.lot_item, s.b, old, None, "合格", 1, None, "Murata"],  # 20: old lot is Yageo's
            [s.lot_item, s.a, new, None, "合格", 1, None, None, "2026-02-01", "2026-01-01"],  # 21
            [s.lot_item, s.a, new, None, "不良", 1, None, "TDK", "2026-03-01"],  # 22: 21 said 02-01
            [s.serial_item, s.b, None, "C1", "合格", "1.5"],  # 23: one serial for 1.5
            [s.plain_item, s.b, None, None, "合格", 1, None, None, None, None, "fine"],  # 24: ok
        ]
    )
    dry = await upload(wired, sheet, dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["header_row"] == 2
    assert [(u["column"], u["header"]) for u in report["unmatched"]] == [("K", "备注")]
    assert [(e["row"], e["column"], e["field"]) for e in report["errors"]] == [
        (3, "A", "item_code"),
        (4, "B", "location_code"),
        (5, "C", "lot_number"),
        (6, "C", "lot_number"),
        (7, "D", "serial_numbers"),
        (8, "D", "serial_numbers"),
        (9, "F", "quantity"),
        (10, "F", "quantity"),
        (11, "G", "unit_cost"),
        (12, "I", "receipt_date"),
        (13, "E", "quality_state"),
        (15, "A", "item_code"),
        (17, "D", "serial_numbers"),
        (18, "B", "location_code"),
        (19, "H", "supplier"),
        (20, "H", "supplier"),
        (21, "J", "expiry_date"),
        (22, "I", "receipt_date"),
        (23, "D", "serial_numbers"),
    ]
    reasons = {(e["row"], e["field"]): e["reason"] for e in report["errors"]}
    assert "catalog has no item" in reasons[(3, "item_code")]
    assert reasons[(7, "serial_numbers")] == "2 serial number(s) for a quantity of 3"
    assert in_stock in reasons[(8, "serial_numbers")] and s.a in reasons[(8, "serial_numbers")]
    assert "row 14" in reasons[(15, "item_code")]
    assert "B1 (row 16)" in reasons[(17, "serial_numbers")]
    assert "Yageo" in reasons[(20, "supplier")]
    assert "row 21" in reasons[(22, "receipt_date")]
    assert (report["rows"], report["valid"]) == (22, 3)  # rows 14, 16 and 24
    # nothing was written, and a commit refuses the whole file
    refused = await upload(wired, sheet, dry_run=False)
    assert refused.status_code == 422 and refused.json()["code"] == "import_rejected"
    assert len(refused.json()["import_errors"]) == len(report["errors"])
    assert refused.json()["errors"][0]["field"] == "file.rows.3.item_code"
    assert await balances(wired) == before
    assert (await wired.stock.get(URL)).json()["items"] == []
    lots = (await wired.stock.get("/v1/lots", params={"item_code": s.lot_item})).json()["items"]
    assert [x["lot_number"] for x in lots] == [old]
    assert await ledger(wired) == []
    # a sheet without the columns it needs says which
    headless = await upload(wired, workbook([["Item Code", "Note"], ["X", "y"]]), dry_run=True)
    assert headless.json()["missing"] == ["location_code", "quantity"]
    assert headless.json()["errors"][0]["row"] == 1


# --- the same file, retries, races -----------------------------------------------------------


async def test_a_retry_replays_and_the_same_file_posts_once(wired: Slice, stock: Stock) -> None:
    s = stock
    sheet = workbook([HEADER, row(s.plain_item, s.a, 10)])
    body, headers = multipart(sheet)
    key = {"Idempotency-Key": code("ob"), **headers}
    url = f"{URL}?dry_run=false"
    first = await wired.stock.post(url, content=body, headers=key)
    again = await wired.stock.post(url, content=body, headers=key)
    # a client retrying builds a new body with a new boundary: still the same request
    retried = await upload(
        wired, sheet, dry_run=False, headers={"Idempotency-Key": key["Idempotency-Key"]}
    )
    assert retried.status_code == 201, retried.text
    assert retried.headers["Idempotent-Replayed"] == "true" and retried.json() == first.json()
    assert first.status_code == again.status_code == 201, first.text
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert await balances(wired, item_code=s.plain_item) == {
        (s.plain_item, s.a, None, None, "qualified", Decimal(10))
    }
    number = first.json()["opening_balance"]["number"]
    # the same file again (a new upload, no key) is refused: it was posted
    twice = await upload(wired, sheet, dry_run=False)
    assert twice.status_code == 422, twice.text
    assert number in twice.json()["import_errors"][0]["reason"]
    dry = (await upload(wired, sheet, dry_run=True)).json()
    assert [(e["row"], e["field"]) for e in dry["errors"]] == [(None, None)]
    assert len(await ledger(wired)) == 1
    # once reversed, the file may be posted again
    document_id = first.json()["opening_balance"]["id"]
    assert (await wired.stock.post(f"{URL}/{document_id}/reverse")).status_code == 200
    assert (await upload(wired, sheet, dry_run=False)).status_code == 201
    assert await balances(wired, item_code=s.plain_item) == {
        (s.plain_item, s.a, None, None, "qualified", Decimal(10))
    }


async def test_racing_commits_queue_and_create_each_lot_once(wired: Slice, stock: Stock) -> None:
    s = stock
    lot = code("L")
    sheets = [
        workbook([HEADER, row(s.lot_item, place, 7, lot=lot, supplier="Yageo")])
        for place in (s.a, s.b)
    ]
    racing = await asyncio.gather(*(upload(wired, sheet, dry_run=False) for sheet in sheets))
    assert [r.status_code for r in racing] == [201, 201], [r.text for r in racing]
    lots = (await wired.stock.get("/v1/lots", params={"item_code": s.lot_item})).json()["items"]
    assert [(x["lot_number"], x["supplier"]) for x in lots] == [(lot, "Yageo")]
    assert sorted(len(r.json()["new_lots"]) for r in racing) == [0, 1]
    assert len(await events_of(wired, "LotCreated")) == 1
    assert await balances(wired, item_code=s.lot_item) == {
        (s.lot_item, s.a, lot, None, "qualified", Decimal(7)),
        (s.lot_item, s.b, lot, None, "qualified", Decimal(7)),
    }
    # the same file twice at once: one posts, the other sees it posted
    same = workbook([HEADER, row(s.plain_item, s.a, 3)])
    racing = await asyncio.gather(*(upload(wired, same, dry_run=False) for _ in range(2)))
    assert sorted(r.status_code for r in racing) == [201, 422]
    assert await balances(wired, item_code=s.plain_item) == {
        (s.plain_item, s.a, None, None, "qualified", Decimal(3))
    }


# --- reversal --------------------------------------------------------------------------------


async def test_reversal_takes_it_back_once(wired: Slice, stock: Stock) -> None:
    s = stock
    lot = code("L")
    sheet = workbook(
        [HEADER, row(s.lot_item, s.a, 100, lot=lot, cost=2), row(s.plain_item, s.b, 40)]
    )
    doc = (await upload(wired, sheet, dry_run=False)).json()["opening_balance"]
    undone = await wired.stock.post(f"{URL}/{doc['id']}/reverse", headers=auth("warehouse"))
    assert undone.status_code == 200, undone.text
    out = undone.json()
    assert (out["status"], out["reversed_by"]) == ("reversed", "user:tester")
    assert await balances(wired) == set()
    back = [m for m in out["movements"] if m["reversal_of_id"] is not None]
    assert sorted(m["reversal_of_id"] for m in back) == sorted(m["id"] for m in doc["movements"])
    assert [(m["from_location"], m["to_location"]) for m in back] == [  # newest first
        (s.b, OPENING),
        (s.a, OPENING),
    ]
    valuation = (await wired.stock.get("/v1/valuation", params={"item_code": s.lot_item})).json()
    assert [Decimal(i["value"]) for i in valuation["items"]] in ([], [Decimal(0)])
    again = await wired.stock.post(f"{URL}/{doc['id']}/reverse")
    assert again.status_code == 409 and again.json()["code"] == "document_reversed"
    assert len(await ledger(wired)) == 4
    (reversed_event,) = await events_of(wired, "OpeningBalanceReversed")
    assert reversed_event["payload"]["status"] == "reversed"
    listed = await wired.stock.get(URL, params={"status": "reversed"})
    assert [d["id"] for d in listed.json()["items"]] == [doc["id"]]
    assert (await wired.stock.post(f"{URL}/999999/reverse")).status_code == 404


async def test_reversal_is_refused_once_the_stock_moved_on(wired: Slice, stock: Stock) -> None:
    s = stock
    sheet = workbook([HEADER, row(s.plain_item, s.a, 10), row(s.plain_item, s.b, 10)])
    doc = (await upload(wired, sheet, dry_run=False)).json()["opening_balance"]
    moved = await wired.stock.post(
        "/v1/transfers",
        json={"from_location_code": s.b, "to_location_code": s.a,
              "lines": [{"item_code": s.plain_item, "quantity": "4"}]},
    )  # fmt: skip
    assert moved.status_code == 201, moved.text
    before = await balances(wired)
    refused = await wired.stock.post(f"{URL}/{doc['id']}/reverse")
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "insufficient_stock"
    assert (problem["location_code"], problem["available"], problem["needed"]) == (s.b, "6", "10")
    assert [e["field"] for e in problem["errors"]] == ["lines.1.quantity"]
    assert "row 3" in problem["errors"][0]["message"]
    assert problem["detail"].startswith(f"opening balance {doc['number']} cannot be reversed")
    assert await balances(wired) == before
    assert (await wired.stock.get(f"{URL}/{doc['id']}")).json()["status"] == "posted"


async def test_serials_of_an_opening_balance(wired: Slice, stock: Stock) -> None:
    s = stock
    units = [code("SN") for _ in range(2)]
    sheet = workbook([HEADER, row(s.serial_item, s.a, None, serials=" ".join(units))])
    doc = (await upload(wired, sheet, dry_run=False)).json()["opening_balance"]
    # a serial brought in once cannot be brought in again, by another file or a receipt
    again = workbook([HEADER, row(s.serial_item, s.b, None, serials=units[0])])
    report = (await upload(wired, again, dry_run=True)).json()
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "serial_numbers")]
    receipt = {"item_code": s.serial_item, "location_code": s.b, "quantity": "1",
               "serial_numbers": [units[1]]}  # fmt: skip
    assert (await wired.stock.post("/v1/receipts", json=receipt)).json()["code"] == (
        "serial_conflict"
    )
    undone = await wired.stock.post(f"{URL}/{doc['id']}/reverse")
    if LocationType.OPENING in LEFT_AS:  # the ledger can take serials back to the opening
        assert undone.status_code == 200, undone.text
        assert await balances(wired, item_code=s.serial_item) == set()
    else:  # refused whole, before anything moves
        assert undone.status_code == 409, undone.text
        assert undone.json()["code"] == "document_status_conflict"
        assert len(await balances(wired, item_code=s.serial_item)) == 2
        assert (await wired.stock.get(f"{URL}/{doc['id']}")).json()["status"] == "posted"


# --- the template, roles, size ---------------------------------------------------------------


async def test_the_template_reads_back(wired: Slice) -> None:
    template = await wired.stock.get(f"{URL}/template.xlsx", headers=auth("planner"))
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    assert book.sheetnames == ["期初库存 Opening", "说明 Notes"]
    header = next(book.worksheets[0].values)
    assert header[:3] == ("物料编码 Item Code", "库位 Location", "批号 Lot")
    report = (await upload(wired, template.content, dry_run=True)).json()
    assert report["missing"] == [] and report["unmatched"] == []
    assert len(report["matched"]) == 12 and report["rows"] == 4
    # the example items are not in this catalog: that is all that is wrong with them
    assert {e["field"] for e in report["errors"]} == {"item_code", "location_code"}


async def test_roles(wired: Slice, stock: Stock) -> None:
    s = stock
    sheet = workbook([HEADER, row(s.plain_item, s.a, 1)])
    for role in ("planner", "qc", "finance"):
        refused = await upload(wired, sheet, dry_run=True, headers=auth(role))
        assert refused.status_code == 403, role
    posted = await upload(wired, sheet, dry_run=False, headers=auth("warehouse"))
    assert posted.status_code == 201, posted.text
    doc = posted.json()["opening_balance"]
    assert (await wired.stock.get(URL, headers=auth("planner"))).status_code == 200
    assert (await wired.stock.get(f"{URL}/{doc['id']}", headers=auth("qc"))).status_code == 200
    assert (
        await wired.stock.post(f"{URL}/{doc['id']}/reverse", headers=auth("qc"))
    ).status_code == 403
    listed = await wired.stock.get(URL, params={"item_code": s.plain_item})
    assert [d["id"] for d in listed.json()["items"]] == [doc["id"]]
    assert (await wired.stock.get(URL, params={"location_code": s.b})).json()["items"] == []
    assert (await wired.stock.get(f"{URL}/999999")).status_code == 404


async def test_a_sheet_of_many_items_and_locations_posts_every_row(wired: Slice) -> None:
    """20 items x 25 locations, lot-tracked: 500 rows checked, then posted as one document
    (its time on 5,000 rows is measured by `bench/stock.py --only opening`)."""
    items = await asyncio.gather(*(make_item(wired) for _ in range(20)))
    places = [await location(wired) for _ in range(25)]
    rows = [HEADER] + [
        row(item, place, 10, lot=f"L{n % 7}", cost="1.25")
        for n, item in enumerate(items)
        for place in places
    ]
    sheet = workbook(rows)
    dry = await upload(wired, sheet, dry_run=True)
    assert dry.status_code == 200 and dry.json()["valid"] == 500, dry.text[:2000]
    posted = await upload(wired, sheet, dry_run=False)
    assert posted.status_code == 201, posted.text[:2000]
    assert posted.json()["opening_balance"]["line_count"] == 500
    total = await wired.stock.get("/v1/stock-overview")
    assert Decimal(total.json()["total"]) == Decimal(5_000)
