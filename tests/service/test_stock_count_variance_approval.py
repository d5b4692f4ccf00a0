"""The approval gate on stock count variances (`count_variance`): under a closed gate a
count posted with differences posts nothing and waits (202, still counting, `approval:
pending`, `ApprovalRequested` with the signed differences); only workflow's decision posts
it or leaves it counting. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx

from tests.conftest import auth
from tests.service import test_stock_counts as counts
from tests.service.test_stock_counts import (
    ADJUSTMENT,
    Site,
    balances,
    count_line,
    enter,
    events_of,
    ledger,
    moves,
    start,
    transfer,
    upload,
)
from tests.service.test_thin_slice_inprocess import Slice

#: The fixture of the stock count tests, used here by name.
site = counts.site

COUNTS = "/v1/stock-counts"
WORKFLOW = auth("service", subject="service:workflow")
KEEPER = auth("warehouse", subject="user:keeper")


async def close_gate(s: Slice, required: bool = True) -> None:
    response = await s.stock.put(
        "/v1/approval-gates/count_variance",
        json={"required": required, "flow": "count variances"},
        headers=WORKFLOW,
    )
    assert response.status_code == 200, response.text


async def post(s: Slice, count: dict, headers: dict[str, str] | None = None) -> httpx.Response:
    return await s.stock.post(f"{COUNTS}/{count['id']}/post", headers=headers)


async def decide(
    s: Slice,
    count_id: int,
    decision: str = "approved",
    reference: str = "workflow:1",
    **extra: Any,
) -> httpx.Response:
    return await s.stock.post(
        f"{COUNTS}/{count_id}/approval-decision",
        json={"decision": decision, "reference": reference, **extra},
        headers=WORKFLOW,
    )


async def approval_events(s: Slice, event: str, count_id: int) -> list[dict]:
    return [e for e in await events_of(s, event) if e["payload"]["document_id"] == count_id]


async def count_events(s: Slice, event: str, count_id: int) -> list[dict]:
    return [e for e in await events_of(s, event) if e["payload"]["id"] == count_id]


def refused(response: httpx.Response, status: int, problem: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == problem


async def scope(s: Slice, site: Site) -> set:
    return await balances(s, location_code=site.root, subtree=True)


async def test_a_count_with_differences_waits_and_workflow_posts_it(
    wired: Slice, site: Site
) -> None:
    s = site
    await close_gate(wired)
    gates = (await wired.stock.get("/v1/approval-gates")).json()["items"]
    assert {g["document_type"]: g["required"] for g in gates}["count_variance"] is True
    count = await start(wired, s.root, note="year end")
    assert (count["approval"], count["approval_ref"]) == ("not_required", "")
    await enter(
        wired,
        count,
        count_line(s.lot_item, s.a, "95", s.lot),
        count_line(s.plain_item, s.b, "10", state="defective"),
        count_line(s.plain_item, s.b, "41"),
        count_line(s.lot_item, s.b, "2", s.lot, "defective"),  # found: not in the book
    )
    before = await scope(wired, s)

    key = {"Idempotency-Key": str(uuid.uuid4()), **KEEPER}
    held = await post(wired, count, key)
    assert held.status_code == 202, held.text
    doc = held.json()
    assert (doc["status"], doc["approval"], doc["approval_ref"]) == ("counting", "pending", "")
    assert doc["movements"] == [] and doc["posted_at"] is None
    assert (await wired.stock.get(f"{COUNTS}/{count['id']}")).json() == doc
    again = await post(wired, count, key)  # a retry: the same answer, nothing new
    assert again.status_code == 202 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == doc
    listed = (await wired.stock.get(COUNTS, params={"status": "counting"})).json()["items"]
    assert [(c["id"], c["approval"]) for c in listed] == [(doc["id"], "pending")]
    assert await scope(wired, s) == before
    assert await ledger(wired) == []

    [requested] = await approval_events(wired, "ApprovalRequested", doc["id"])
    assert (requested["aggregate_type"], requested["aggregate_id"]) == (
        "stock_count",
        str(doc["id"]),
    )
    assert requested["payload"] == {
        "document_type": "count_variance",
        "document_id": doc["id"],
        "number": doc["number"],
        "requested_by": "user:keeper",
        "lines": [
            {
                "line_no": 1,
                "item_code": s.lot_item,
                "quantity": "-5",
                "uom": "pcs",
                "lot_number": s.lot,
                "unit_price": None,
                "location_code": s.a,
            },
            {
                "line_no": 3,
                "item_code": s.plain_item,
                "quantity": "1",
                "uom": "pcs",
                "lot_number": None,
                "unit_price": None,
                "location_code": s.b,
            },
            {
                "line_no": 4,
                "item_code": s.lot_item,
                "quantity": "2",
                "uom": "pcs",
                "lot_number": s.lot,
                "unit_price": None,
                "location_code": s.b,
            },
        ],
        "location_code": s.root,
        "supplier": "",
        "purchase_order": "",
        "reason": "",
        "note": "year end",
    }

    # nobody but workflow moves it on, and its counts stay as the approver saw them
    refused(await post(wired, count), 409, "approval_pending")
    refused(
        await wired.stock.put(
            f"{COUNTS}/{count['id']}/lines", json={"lines": [count_line(s.plain_item, s.b, "40")]}
        ),
        409,
        "approval_pending",
    )
    sheet = await wired.stock.get(f"{COUNTS}/{count['id']}/sheet.xlsx")
    refused(await upload(wired, count, sheet.content, dry_run=False), 409, "approval_pending")
    planner = await wired.stock.post(
        f"{COUNTS}/{count['id']}/approval-decision",
        json={"decision": "approved", "reference": "workflow:7"},
        headers=auth("planner"),
    )
    assert planner.status_code == 403, planner.text
    assert (await wired.stock.get(f"{COUNTS}/{count['id']}")).json() == doc
    assert await approval_events(wired, "ApprovalRequested", doc["id"]) == [requested]

    # stock moves while it waits: the differences post against the balances of the moment
    await transfer(wired, s.lot_item, s.a, s.outside, "30", s.lot)
    approved = await decide(wired, doc["id"], reference="workflow:7")
    assert approved.status_code == 200, approved.text
    posted = approved.json()
    assert (posted["id"], posted["number"], posted["status"]) == (
        doc["id"],
        doc["number"],
        "posted",
    )
    assert (posted["approval"], posted["approval_ref"]) == ("approved", "workflow:7")
    assert posted["posted_by"] == "service:workflow"
    assert moves(posted["movements"]) == [
        (s.lot_item, s.a, ADJUSTMENT, "qualified", Decimal(5)),
        (s.plain_item, ADJUSTMENT, s.b, "qualified", Decimal(1)),
        (s.lot_item, ADJUSTMENT, s.b, "defective", Decimal(2)),
    ]
    after = {
        (s.lot_item, s.a, s.lot, "qualified", Decimal(65)),
        (s.lot_item, s.b, s.lot, "defective", Decimal(2)),
        (s.plain_item, s.b, None, "defective", Decimal(10)),
        (s.plain_item, s.b, None, "qualified", Decimal(41)),
    }
    assert await scope(wired, s) == after
    [event] = await count_events(wired, "StockCountPosted", doc["id"])
    assert event["payload"]["approval"] == "approved"

    # the same decision again is answered with the count as it is; nothing posts twice
    replay = await decide(wired, doc["id"], reference="workflow:7")
    assert replay.status_code == 200 and replay.json() == posted
    assert await scope(wired, s) == after
    assert len(await ledger(wired)) == 3
    assert len(await count_events(wired, "StockCountPosted", doc["id"])) == 1
    refused(await decide(wired, doc["id"], reference="workflow:8"), 409, "document_status_conflict")
    refused(await decide(wired, 999999), 404, "not_found")


async def test_a_refused_or_rejected_count_stays_counting_and_asks_again(
    wired: Slice, site: Site
) -> None:
    s = site
    await close_gate(wired)
    count = await start(wired, s.a)
    await enter(wired, count, count_line(s.lot_item, s.a, "50", s.lot))  # 50 missing
    doc = (await post(wired, count)).json()
    assert (doc["status"], doc["approval"]) == ("counting", "pending")

    # meanwhile 60 of the 100 leave: the loss of 50 no longer fits; nothing posts
    await transfer(wired, s.lot_item, s.a, s.outside, "60", s.lot)
    left = await scope(wired, s)
    refused(await decide(wired, doc["id"], reference="workflow:1"), 409, "insufficient_stock")
    assert (await wired.stock.get(f"{COUNTS}/{doc['id']}")).json() == doc  # still pending
    assert await scope(wired, s) == left
    assert await count_events(wired, "StockCountPosted", doc["id"]) == []

    rejected = await decide(wired, doc["id"], "rejected", "workflow:1", reason="count again")
    assert rejected.status_code == 200, rejected.text
    back = rejected.json()
    assert (back["status"], back["approval"], back["approval_ref"]) == (
        "counting",
        "not_required",
        "workflow:1",
    )
    assert back["movements"] == [] and back["lines"] == doc["lines"]
    [returned] = await approval_events(wired, "ApprovalReturned", doc["id"])
    assert returned["aggregate_type"] == "stock_count"
    assert returned["payload"] == {
        "document_type": "count_variance",
        "document_id": doc["id"],
        "number": doc["number"],
        "decision": "rejected",
        "reason": "count again",
        "reference": "workflow:1",
    }
    replay = await decide(wired, doc["id"], "rejected", "workflow:1")
    assert replay.status_code == 200 and replay.json() == back
    assert len(await approval_events(wired, "ApprovalReturned", doc["id"])) == 1
    refused(await decide(wired, doc["id"], reference="workflow:2"), 409, "document_status_conflict")

    # counted again and posted again: it waits anew
    recounted = await enter(wired, count, count_line(s.lot_item, s.a, "95", s.lot))
    assert recounted["approval"] == "not_required"
    held = await post(wired, count)
    assert held.status_code == 202, held.text
    assert (held.json()["approval"], held.json()["approval_ref"]) == ("pending", "")
    requests = await approval_events(wired, "ApprovalRequested", doc["id"])
    assert [e["payload"]["lines"][0]["quantity"] for e in requests] == ["-50", "-5"]
    posted = await decide(wired, doc["id"], reference="workflow:2")
    assert posted.status_code == 200, posted.text
    assert (posted.json()["status"], posted.json()["approval_ref"]) == ("posted", "workflow:2")
    assert (s.lot_item, s.a, s.lot, "qualified", Decimal(35)) in await scope(wired, s)


async def test_a_count_without_differences_posts_under_a_closed_gate(
    wired: Slice, site: Site
) -> None:
    s = site
    await close_gate(wired)
    count = await start(wired, s.b)
    await enter(
        wired,
        count,
        count_line(s.plain_item, s.b, "10", state="defective"),
        count_line(s.plain_item, s.b, "40"),
    )
    before = await scope(wired, s)
    posted = await post(wired, count)
    assert posted.status_code == 200, posted.text
    out = posted.json()
    assert (out["status"], out["approval"], out["approval_ref"]) == ("posted", "not_required", "")
    assert out["movements"] == []
    assert await scope(wired, s) == before
    assert await events_of(wired, "ApprovalRequested") == []
    refused(await decide(wired, out["id"]), 409, "document_status_conflict")

    # an open gate: differences post at once, as always
    await close_gate(wired, required=False)
    other = await start(wired, s.b)
    await enter(
        wired,
        other,
        count_line(s.plain_item, s.b, "9", state="defective"),
        count_line(s.plain_item, s.b, "40"),
    )
    direct = await post(wired, other)
    assert direct.status_code == 200, direct.text
    assert (direct.json()["status"], direct.json()["approval"]) == ("posted", "not_required")
    assert await events_of(wired, "ApprovalRequested") == []


async def test_a_blind_count_keeps_its_book_while_it_waits(wired: Slice, site: Site) -> None:
    s = site
    await close_gate(wired)
    count = await start(wired, s.b, blind=True)
    await enter(
        wired,
        count,
        count_line(s.plain_item, s.b, "10", state="defective"),
        count_line(s.plain_item, s.b, "38"),
    )
    held = await post(wired, count)
    assert held.status_code == 202, held.text
    doc = held.json()
    assert (doc["book_visible"], doc["lines_with_difference"]) == (False, None)
    assert {ln["difference"] for ln in doc["lines"]} == {None}
    # the approver is told the differences
    [requested] = await approval_events(wired, "ApprovalRequested", doc["id"])
    assert [(ln["line_no"], ln["quantity"]) for ln in requested["payload"]["lines"]] == [(2, "-2")]
    posted = (await decide(wired, doc["id"])).json()
    assert (posted["status"], posted["book_visible"]) == ("posted", True)
    assert (s.plain_item, s.b, None, "qualified", Decimal(38)) in await scope(wired, s)


async def test_cancelling_a_waiting_count_ends_its_approval(wired: Slice, site: Site) -> None:
    s = site
    await close_gate(wired)
    count = await start(wired, s.b)
    await enter(
        wired,
        count,
        count_line(s.plain_item, s.b, "10", state="defective"),
        count_line(s.plain_item, s.b, "44"),
    )
    before = await scope(wired, s)
    doc = (await post(wired, count)).json()
    assert doc["approval"] == "pending"

    cancelled = await wired.stock.post(f"{COUNTS}/{count['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["movements"] == []
    [ended] = await approval_events(wired, "ApprovalCancelled", doc["id"])
    assert ended["aggregate_type"] == "stock_count"
    assert ended["payload"] == {
        "document_type": "count_variance",
        "document_id": doc["id"],
        "number": doc["number"],
    }
    assert len(await count_events(wired, "StockCountCancelled", doc["id"])) == 1
    for decision in ("approved", "rejected"):
        refused(await decide(wired, doc["id"], decision), 409, "document_status_conflict")
    assert await scope(wired, s) == before
    # a count cancelled without waiting ends no approval
    plain = await start(wired, s.b)
    assert (await wired.stock.post(f"{COUNTS}/{plain['id']}/cancel")).status_code == 200
    assert len(await events_of(wired, "ApprovalCancelled")) == 1
