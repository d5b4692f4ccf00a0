"""Material requisitions: FEFO/FIFO picks of qualified stock to the line, all or nothing."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location

QC = auth("qc")


async def _line(s: Slice) -> str:
    line = code("LINE")
    made = await s.stock.post(
        "/v1/locations",
        json={"code": line, "name": "SMT line 1", "location_type": "production_line"},
    )
    assert made.status_code == 201, made.text
    return line


async def _qualified(
    s: Slice, item: str, location: str, quantity: str, lot: str | None = None, **receipt
) -> None:
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


async def _requisition(s: Slice, line: str, lines: list[dict], submit: bool = True) -> dict:
    created = await s.stock.post(
        "/v1/requisitions",
        json={"work_order": code("WO"), "to_location_code": line, "lines": lines},
    )
    assert created.status_code == 201, created.text
    doc = created.json()
    if submit:
        submitted = await s.stock.post(f"/v1/requisitions/{doc['id']}/submit")
        assert submitted.status_code == 200, submitted.text
        doc = submitted.json()
    return doc


async def _balances(s: Slice, item: str) -> dict[tuple[str, str, str | None], Decimal]:
    rows = (await s.stock.get("/v1/balances", params={"item_code": item})).json()["items"]
    return {(b["location_code"], b["stage"], b["lot_number"]): Decimal(b["quantity"]) for b in rows}


async def test_picks_first_expiring_then_first_received_and_never_expired(wired: Slice) -> None:
    item = await make_item(wired, shelf_life_days=365)
    store, line = await make_location(wired), await _line(wired)
    await _qualified(wired, item, store, "50", "OLD", receipt_date="2024-01-01")  # expired
    await _qualified(wired, item, store, "30", "LATER", receipt_date="2026-03-01")
    await _qualified(wired, item, store, "30", "EARLIER", receipt_date="2026-02-01")
    doc = await _requisition(wired, line, [{"item_code": item, "quantity": "40"}])
    suggestion = (await wired.stock.get(f"/v1/requisitions/{doc['id']}/suggestion")).json()
    assert [(p["lot_number"], p["quantity"]) for p in suggestion["picks"]] == [
        ("EARLIER", "30"),
        ("LATER", "10"),
    ]
    posted = await wired.stock.post(f"/v1/requisitions/{doc['id']}/post")
    assert posted.status_code == 200, posted.text
    assert posted.json()["status"] == "posted"
    balances = await _balances(wired, item)
    assert balances[(line, "wip", "EARLIER")] == 30 and balances[(line, "wip", "LATER")] == 10
    assert balances[(store, "raw", "OLD")] == 50, "an expired lot is never issued"
    # A line naming its lot takes only that lot.
    named = await _requisition(
        wired, line, [{"item_code": item, "quantity": "5", "lot_number": "LATER"}]
    )
    assert (await wired.stock.post(f"/v1/requisitions/{named['id']}/post")).status_code == 200
    assert (await _balances(wired, item))[(line, "wip", "LATER")] == 15


async def test_status_rules_and_reversal(wired: Slice) -> None:
    item = await make_item(wired, tracking="none")
    store, line = await make_location(wired), await _line(wired)
    await _qualified(wired, item, store, "10")
    draft = await _requisition(wired, line, [{"item_code": item, "quantity": "4"}], submit=False)
    assert draft["status"] == "draft" and draft["number"].startswith("MR-")
    early = await wired.stock.post(f"/v1/requisitions/{draft['id']}/post")
    assert early.status_code == 409 and early.json()["code"] == "document_status_conflict"
    await wired.stock.post(f"/v1/requisitions/{draft['id']}/submit")
    posted = (await wired.stock.post(f"/v1/requisitions/{draft['id']}/post")).json()
    assert [(m["from_location"], m["to_location"], m["stage"]) for m in posted["movements"]] == [
        (store, line, "wip")
    ]
    cancel = await wired.stock.post(f"/v1/requisitions/{draft['id']}/cancel")
    assert cancel.status_code == 409
    back = await wired.stock.post(f"/v1/requisitions/{draft['id']}/reverse")
    assert back.status_code == 200 and back.json()["status"] == "reversed"
    assert await _balances(wired, item) == {(store, "raw", None): Decimal(10)}
    other = await _requisition(wired, line, [{"item_code": item, "quantity": "1"}])
    cancelled = await wired.stock.post(f"/v1/requisitions/{other['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_shortage_posts_nothing_and_pending_stock_does_not_count(wired: Slice) -> None:
    item, other = await make_item(wired, tracking="none"), await make_item(wired, tracking="none")
    store, line = await make_location(wired), await _line(wired)
    await _qualified(wired, item, store, "10")
    await _qualified(wired, other, store, "3")
    pending = await wired.stock.post(
        "/v1/receipts", json={"item_code": other, "location_code": store, "quantity": "100"}
    )
    assert pending.status_code == 201
    doc = await _requisition(
        wired,
        line,
        [{"item_code": item, "quantity": "5"}, {"item_code": other, "quantity": "4"}],
    )
    short = await wired.stock.post(f"/v1/requisitions/{doc['id']}/post")
    assert short.status_code == 409 and short.json()["code"] == "insufficient_stock"
    problem = short.json()
    assert (problem["item_code"], problem["available"], problem["needed"]) == (other, "3", "4")
    assert [e["field"] for e in problem["errors"]] == ["lines.1.quantity"]
    assert (await _balances(wired, item)) == {(store, "raw", None): Decimal(10)}
    again = (await wired.stock.get(f"/v1/requisitions/{doc['id']}")).json()
    assert again["status"] == "submitted" and again["movements"] == []


async def test_bad_requisition_names_every_field(wired: Slice) -> None:
    item = await make_item(wired, tracking="none")
    lot_item = await make_item(wired)
    store = await make_location(wired)
    bad = await wired.stock.post(
        "/v1/requisitions",
        json={
            "work_order": "WO-1",
            "to_location_code": store,
            "lines": [
                {"item_code": "NO-SUCH", "quantity": "1"},
                {"item_code": item, "quantity": "1", "lot_number": "L1"},
                {"item_code": lot_item, "quantity": "1", "lot_number": "NOT-A-LOT"},
            ],
        },
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == [
        "body.to_location_code",
        "body.lines.0.item_code",
        "body.lines.1.lot_number",
        "body.lines.2.lot_number",
    ]
    assert (await wired.stock.get("/v1/requisitions")).json()["items"] == []


async def test_concurrent_requisitions_never_overdraw(wired: Slice) -> None:
    """40 requisitions of one unit against 20 qualified: exactly 20 post."""
    item = await make_item(wired, tracking="none")
    store, line = await make_location(wired), await _line(wired)
    await _qualified(wired, item, store, "20")
    docs = [
        await _requisition(wired, line, [{"item_code": item, "quantity": "1"}]) for _ in range(40)
    ]
    results = await asyncio.gather(
        *(wired.stock.post(f"/v1/requisitions/{doc['id']}/post") for doc in docs)
    )
    statuses = [r.status_code for r in results]
    assert statuses.count(200) == 20 and statuses.count(409) == 20, sorted(set(statuses))
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"insufficient_stock"}
    assert await _balances(wired, item) == {(line, "wip", None): Decimal(20)}


async def test_a_page_costs_the_same_queries_whatever_its_size(wired: Slice) -> None:
    """Lines, movements, locations and lots load per page, not per requisition (no N+1)."""
    item, plain = await make_item(wired), await make_item(wired, tracking="none")
    store, line = await make_location(wired), await _line(wired)
    await _qualified(wired, item, store, "20", "A")
    await _qualified(wired, plain, store, "20")
    for index in range(5):
        doc = await _requisition(
            wired,
            line,
            [{"item_code": item, "quantity": "2"}, {"item_code": plain, "quantity": "1"}],
            submit=index % 2 == 0,
        )
        if index % 2 == 0:
            posted = await wired.stock.post(f"/v1/requisitions/{doc['id']}/post")
            assert posted.status_code == 200, posted.text

    async def statements(limit: int) -> int:
        seen: list[tuple[str, str]] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append((str(conn.engine.url), statement))

        event.listen(Engine, "before_cursor_execute", record)
        try:
            page = (await wired.stock.get("/v1/requisitions", params={"limit": limit})).json()
        finally:
            event.remove(Engine, "before_cursor_execute", record)
        assert len(page["items"]) == limit
        stock_db = next(url for url, sql in seen if "FROM requisitions" in sql)
        return sum(
            1
            for url, sql in seen
            if url == stock_db and sql.startswith("SELECT") and "FROM events" not in sql
        )

    assert await statements(1) == await statements(5)
