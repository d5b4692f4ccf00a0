"""Stock counts (盘点): freeze the book, count (JSON and .xlsx), post the differences, cancel,
reverse; catalog, stock and trace in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item

ADJUSTMENT = "VIRTUAL/COUNT-ADJUSTMENT"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Bucket = tuple[str, str, str | None, str, Decimal]


async def _location(s: Slice, location: str, kind: str, parent: str | None = None) -> None:
    body = {"code": location, "name": location, "location_type": kind, "parent_code": parent}
    made = await s.stock.post("/v1/locations", json=body)
    assert made.status_code == 201, made.text


async def _stock(
    s: Slice, item: str, location: str, accepted: str, rejected: str, lot: str | None = None
) -> None:
    """Receive accepted + rejected, then inspect: accepted qualified, rejected defective."""
    total = str(Decimal(accepted) + Decimal(rejected))
    body = {"item_code": item, "location_code": location, "quantity": total, "supplier": "Yageo"}
    if lot is not None:
        body["lot_number"] = lot
    assert (await s.stock.post("/v1/receipts", json=body)).status_code == 201
    qc = {
        "item_code": item,
        "lot_number": lot,
        "location_code": location,
        "accepted_quantity": accepted,
        "rejected_quantity": rejected,
        "sample_size": 1,
        "inspector": "QC Li",
    }
    inspected = await s.stock.post("/v1/inspections", json=qc, headers=auth("qc"))
    assert inspected.status_code == 201, inspected.text


@dataclass
class Site:
    root: str  # a warehouse node
    a: str  # root/A, storage
    b: str  # root/B, storage
    outside: str  # storage outside the root's tree
    lot_item: str
    plain_item: str
    lot: str


@pytest.fixture
async def site(wired: Slice) -> Site:
    """root/A: 100 qualified of a lot; root/B: 40 qualified, 10 defective untracked; outside:
    7 qualified untracked."""
    root, outside = code("WH"), code("OUT")
    site = Site(root, f"{root}/A", f"{root}/B", outside, "", "", code("L"))
    await _location(wired, root, "warehouse")
    await _location(wired, site.a, "storage", root)
    await _location(wired, site.b, "storage", root)
    await _location(wired, outside, "storage")
    site.lot_item = await make_item(wired)
    site.plain_item = await make_item(wired, tracking="none")
    await _stock(wired, site.lot_item, site.a, "100", "0", site.lot)
    await _stock(wired, site.plain_item, site.b, "40", "10")
    await _stock(wired, site.plain_item, outside, "7", "0")
    return site


async def balances(s: Slice, **params: Any) -> set[Bucket]:
    """Every non-zero balance as (item, location, lot, state, quantity)."""
    page = (await s.stock.get("/v1/balances", params={**params, "limit": 500})).json()
    assert page["next_cursor"] is None
    return {
        (
            b["item_code"],
            b["location_code"],
            b["lot_number"],
            b["quality_state"],
            Decimal(b["quantity"]),
        )
        for b in page["items"]
    }


def count_line(
    item: str, location: str, qty: str, lot: str | None = None, state: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"item_code": item, "location_code": location, "counted_quantity": qty}
    if lot is not None:
        body["lot_number"] = lot
    if state is not None:
        body["quality_state"] = state
    return body


async def start(s: Slice, location: str, **body: Any) -> dict:
    response = await s.stock.post("/v1/stock-counts", json={"location_code": location, **body})
    assert response.status_code == 201, response.text
    return response.json()


async def enter(s: Slice, count: dict, *lines: dict, **kwargs: Any) -> dict:
    response = await s.stock.put(
        f"/v1/stock-counts/{count['id']}/lines", json={"lines": list(lines)}, **kwargs
    )
    assert response.status_code == 200, response.text
    return response.json()


def book(count: dict) -> list[tuple[int, str, str, str | None, str, str | None, str | None]]:
    """(line, location, item, lot, state, book, counted) of every line."""
    return [
        (
            ln["line_no"],
            ln["location_code"],
            ln["item_code"],
            ln["lot_number"],
            ln["quality_state"],
            ln["book_quantity"],
            ln["counted_quantity"],
        )
        for ln in count["lines"]
    ]


def moves(movements: list[dict]) -> list[tuple[str, str, str, str, Decimal]]:
    return [
        (
            m["item_code"],
            m["from_location"],
            m["to_location"],
            m["to_state"],
            Decimal(m["quantity"]),
        )
        for m in movements
    ]


async def transfer(s: Slice, item: str, source: str, target: str, qty: str, lot: str) -> None:
    body = {
        "from_location_code": source,
        "to_location_code": target,
        "lines": [{"item_code": item, "lot_number": lot, "quantity": qty}],
    }
    response = await s.stock.post("/v1/transfers", json=body)
    assert response.status_code == 201, response.text


async def events_of(s: Slice, *types: str) -> list[dict]:
    feed = (await s.stock.get("/v1/events", params={"limit": 500})).json()["events"]
    return [e for e in feed if e["type"] in types]


async def ledger(s: Slice) -> list[dict]:
    page = await s.stock.get("/v1/movements", params={"document_type": "stock_count"})
    return page.json()["items"]


def workbook(rows: list[list[object]]) -> bytes:
    book_ = openpyxl.Workbook()
    sheet = book_.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book_.save(buffer)
    return buffer.getvalue()


async def upload(s: Slice, count: dict, data: bytes, *, dry_run: bool) -> Any:
    return await s.stock.post(
        f"/v1/stock-counts/{count['id']}/counts.xlsx",
        params={"dry_run": str(dry_run).lower()},
        files={"file": ("count.xlsx", data, XLSX)},
    )


# --- freeze, count, post ---------------------------------------------------------------------


async def test_freeze_count_and_post_gains_and_losses(wired: Slice, site: Site) -> None:
    s = site
    count = await start(wired, s.root, note="year end")
    assert re.fullmatch(r"PI-\d{8}", count["number"])
    assert (count["status"], count["location_code"], count["item_codes"]) == (
        "counting",
        s.root,
        None,
    )
    # the book of root/A and root/B (not outside), by location, item, lot, state
    assert book(count) == [
        (1, s.a, s.lot_item, s.lot, "qualified", "100", None),
        (2, s.b, s.plain_item, None, "defective", "10", None),
        (3, s.b, s.plain_item, None, "qualified", "40", None),
    ]
    assert (count["line_count"], count["counted_lines"], count["uncounted_lines"]) == (3, 0, 3)
    counter = auth("warehouse", subject="user:counter")
    counted = await enter(
        wired,
        count,
        count_line(s.lot_item, s.a, "95", s.lot),
        count_line(s.plain_item, s.b, "10", state="defective"),
        count_line(s.plain_item, s.b, "41"),
        count_line(s.lot_item, s.b, "2", s.lot, "defective"),  # found: not in the book
        headers=counter,
    )
    assert book(counted)[3] == (4, s.b, s.lot_item, s.lot, "defective", "0", "2")
    assert [(ln["difference"], ln["found"]) for ln in counted["lines"]] == [
        ("-5", False),
        ("0", False),
        ("1", False),
        ("2", True),
    ]
    assert {ln["counted_by"] for ln in counted["lines"]} == {"user:counter"}
    # counting a bucket again overwrites it (and records who did)
    again = await enter(wired, count, count_line(s.plain_item, s.b, "43"))
    assert again["line_count"] == 4 and again["lines_with_difference"] == 3
    assert (again["lines"][2]["counted_quantity"], again["lines"][2]["counted_by"]) == (
        "43",
        "user:tester",
    )
    assert again["lines"][0]["counted_by"] == "user:counter"
    # stock moves while counting: 30 of the counted lot leave root/A
    await transfer(wired, s.lot_item, s.a, s.outside, "30", s.lot)
    posted = await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")
    assert posted.status_code == 200, posted.text
    out = posted.json()
    assert (out["status"], out["posted_by"]) == ("posted", "user:tester")
    assert moves(out["movements"]) == [
        (s.lot_item, s.a, ADJUSTMENT, "qualified", Decimal(5)),
        (s.plain_item, ADJUSTMENT, s.b, "qualified", Decimal(3)),
        (s.lot_item, ADJUSTMENT, s.b, "defective", Decimal(2)),
    ]
    # the differences went onto today's balances: the transfer is kept
    assert await balances(wired, location_code=s.root, subtree=True) == {
        (s.lot_item, s.a, s.lot, "qualified", Decimal(65)),
        (s.lot_item, s.b, s.lot, "defective", Decimal(2)),
        (s.plain_item, s.b, None, "defective", Decimal(10)),
        (s.plain_item, s.b, None, "qualified", Decimal(43)),
    }
    assert await balances(wired, location_code=s.outside) == {
        (s.lot_item, s.outside, s.lot, "qualified", Decimal(30)),
        (s.plain_item, s.outside, None, "qualified", Decimal(7)),
    }
    rows = await ledger(wired)
    assert moves(rows) == moves(out["movements"])
    assert {(m["document_type"], m["document_id"]) for m in rows} == {("stock_count", out["id"])}
    assert (await wired.stock.get(f"/v1/stock-counts/{count['id']}")).json() == out
    published = [
        e
        for e in await events_of(wired, "StockCountStarted", "StockCountPosted", "MovementPosted")
        if e["type"] != "MovementPosted" or e["payload"]["document_type"] == "stock_count"
    ]
    assert [e["type"] for e in published] == [
        "StockCountStarted",
        "MovementPosted",
        "MovementPosted",
        "MovementPosted",
        "StockCountPosted",
    ]
    assert published[-1]["payload"]["number"] == count["number"]
    audit = await wired.stock.get("/v1/audit", params={"entity_type": "stock_count"})
    assert [a["action"] for a in audit.json()["items"]] == ["post", "count", "count", "start"]


async def test_list_by_status_and_location_with_cursor(wired: Slice, site: Site) -> None:
    s = site
    first = await start(wired, s.a)
    second = await start(wired, s.outside)
    assert (await wired.stock.post(f"/v1/stock-counts/{first['id']}/cancel")).status_code == 200
    page = (await wired.stock.get("/v1/stock-counts", params={"limit": 1})).json()
    assert [c["id"] for c in page["items"]] == [first["id"]] and page["next_cursor"]
    rest = await wired.stock.get(
        "/v1/stock-counts", params={"limit": 1, "cursor": page["next_cursor"]}
    )
    assert [c["id"] for c in rest.json()["items"]] == [second["id"]]
    summary = rest.json()["items"][0]
    assert "lines" not in summary
    assert (summary["line_count"], summary["uncounted_lines"]) == (1, 1)
    by_status = await wired.stock.get("/v1/stock-counts", params={"status": "cancelled"})
    assert [c["id"] for c in by_status.json()["items"]] == [first["id"]]
    by_place = await wired.stock.get("/v1/stock-counts", params={"location_code": s.outside})
    assert [c["id"] for c in by_place.json()["items"]] == [second["id"]]
    nowhere = await wired.stock.get("/v1/stock-counts", params={"location_code": "NO/SUCH"})
    assert nowhere.json()["items"] == []


# --- count sheets ----------------------------------------------------------------------------


async def test_count_sheet_round_trip(wired: Slice, site: Site) -> None:
    s = site
    count = await start(wired, s.root, item_codes=[s.plain_item])
    sheet = await wired.stock.get(f"/v1/stock-counts/{count['id']}/sheet.xlsx")
    assert sheet.status_code == 200 and sheet.headers["content-type"] == XLSX
    filled = openpyxl.load_workbook(io.BytesIO(sheet.content))
    page = filled.worksheets[0]
    rows = [list(row) for row in page.iter_rows(values_only=True)]
    assert rows == [
        ["行号 Line", "库位 Location", "物料编码 Item Code", "批号 Lot", "序列号 Serial Number",
         "质量状态 Quality State", "账面数量 Book Quantity", "实盘数量 Counted Quantity"],
        [1, s.b, s.plain_item, None, None, "defective", 10, None],
        [2, s.b, s.plain_item, None, None, "qualified", 40, None],
    ]  # fmt: skip
    page["H2"], page["H3"] = 9, 40
    buffer = io.BytesIO()
    filled.save(buffer)
    entered = await upload(wired, count, buffer.getvalue(), dry_run=False)
    assert entered.status_code == 200, entered.text
    result = entered.json()
    assert (result["dry_run"], result["rows"], result["counted"], result["errors"]) == (
        False,
        2,
        2,
        [],
    )
    assert [ln["counted_quantity"] for ln in result["count"]["lines"]] == ["9", "40"]
    # the sheet handed out again now carries the counts and reads back as it is
    again = await wired.stock.get(f"/v1/stock-counts/{count['id']}/sheet.xlsx")
    check = await upload(wired, count, again.content, dry_run=True)
    assert check.status_code == 200 and check.json()["errors"] == []
    assert check.json()["counted"] == 2 and check.json()["count"] is None
    posted = await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")
    assert posted.status_code == 200, posted.text
    assert moves(posted.json()["movements"]) == [
        (s.plain_item, s.b, ADJUSTMENT, "defective", Decimal(1))
    ]
    assert (s.plain_item, s.b, None, "defective", Decimal(9)) in await balances(
        wired, location_code=s.b
    )


async def test_chinese_sheet_dry_run_names_every_bad_cell(wired: Slice, site: Site) -> None:
    s = site
    count = await start(wired, s.root)
    bad = workbook(
        [
            ["序号", "物料编码", "库位", "批号", "质量状态", "实盘数量", "备注"],
            [1, s.lot_item, s.a, s.lot, "合格", 98],
            [2, "NO-SUCH-ITEM", s.b, None, "合格", 1],
            [3, s.plain_item, s.outside, None, "合格", 7],
            [4, s.plain_item, s.b, None, "坏了", 5],
            [5, s.plain_item, s.b, None, "不良", "abc"],
            [6, s.plain_item, s.b, None, "合格", -2],
            [7, s.lot_item, s.a, None, "合格", 3],
            [8, s.plain_item, s.b, None, "合格", None, "not counted yet"],
            [9, s.lot_item, s.a, s.lot, "合格", 97],
        ]
    )
    dry = await upload(wired, count, bad, dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["dry_run"] is True and report["header_row"] == 1
    assert [(m["column"], m["field"]) for m in report["matched"]] == [
        ("A", "line_no"),
        ("B", "item_code"),
        ("C", "location_code"),
        ("D", "lot_number"),
        ("E", "quality_state"),
        ("F", "counted_quantity"),
    ]
    assert [(u["column"], u["header"]) for u in report["unmatched"]] == [("G", "备注")]
    assert [(e["row"], e["column"], e["field"]) for e in report["errors"]] == [
        (3, "B", "item_code"),
        (4, "C", "location_code"),
        (5, "E", "quality_state"),
        (6, "F", "counted_quantity"),
        (7, "F", "counted_quantity"),
        (8, "D", "lot_number"),
        (10, "B", "item_code"),
    ]
    assert "outside the count's scope" in report["errors"][1]["reason"]
    assert "row 2" in report["errors"][-1]["reason"]
    assert (report["rows"], report["counted"], report["skipped"]) == (9, 1, 1)
    unchanged = (await wired.stock.get(f"/v1/stock-counts/{count['id']}")).json()
    assert unchanged["counted_lines"] == 0
    refused = await upload(wired, count, bad, dry_run=False)
    assert refused.status_code == 422 and refused.json()["code"] == "import_rejected"
    assert len(refused.json()["errors"]) == 7
    assert (await wired.stock.get(f"/v1/stock-counts/{count['id']}")).json() == unchanged
    good = workbook(
        [
            ["料号", "货位", "批次", "状态", "盘点数量"],
            [s.lot_item, s.a, s.lot, "合格", 98],
            [s.plain_item, s.b, None, "不良", "１０"],
            [s.plain_item, s.b, None, "良品", 40.5],
        ]
    )
    entered = await upload(wired, count, good, dry_run=False)
    assert entered.status_code == 200, entered.text
    assert [ln["counted_quantity"] for ln in entered.json()["count"]["lines"]] == [
        "98",
        "10",
        "40.5",
    ]


# --- the rules -------------------------------------------------------------------------------


async def test_an_open_count_blocks_overlapping_scopes(wired: Slice, site: Site) -> None:
    s = site
    plain_at_b = await start(wired, s.b, item_codes=[s.plain_item])
    lots_everywhere = await start(wired, s.root, item_codes=[s.lot_item])  # no shared item
    inner = await wired.stock.post(
        "/v1/stock-counts", json={"location_code": s.a, "item_codes": [s.lot_item]}
    )
    assert inner.status_code == 409, inner.text
    problem = inner.json()
    assert problem["code"] == "count_scope_overlap"
    assert problem["open_count_number"] == lots_everywhere["number"]
    assert problem["open_count_location_code"] == s.root
    whole = await wired.stock.post("/v1/stock-counts", json={"location_code": s.root})
    assert whole.status_code == 409
    assert whole.json()["open_count_id"] == plain_at_b["id"]
    assert plain_at_b["number"] in whole.json()["detail"]
    assert (
        await wired.stock.post("/v1/stock-counts", json={"location_code": s.outside})
    ).is_success
    for done in (plain_at_b, lots_everywhere):
        assert (await wired.stock.post(f"/v1/stock-counts/{done['id']}/cancel")).is_success
    assert (await wired.stock.post("/v1/stock-counts", json={"location_code": s.root})).is_success


async def test_overlapping_starts_race_and_only_one_wins(wired: Slice, site: Site) -> None:
    s = site
    racing = await asyncio.gather(
        *(
            wired.stock.post("/v1/stock-counts", json={"location_code": location})
            for location in (s.root, s.a, s.b, s.root)
        )
    )
    statuses = sorted(r.status_code for r in racing)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, statuses
    won = [r.json() for r in racing if r.status_code == 201]
    # the winners never overlap: either the whole tree or some of its branches
    roots = sorted(c["location_code"] for c in won)
    assert roots == [s.root] or s.root not in roots, roots
    assert all(r.json()["code"] == "count_scope_overlap" for r in racing if r.status_code == 409)
    listed = (await wired.stock.get("/v1/stock-counts")).json()["items"]
    assert sorted(c["id"] for c in listed) == sorted(c["id"] for c in won)


async def test_racing_posts_post_once(wired: Slice, site: Site) -> None:
    s = site
    count = await start(wired, s.b, item_codes=[s.plain_item])
    await enter(
        wired,
        count,
        count_line(s.plain_item, s.b, "7", state="defective"),
        count_line(s.plain_item, s.b, "40"),
    )
    url = f"/v1/stock-counts/{count['id']}/post"
    racing = await asyncio.gather(*(wired.stock.post(url) for _ in range(3)))
    assert sorted(r.status_code for r in racing) == [200, 409, 409]
    assert {r.json()["code"] for r in racing if r.status_code == 409} == {
        "document_status_conflict"
    }
    assert moves(await ledger(wired)) == [(s.plain_item, s.b, ADJUSTMENT, "defective", Decimal(3))]
    assert (s.plain_item, s.b, None, "defective", Decimal(7)) in await balances(
        wired, location_code=s.b
    )


async def test_uncounted_lines_block_posting(wired: Slice, site: Site) -> None:
    s = site
    count = await start(wired, s.root)
    await enter(wired, count, count_line(s.plain_item, s.b, "10", state="defective"))
    refused = await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "count_incomplete" and problem["uncounted_lines"] == [1, 3]
    assert [e["field"] for e in problem["errors"]] == [
        "lines.0.counted_quantity",
        "lines.2.counted_quantity",
    ]
    after = (await wired.stock.get(f"/v1/stock-counts/{count['id']}")).json()
    assert after["status"] == "counting" and after["movements"] == []
    assert await ledger(wired) == []


async def test_a_loss_larger_than_what_is_there_now_posts_nothing(wired: Slice, site: Site) -> None:
    s = site
    count = await start(wired, s.a, item_codes=[s.lot_item])
    await enter(wired, count, count_line(s.lot_item, s.a, "90", s.lot))
    await transfer(wired, s.lot_item, s.a, s.outside, "95", s.lot)
    before = await balances(wired, item_code=s.lot_item)
    refused = await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "insufficient_stock"
    assert (problem["location_code"], problem["lot_number"], problem["quality_state"]) == (
        s.a,
        s.lot,
        "qualified",
    )
    assert (problem["available"], problem["needed"]) == ("5", "10")
    assert [e["field"] for e in problem["errors"]] == ["lines.0.counted_quantity"]
    assert problem["detail"].startswith(f"stock count {count['number']} cannot be posted")
    assert await balances(wired, item_code=s.lot_item) == before
    assert (await wired.stock.get(f"/v1/stock-counts/{count['id']}")).json()["status"] == "counting"
    assert await ledger(wired) == []


async def test_cancel_only_while_counting(wired: Slice, site: Site) -> None:
    s = site
    count = await start(wired, s.root)
    cancelled = await wired.stock.post(f"/v1/stock-counts/{count['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["cancelled_by"]) == (
        "cancelled",
        "user:tester",
    )
    for action in ("post", "cancel", "reverse"):
        refused = await wired.stock.post(f"/v1/stock-counts/{count['id']}/{action}")
        assert refused.status_code == 409, action
        assert refused.json()["code"] == "document_status_conflict"
    late = await wired.stock.put(
        f"/v1/stock-counts/{count['id']}/lines",
        json={"lines": [count_line(s.plain_item, s.b, "1")]},
    )
    assert late.status_code == 409 and late.json()["code"] == "document_status_conflict"
    assert [e["aggregate_id"] for e in await events_of(wired, "StockCountCancelled")] == [
        str(count["id"])
    ]
    assert await ledger(wired) == []


async def test_reversal_takes_a_posted_count_back_once(wired: Slice, site: Site) -> None:
    s = site
    before = await balances(wired, location_code=s.b)
    count = await start(wired, s.root, item_codes=[s.plain_item])
    await enter(
        wired,
        count,
        count_line(s.plain_item, s.b, "12", state="defective"),
        count_line(s.plain_item, s.b, "35"),
    )
    posted = (await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")).json()
    assert await balances(wired, location_code=s.b) == {
        (s.plain_item, s.b, None, "defective", Decimal(12)),
        (s.plain_item, s.b, None, "qualified", Decimal(35)),
    }
    undone = await wired.stock.post(f"/v1/stock-counts/{count['id']}/reverse")
    assert undone.status_code == 200, undone.text
    out = undone.json()
    assert (out["status"], out["reversed_by"], out["book_visible"]) == (
        "reversed",
        "user:tester",
        True,
    )
    assert await balances(wired, location_code=s.b) == before
    back = [m for m in out["movements"] if m["reversal_of_id"] is not None]
    assert sorted(m["reversal_of_id"] for m in back) == sorted(m["id"] for m in posted["movements"])
    assert moves(posted["movements"]) == [
        (s.plain_item, ADJUSTMENT, s.b, "defective", Decimal(2)),
        (s.plain_item, s.b, ADJUSTMENT, "qualified", Decimal(5)),
    ]
    assert moves(back) == [  # newest first
        (s.plain_item, ADJUSTMENT, s.b, "qualified", Decimal(5)),
        (s.plain_item, s.b, ADJUSTMENT, "defective", Decimal(2)),
    ]
    again = await wired.stock.post(f"/v1/stock-counts/{count['id']}/reverse")
    assert again.status_code == 409 and again.json()["code"] == "document_reversed"
    assert await balances(wired, location_code=s.b) == before
    assert len(await ledger(wired)) == 4
    assert [e["aggregate_id"] for e in await events_of(wired, "StockCountReversed")] == [
        str(count["id"])
    ]
    audit = (
        await wired.stock.get("/v1/audit", params={"entity_type": "stock_count", "limit": 1})
    ).json()["items"]
    assert audit[0]["action"] == "reverse" and audit[0]["before"]["status"] == "posted"


async def test_reversal_is_refused_once_the_stock_moved_on(wired: Slice, site: Site) -> None:
    s = site
    count = await start(wired, s.a)
    await enter(wired, count, count_line(s.lot_item, s.a, "110", s.lot))
    assert (await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")).is_success
    await transfer(wired, s.lot_item, s.a, s.outside, "105", s.lot)
    before = await balances(wired, item_code=s.lot_item)
    refused = await wired.stock.post(f"/v1/stock-counts/{count['id']}/reverse")
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
    assert (refused.json()["available"], refused.json()["needed"]) == ("5", "10")
    assert [e["field"] for e in refused.json()["errors"]] == ["lines.0.counted_quantity"]
    assert refused.json()["detail"].startswith(f"stock count {count['number']} cannot be reversed")
    assert await balances(wired, item_code=s.lot_item) == before
    assert (await wired.stock.get(f"/v1/stock-counts/{count['id']}")).json()["status"] == "posted"


async def test_bad_input_names_every_field_and_changes_nothing(wired: Slice, site: Site) -> None:
    s = site
    serial = await make_item(wired, tracking="serial")
    shape = await wired.stock.post(
        "/v1/stock-counts", json={"location_code": "", "item_codes": [], "blind": "maybe"}
    )
    assert shape.status_code == 422
    assert [e["field"] for e in shape.json()["errors"]] == [
        "body.location_code",
        "body.item_codes",
        "body.blind",
    ]
    facts = await wired.stock.post(
        "/v1/stock-counts",
        json={"location_code": "NO/SUCH", "item_codes": ["NO-SUCH-ITEM", serial, s.plain_item]},
    )
    assert facts.status_code == 422
    assert [(e["field"], e["type"]) for e in facts.json()["errors"]] == [
        ("body.location_code", "not_found"),
        ("body.item_codes.0", "not_found"),
    ]
    virtual = await wired.stock.post("/v1/stock-counts", json={"location_code": ADJUSTMENT})
    assert [e["field"] for e in virtual.json()["errors"]] == ["body.location_code"]
    assert (await wired.stock.get("/v1/stock-counts")).json()["items"] == []

    count = await start(wired, s.root)
    url = f"/v1/stock-counts/{count['id']}/lines"
    shape = await wired.stock.put(
        url,
        json={
            "lines": [
                count_line(s.plain_item, s.b, "-1"),
                count_line(s.plain_item, s.b, "1", state="broken"),
                {**count_line(s.plain_item, s.b, "1"), "quantity": "1"},
            ]
        },
    )
    assert shape.status_code == 422
    assert [e["field"] for e in shape.json()["errors"]] == [
        "body.lines.0.counted_quantity",
        "body.lines.1.quality_state",
        "body.lines.2.quantity",
    ]
    facts = await wired.stock.put(
        url,
        json={
            "lines": [
                count_line("NO-SUCH-ITEM", s.a, "1"),
                count_line(s.plain_item, s.outside, "1"),
                count_line(s.lot_item, s.a, "1"),
                count_line(s.plain_item, s.b, "1", "L-1"),
                count_line(s.lot_item, s.a, "1", "NO-LOT"),
                count_line(s.plain_item, "NO/PLACE", "1"),
                count_line(s.plain_item, s.b, "40"),
                count_line(s.plain_item, s.b, "41"),
                count_line(s.plain_item, s.root, "1"),
                count_line(serial, s.b, "1"),
            ]
        },
    )
    assert facts.status_code == 422
    assert [(e["field"], e["type"]) for e in facts.json()["errors"]] == [
        ("body.lines.0.item_code", "not_found"),
        ("body.lines.1.location_code", "invalid"),
        ("body.lines.2.lot_number", "missing"),
        ("body.lines.3.lot_number", "invalid"),
        ("body.lines.4.lot_number", "not_found"),
        ("body.lines.5.location_code", "not_found"),
        ("body.lines.7", "duplicate"),
        ("body.lines.8.location_code", "invalid"),
        ("body.lines.9.serial_number", "missing"),
    ]
    after = (await wired.stock.get(f"/v1/stock-counts/{count['id']}")).json()
    assert (after["counted_lines"], after["line_count"]) == (0, 3)
    limited = await start(wired, s.outside, item_codes=[s.plain_item])
    other = await wired.stock.put(
        f"/v1/stock-counts/{limited['id']}/lines",
        json={"lines": [count_line(s.lot_item, s.outside, "1", s.lot)]},
    )
    assert [e["field"] for e in other.json()["errors"]] == ["body.lines.0.item_code"]
    assert (await wired.stock.get("/v1/stock-counts/999999")).status_code == 404
    assert (await wired.stock.post("/v1/stock-counts/999999/post")).status_code == 404


async def test_retry_with_the_same_key_starts_and_posts_once(wired: Slice, site: Site) -> None:
    s = site
    key = {"Idempotency-Key": code("k")}
    body = {"location_code": s.b, "item_codes": [s.plain_item]}
    first = await wired.stock.post("/v1/stock-counts", json=body, headers=key)
    again = await wired.stock.post("/v1/stock-counts", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert len((await wired.stock.get("/v1/stock-counts")).json()["items"]) == 1
    count = first.json()
    await enter(
        wired,
        count,
        count_line(s.plain_item, s.b, "10", state="defective"),
        count_line(s.plain_item, s.b, "38"),
    )
    post_key = {"Idempotency-Key": code("k")}
    url = f"/v1/stock-counts/{count['id']}/post"
    posted = await wired.stock.post(url, headers=post_key)
    replayed = await wired.stock.post(url, headers=post_key)
    assert posted.status_code == replayed.status_code == 200
    assert replayed.json() == posted.json()
    assert moves(await ledger(wired)) == [(s.plain_item, s.b, ADJUSTMENT, "qualified", Decimal(2))]
    assert (s.plain_item, s.b, None, "qualified", Decimal(38)) in await balances(
        wired, location_code=s.b
    )


async def test_a_blind_count_hides_the_book_until_posted(wired: Slice, site: Site) -> None:
    s = site
    count = await start(wired, s.b, item_codes=[s.plain_item], blind=True)
    assert (count["blind"], count["book_visible"], count["lines_with_difference"]) == (
        True,
        False,
        None,
    )
    assert [(ln["book_quantity"], ln["difference"]) for ln in count["lines"]] == [(None, None)] * 2
    started = (await events_of(wired, "StockCountStarted"))[-1]["payload"]
    assert [ln["book_quantity"] for ln in started["lines"]] == [None, None]
    sheet = await wired.stock.get(f"/v1/stock-counts/{count['id']}/sheet.xlsx")
    header = next(openpyxl.load_workbook(io.BytesIO(sheet.content)).worksheets[0].values)
    assert "账面数量 Book Quantity" not in header and "实盘数量 Counted Quantity" in header
    counted = await enter(
        wired,
        count,
        count_line(s.plain_item, s.b, "9", state="defective"),
        count_line(s.plain_item, s.b, "40"),
    )
    assert [(ln["book_quantity"], ln["counted_quantity"], ln["difference"]) for ln in
            counted["lines"]] == [(None, "9", None), (None, "40", None)]  # fmt: skip
    listed = (await wired.stock.get("/v1/stock-counts")).json()["items"]
    assert [(c["counted_lines"], c["lines_with_difference"]) for c in listed] == [(2, None)]
    posted = (await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")).json()
    assert posted["book_visible"] is True and posted["lines_with_difference"] == 1
    assert [(ln["book_quantity"], ln["difference"]) for ln in posted["lines"]] == [
        ("10", "-1"),
        ("40", "0"),
    ]


async def test_roles(wired: Slice, site: Site) -> None:
    s = site
    body = {"location_code": s.b}
    refused = await wired.stock.post("/v1/stock-counts", json=body, headers=auth("planner"))
    assert refused.status_code == 403
    made = await wired.stock.post("/v1/stock-counts", json=body, headers=auth("warehouse"))
    assert made.status_code == 201, made.text
    count = made.json()
    lines = {"lines": [count_line(s.plain_item, s.b, "10", state="defective")]}
    url = f"/v1/stock-counts/{count['id']}"
    assert (
        await wired.stock.put(f"{url}/lines", json=lines, headers=auth("qc"))
    ).status_code == 403
    assert (await wired.stock.get(url, headers=auth("planner"))).status_code == 200
    assert (await wired.stock.get(f"{url}/sheet.xlsx", headers=auth("planner"))).is_success
    assert (await wired.stock.post(f"{url}/post", headers=auth("qc"))).status_code == 403
    assert (await wired.stock.post(f"{url}/cancel", headers=auth("planner"))).status_code == 403
    sheet = workbook([["Item Code", "Location", "Counted Quantity"], [s.plain_item, s.b, 1]])
    upload_refused = await wired.stock.post(
        f"{url}/counts.xlsx",
        files={"file": ("count.xlsx", sheet, XLSX)},
        headers=auth("planner"),
    )
    assert upload_refused.status_code == 403
    assert (await wired.stock.post(f"{url}/cancel", headers=auth("warehouse"))).is_success


# --- serial-tracked items --------------------------------------------------------------------

PENDING = "pending_inspection"


@dataclass
class SerialSite:
    root: str
    a: str
    b: str
    outside: str
    item: str
    lot: str
    at_a: list[str]  # in stock at root/A, of `lot`
    at_b: str  # in stock at root/B, without lot
    away: str  # in stock outside the root's tree


async def _receive_serials(
    s: Slice, item: str, location: str, serials: list[str], lot: str | None = None
) -> None:
    body: dict[str, Any] = {
        "item_code": item,
        "location_code": location,
        "quantity": str(len(serials)),
        "serial_numbers": serials,
        "unit_price": "10",
    }
    if lot is not None:
        body["lot_number"] = lot
    received = await s.stock.post("/v1/receipts", json=body)
    assert received.status_code == 201, received.text


@pytest.fixture
async def serial_site(wired: Slice) -> SerialSite:
    """root/A: three serials of a lot, root/B: one without lot, outside: one; all pending
    inspection as received."""
    root, outside = code("SWH"), code("SOUT")
    site = SerialSite(
        root, f"{root}/A", f"{root}/B", outside, await make_item(wired, tracking="serial"),
        code("B"), [code("SN") for _ in range(3)], code("SN"), code("SN"),
    )  # fmt: skip
    await _location(wired, root, "warehouse")
    await _location(wired, site.a, "storage", root)
    await _location(wired, site.b, "storage", root)
    await _location(wired, outside, "storage")
    await _receive_serials(wired, site.item, site.a, site.at_a, site.lot)
    await _receive_serials(wired, site.item, site.b, [site.at_b])
    await _receive_serials(wired, site.item, outside, [site.away])
    return site


def serial_line(
    item: str, location: str, serial: str, qty: str, lot: str | None = None
) -> dict[str, Any]:
    line = count_line(item, location, qty, lot, PENDING)
    line["serial_number"] = serial
    return line


async def serial_states(s: Slice, item: str) -> dict[str, tuple[str, str | None, str | None]]:
    """Serial -> (status, location, lot)."""
    page = (await s.stock.get("/v1/serials", params={"item_code": item, "limit": 500})).json()
    return {
        r["serial_number"]: (r["status"], r["location_code"], r["lot_number"])
        for r in page["items"]
    }


async def serial_balances(s: Slice, item: str) -> set[tuple[str, str, str | None, Decimal]]:
    """(location, serial, lot, quantity) of every non-zero balance of the item."""
    page = (await s.stock.get("/v1/balances", params={"item_code": item, "limit": 500})).json()
    return {
        (b["location_code"], b["serial_number"], b["lot_number"], Decimal(b["quantity"]))
        for b in page["items"]
        if Decimal(b["quantity"])
    }


def serial_moves(movements: list[dict]) -> list[tuple[str, str, str, Decimal]]:
    return [
        (m["serial_number"], m["from_location"], m["to_location"], Decimal(m["quantity"]))
        for m in movements
    ]


async def test_serials_are_counted_one_line_each(wired: Slice, serial_site: SerialSite) -> None:
    s = serial_site
    s1, s2, s3 = s.at_a
    new = code("SN")  # never seen before
    before = await serial_balances(wired, s.item)
    count = await start(wired, s.root, item_codes=[s.item])
    # the freeze: one line per serial in stock in the scope, book 1 (not the one outside)
    assert [
        (ln["location_code"], ln["serial_number"], ln["lot_number"], ln["book_quantity"])
        for ln in count["lines"]
    ] == [(s.a, sn, s.lot, "1") for sn in sorted(s.at_a)] + [(s.b, s.at_b, None, "1")]
    counted = await enter(
        wired,
        count,
        serial_line(s.item, s.a, s1, "1"),  # there; the lot comes from the serial
        serial_line(s.item, s.a, s2, "0"),  # missing: lost
        serial_line(s.item, s.a, s3, "0", s.lot),  # missing here ...
        serial_line(s.item, s.b, s3, "1"),  # ... found at B: misplaced
        serial_line(s.item, s.b, s.at_b, "1"),
        serial_line(s.item, s.b, new, "1"),  # found, never seen
    )
    found = [ln for ln in counted["lines"] if ln["found"]]
    assert [(ln["serial_number"], ln["lot_number"], ln["book_quantity"], ln["difference"])
            for ln in found] == [(s3, s.lot, "0", "1"), (new, None, "0", "1")]  # fmt: skip
    posted = await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")
    assert posted.status_code == 200, posted.text
    out = posted.json()
    # the lost one leaves for count adjustment, the misplaced one moves (both in the order of
    # the book's lines, by serial), the new one comes in
    in_book_order = sorted([(s2, s.a, ADJUSTMENT, Decimal(1)), (s3, s.a, s.b, Decimal(1))])
    assert serial_moves(out["movements"]) == [*in_book_order, (new, ADJUSTMENT, s.b, Decimal(1))]
    assert await serial_balances(wired, s.item) == {
        (s.a, s1, s.lot, Decimal(1)),
        (s.b, s3, s.lot, Decimal(1)),
        (s.b, s.at_b, None, Decimal(1)),
        (s.b, new, None, Decimal(1)),
        (s.outside, s.away, None, Decimal(1)),
    }
    states = await serial_states(wired, s.item)
    assert (states[s1], states[s2], states[s3], states[new]) == (
        ("in_stock", s.a, s.lot),
        ("lost", None, s.lot),
        ("in_stock", s.b, s.lot),
        ("in_stock", s.b, None),
    )
    history = await wired.stock.get(
        "/v1/serials", params={"item_code": s.item, "serial_number": s3}
    )
    detail = (await wired.stock.get(f"/v1/serials/{history.json()['items'][0]['id']}")).json()
    assert [(m["document_type"], m["to_location"]) for m in detail["history"]] == [
        ("purchase_receipt", s.a),
        ("stock_count", s.b),
    ]
    published = [
        e["payload"]
        for e in await events_of(wired, "MovementPosted")
        if e["payload"]["document_type"] == "stock_count"
    ]
    assert [m["serial_number"] for m in published] == [*sorted([s2, s3]), new]
    posted_event = (await events_of(wired, "StockCountPosted"))[-1]["payload"]
    assert {ln["serial_number"] for ln in posted_event["lines"]} == {*s.at_a, s.at_b, new}
    # the reversal takes it all back: the lost one returns, the new one is lost again
    undone = await wired.stock.post(f"/v1/stock-counts/{count['id']}/reverse")
    assert undone.status_code == 200, undone.text
    assert await serial_balances(wired, s.item) == before
    states = await serial_states(wired, s.item)
    assert (states[s2], states[s3], states[new]) == (
        ("in_stock", s.a, s.lot),
        ("in_stock", s.a, s.lot),
        ("lost", None, None),
    )


async def test_a_serial_lost_by_a_count_can_be_found_by_the_next(
    wired: Slice, serial_site: SerialSite
) -> None:
    s = serial_site
    lost = s.at_a[0]
    first = await start(wired, s.a, item_codes=[s.item])
    await enter(
        wired,
        first,
        *(serial_line(s.item, s.a, sn, "0" if sn == lost else "1") for sn in s.at_a),
    )
    assert (await wired.stock.post(f"/v1/stock-counts/{first['id']}/post")).is_success
    assert (await serial_states(wired, s.item))[lost] == ("lost", None, s.lot)
    second = await start(wired, s.b, item_codes=[s.item])
    await enter(
        wired, second, serial_line(s.item, s.b, s.at_b, "1"), serial_line(s.item, s.b, lost, "1")
    )
    posted = await wired.stock.post(f"/v1/stock-counts/{second['id']}/post")
    assert posted.status_code == 200, posted.text
    assert serial_moves(posted.json()["movements"]) == [(lost, ADJUSTMENT, s.b, Decimal(1))]
    assert (await serial_states(wired, s.item))[lost] == ("in_stock", s.b, s.lot)
    assert (s.b, lost, s.lot, Decimal(1)) in await serial_balances(wired, s.item)


async def test_serial_count_lines_are_checked(wired: Slice, serial_site: SerialSite) -> None:
    s = serial_site
    s1, s2, _ = s.at_a
    plain = await make_item(wired, tracking="none")
    count = await start(wired, s.root)
    url = f"/v1/stock-counts/{count['id']}/lines"
    refused = await wired.stock.put(
        url,
        json={
            "lines": [
                count_line(s.item, s.a, "1", state=PENDING),  # no serial
                serial_line(s.item, s.a, s1, "2"),  # a serial is 1 or 0
                {**count_line(plain, s.b, "1"), "serial_number": "X1"},  # not serial-tracked
                serial_line(s.item, s.a, s1, "1", code("OTHER")),  # s1 is of another lot
                serial_line(s.item, s.a, s2, "1"),
                serial_line(s.item, s.b, s2, "1"),  # present at A (line 4) too
                serial_line(s.item, s.b, s.away, "1"),  # in stock outside the count
                serial_line(s.item, s.b, s.at_b, "1"),
                serial_line(s.item, s.b, s.at_b, "1"),  # twice
            ]
        },
    )
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert [(e["field"], e["type"]) for e in errors] == [
        ("body.lines.0.serial_number", "missing"),
        ("body.lines.1.counted_quantity", "invalid"),
        ("body.lines.2.serial_number", "invalid"),
        ("body.lines.3.lot_number", "invalid"),
        ("body.lines.4.serial_number", "duplicate"),
        ("body.lines.5.serial_number", "duplicate"),
        ("body.lines.6.serial_number", "serial_conflict"),
        ("body.lines.8", "duplicate"),
    ]
    assert s.outside in errors[6]["message"]
    after = (await wired.stock.get(f"/v1/stock-counts/{count['id']}")).json()
    assert after["counted_lines"] == 0 and not any(ln["found"] for ln in after["lines"])
    # counted present at A first, a later request cannot count it present at B as well
    await enter(wired, count, serial_line(s.item, s.a, s2, "1"))
    again = await wired.stock.put(url, json={"lines": [serial_line(s.item, s.b, s2, "1")]})
    assert again.status_code == 422
    assert [e["type"] for e in again.json()["errors"]] == ["duplicate"]
    assert "of the count" in again.json()["errors"][0]["message"]


async def test_a_serial_found_that_is_received_meanwhile_posts_nothing(
    wired: Slice, serial_site: SerialSite
) -> None:
    s = serial_site
    new = code("SN")
    count = await start(wired, s.b, item_codes=[s.item])
    await enter(
        wired, count, serial_line(s.item, s.b, s.at_b, "0"), serial_line(s.item, s.b, new, "1")
    )
    await _receive_serials(wired, s.item, s.outside, [new])  # it turns up elsewhere
    before = await serial_balances(wired, s.item)
    refused = await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "serial_conflict"
    assert [e["field"] for e in problem["errors"]] == ["lines.1.counted_quantity"]
    assert s.outside in problem["errors"][0]["message"]
    assert await serial_balances(wired, s.item) == before
    assert (await serial_states(wired, s.item))[s.at_b] == ("in_stock", s.b, None)
    assert await ledger(wired) == []


async def test_serial_count_sheet_round_trip(wired: Slice, serial_site: SerialSite) -> None:
    s = serial_site
    count = await start(wired, s.a, item_codes=[s.item])
    sheet = await wired.stock.get(f"/v1/stock-counts/{count['id']}/sheet.xlsx")
    filled = openpyxl.load_workbook(io.BytesIO(sheet.content))
    page = filled.worksheets[0]
    rows = [list(row) for row in page.iter_rows(values_only=True)]
    assert [row[4] for row in rows] == ["序列号 Serial Number", *sorted(s.at_a)]
    for number, serial in enumerate(sorted(s.at_a), start=2):
        page[f"H{number}"] = 0 if serial == s.at_a[0] else 1
    new = code("SN")
    page.append([None, s.a, s.item, None, new, "待检", None, 1])  # found, never seen
    buffer = io.BytesIO()
    filled.save(buffer)
    entered = await upload(wired, count, buffer.getvalue(), dry_run=False)
    assert entered.status_code == 200, entered.text
    lines = entered.json()["count"]["lines"]
    assert {ln["serial_number"]: ln["counted_quantity"] for ln in lines} == {
        **{sn: "0" if sn == s.at_a[0] else "1" for sn in s.at_a},
        new: "1",
    }
    # a sheet of one's own, in Chinese: a serial counted 2, a serial on an untracked item
    # (which this count does not cover either), a unit without its serial
    plain = await make_item(wired, tracking="none")
    bad = workbook(
        [
            ["物料编码", "库位", "序列号", "质量状态", "实盘数量"],
            [s.item, s.a, s.at_a[1], "待检", 2],
            [plain, s.a, "SN-X", "合格", 1],
            [s.item, s.a, None, "待检", 1],
        ]
    )
    report = (await upload(wired, count, bad, dry_run=True)).json()
    assert [(e["row"], e["column"], e["field"]) for e in report["errors"]] == [
        (2, "E", "counted_quantity"),
        (3, "A", "item_code"),
        (3, "C", "serial_number"),
        (4, "C", "serial_number"),
    ]
    posted = await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")
    assert posted.status_code == 200, posted.text
    assert serial_moves(posted.json()["movements"]) == [
        (s.at_a[0], s.a, ADJUSTMENT, Decimal(1)),
        (new, ADJUSTMENT, s.a, Decimal(1)),
    ]


async def test_a_serial_that_moved_on_is_the_usual_shortage(
    wired: Slice, serial_site: SerialSite
) -> None:
    s = serial_site
    gone = s.at_a[0]
    count = await start(wired, s.a, item_codes=[s.item])
    counted = await enter(
        wired, count, *(serial_line(s.item, s.a, sn, "0" if sn == gone else "1") for sn in s.at_a)
    )
    line_of_gone = next(ln["line_no"] for ln in counted["lines"] if ln["serial_number"] == gone)
    moved = await wired.stock.post(
        "/v1/transfers",
        json={
            "from_location_code": s.a,
            "to_location_code": s.outside,
            "lines": [
                {"item_code": s.item, "quantity": "1", "serial_numbers": [gone],
                 "quality_state": PENDING}
            ],
        },
    )  # fmt: skip
    assert moved.status_code == 201, moved.text
    before = await serial_balances(wired, s.item)
    refused = await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "insufficient_stock"
    assert (problem["location_code"], problem["available"], problem["needed"]) == (s.a, "0", "1")
    assert gone in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [f"lines.{line_of_gone - 1}.counted_quantity"]
    assert await serial_balances(wired, s.item) == before
    assert (await serial_states(wired, s.item))[gone] == ("in_stock", s.outside, s.lot)
    assert await ledger(wired) == []


async def test_a_blind_count_of_serials_lists_no_unit_until_scanned(
    wired: Slice, serial_site: SerialSite
) -> None:
    s = serial_site
    s1, s2, s3 = s.at_a
    count = await start(wired, s.root, item_codes=[s.item], blind=True)
    # four units in the book (three at A, one at B): none listed, none counted as a line
    assert count["lines"] == [] and count["line_count"] == 0
    summaries = (await wired.stock.get("/v1/stock-counts", params={"limit": 500})).json()
    (summary,) = [c for c in summaries["items"] if c["id"] == count["id"]]
    assert (summary["line_count"], summary["uncounted_lines"]) == (0, 0)
    sheet = await wired.stock.get(f"/v1/stock-counts/{count['id']}/sheet.xlsx")
    assert sheet.status_code == 200 and s1.encode() not in sheet.content
    # counters scan what they find: two units at A, the one at B (no lot named: each keeps
    # its own); s3 is not found
    scanned = await enter(
        wired,
        count,
        serial_line(s.item, s.a, s1, "1"),
        serial_line(s.item, s.a, s2, "1"),
        serial_line(s.item, s.b, s.at_b, "1"),
    )
    assert sorted(ln["serial_number"] for ln in scanned["lines"]) == sorted([s1, s2, s.at_b])
    assert all(ln["found"] is False and ln["book_quantity"] is None for ln in scanned["lines"])
    assert s3 not in str(scanned)
    posted = await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")
    assert posted.status_code == 200, posted.text
    doc = posted.json()
    # posted: the book shows, and the unit nobody scanned was missing
    (missing,) = [ln for ln in doc["lines"] if ln["serial_number"] == s3]
    assert (missing["book_quantity"], missing["counted_quantity"], missing["difference"]) == (
        "1",
        "0",
        "-1",
    )
    assert serial_moves(doc["movements"]) == [(s3, s.a, "VIRTUAL/COUNT-ADJUSTMENT", Decimal(1))]
    assert (await serial_states(wired, s.item))[s3][0] == "lost"


async def test_a_blind_count_still_wants_every_other_line_counted(
    wired: Slice, site: Site
) -> None:
    s = site
    count = await start(wired, s.b, item_codes=[s.plain_item], blind=True)
    assert count["line_count"] == 2  # buckets are listed, their quantities are not
    refused = await wired.stock.post(f"/v1/stock-counts/{count['id']}/post")
    assert refused.status_code == 409 and refused.json()["code"] == "count_incomplete"
