"""Approval gates on purchase receipts, scraps and supplier returns: under a closed gate a
posting is kept a draft that waits (202, `approval: pending`, `ApprovalRequested`), and
only workflow's decision posts it or returns it to draft; customer returns never wait."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.service import test_stock_scrap_returns as base
from tests.service.test_stock_scrap_returns import (
    Stocked,
    Wired,
    balances,
    code,
    document,
    events_of,
    line,
    make_location,
)

#: The fixtures of the scrap and return tests, used here by name.
wired, stocked = base.wired, base.stocked

RECEIPTS, SCRAPS = "/v1/receipts", "/v1/scraps"
SUPPLIER, CUSTOMER = "/v1/supplier-returns", "/v1/customer-returns"
PATHS = {"purchase_receipt": RECEIPTS, "scrap": SCRAPS, "supplier_return": SUPPLIER}
POSTED = {
    "purchase_receipt": "ReceiptPosted",
    "scrap": "ScrapPosted",
    "supplier_return": "SupplierReturnPosted",
}
#: The aggregate type of each document's events.
ENTITIES = {"purchase_receipt": "receipt", "scrap": "scrap", "supplier_return": "supplier_return"}
WORKFLOW = auth("service", subject="service:workflow")
KEEPER = auth("warehouse", subject="user:keeper")


async def set_gate(w: Wired, document_type: str, required: bool = True) -> None:
    response = await w.stock.put(
        f"/v1/approval-gates/{document_type}",
        json={"required": required, "flow": "test flow"},
        headers=WORKFLOW,
    )
    assert response.status_code == 200, response.text


async def decide(
    w: Wired,
    path: str,
    document_id: int,
    decision: str = "approved",
    reference: str = "workflow:1",
    **extra: Any,
) -> httpx.Response:
    return await w.stock.post(
        f"{path}/{document_id}/approval-decision",
        json={"decision": decision, "reference": reference, **extra},
        headers=WORKFLOW,
    )


async def approval_events(w: Wired, event: str, document_id: int) -> list[dict]:
    return [e for e in await events_of(w, event) if e["payload"]["document_id"] == document_id]


def refused(response: httpx.Response, status: int, problem: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == problem


def case(
    document_type: str, s: Stocked, lot: str
) -> tuple[dict, dict, set[tuple[str, str, str | None, str, Decimal]]]:
    """A document of the type, what `ApprovalRequested` must say of it besides its id and
    number, and the location's balances once it posted."""
    start = {
        (s.lot_item, s.location, s.lot, "qualified", Decimal(60)),
        (s.lot_item, s.location, s.lot, "defective", Decimal(40)),
        (s.plain_item, s.location, None, "defective", Decimal(10)),
    }
    if document_type == "purchase_receipt":
        body = {
            "location_code": s.location,
            "supplier": "Yageo",
            "purchase_order": "PO-9",
            "note": "second delivery",
            "lines": [
                {"item_code": s.lot_item, "quantity": "30", "lot_number": lot, "unit_price": "0.5"},
                {"item_code": s.plain_item, "quantity": "5"},
            ],
        }
        lines = [(1, s.lot_item, "30", lot, "0.5"), (2, s.plain_item, "5", None, None)]
        header = ("Yageo", "PO-9", "", "second delivery")
        after = start | {
            (s.lot_item, s.location, lot, "pending_inspection", Decimal(30)),
            (s.plain_item, s.location, None, "pending_inspection", Decimal(5)),
        }
    elif document_type == "scrap":
        body = document(
            s.location,
            line(s.lot_item, "15", s.lot),
            line(s.plain_item, "10"),
            reason="burnt in reflow",
            reference="NCR-7",
            note="line 2",
        )
        lines = [(1, s.lot_item, "15", s.lot, None), (2, s.plain_item, "10", None, None)]
        header = ("", "", "burnt in reflow", "line 2")
        after = {
            (s.lot_item, s.location, s.lot, "qualified", Decimal(60)),
            (s.lot_item, s.location, s.lot, "defective", Decimal(25)),
        }
    else:
        body = document(
            s.location,
            line(s.lot_item, "20", s.lot, "qualified"),
            counterparty="Yageo",
            reference="PO-1",
            reason="wrong value",
        )
        lines = [(1, s.lot_item, "20", s.lot, None)]
        header = ("Yageo", "PO-1", "wrong value", "")
        after = {
            (s.lot_item, s.location, s.lot, "qualified", Decimal(40)),
            (s.lot_item, s.location, s.lot, "defective", Decimal(40)),
            (s.plain_item, s.location, None, "defective", Decimal(10)),
        }
    payload = {
        "document_type": document_type,
        "requested_by": "user:keeper",
        "lines": [
            {
                "line_no": no,
                "item_code": item,
                "quantity": quantity,
                "uom": "pcs",
                "lot_number": lot_number,
                "unit_price": price,
            }
            for no, item, quantity, lot_number, price in lines
        ],
        "location_code": s.location,
        "supplier": header[0],
        "purchase_order": header[1],
        "reason": header[2],
        "note": header[3],
    }
    return body, payload, after


@pytest.mark.parametrize("document_type", ["purchase_receipt", "scrap", "supplier_return"])
async def test_a_gated_posting_waits_and_workflow_posts_it(
    wired: Wired, stocked: Stocked, document_type: str
) -> None:
    s, path, lot = stocked, PATHS[document_type], code("L")
    body, payload, after = case(document_type, s, lot)
    await set_gate(wired, document_type)
    gates = (await wired.stock.get("/v1/approval-gates")).json()["items"]
    assert {g["document_type"]: g["required"] for g in gates} == {
        "material_requisition": False,
        "purchase_receipt": document_type == "purchase_receipt",
        "scrap": document_type == "scrap",
        "supplier_return": document_type == "supplier_return",
        "count_variance": False,
        "defective_release": False,
    }
    before = await balances(wired, location_code=s.location)

    key = {"Idempotency-Key": str(uuid.uuid4()), **KEEPER}
    held = await wired.stock.post(path, json=body, headers=key)
    assert held.status_code == 202, held.text
    doc = held.json()
    assert (doc["status"], doc["approval"], doc["approval_ref"]) == ("draft", "pending", "")
    assert doc["movements"] == [] and doc["posted_at"] is None
    assert doc["draft_request"]["lines"][0]["item_code"] == s.lot_item
    assert (await wired.stock.get(f"{path}/{doc['id']}", headers=KEEPER)).json() == doc
    again = await wired.stock.post(path, json=body, headers=key)  # a retry: nothing new
    assert again.status_code == 202 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == doc
    drafts = (await wired.stock.get(path, params={"status": "draft"})).json()["items"]
    assert [d["id"] for d in drafts] == [doc["id"]]
    assert await balances(wired, location_code=s.location) == before
    if document_type == "purchase_receipt":  # its new lot is created only when it posts
        lots = await wired.stock.get("/v1/lots", params={"item_code": s.lot_item})
        assert lot not in {x["lot_number"] for x in lots.json()["items"]}

    [requested] = await approval_events(wired, "ApprovalRequested", doc["id"])
    assert requested["aggregate_type"] == ENTITIES[document_type]
    assert requested["aggregate_id"] == str(doc["id"])
    assert requested["payload"] == {**payload, "document_id": doc["id"], "number": doc["number"]}

    # nobody but workflow moves it on
    refused(await wired.stock.post(f"{path}/{doc['id']}/post"), 409, "approval_pending")
    refused(await wired.stock.put(f"{path}/{doc['id']}", json=body), 409, "approval_pending")
    planner = await wired.stock.post(
        f"{path}/{doc['id']}/approval-decision",
        json={"decision": "approved", "reference": "workflow:7"},
        headers=auth("planner"),
    )
    assert planner.status_code == 403
    assert (await wired.stock.get(f"{path}/{doc['id']}", headers=KEEPER)).json() == doc

    approved = await decide(wired, path, doc["id"], reference="workflow:7")
    assert approved.status_code == 200, approved.text
    posted = approved.json()
    assert (posted["id"], posted["number"], posted["status"]) == (
        doc["id"],
        doc["number"],
        "posted",
    )
    assert (posted["approval"], posted["approval_ref"]) == ("approved", "workflow:7")
    assert posted["posted_by"] == "service:workflow" and posted["draft_request"] is None
    assert len(posted["movements"]) == len(payload["lines"])
    assert await balances(wired, location_code=s.location) == after
    [event] = [
        e for e in await events_of(wired, POSTED[document_type]) if e["payload"]["id"] == doc["id"]
    ]
    assert event["payload"]["approval"] == "approved"

    # the same decision again is answered with the document as it is; nothing moves twice
    replay = await decide(wired, path, doc["id"], reference="workflow:7")
    assert replay.status_code == 200 and replay.json() == posted
    assert await balances(wired, location_code=s.location) == after
    refused(
        await decide(wired, path, doc["id"], reference="workflow:8"),
        409,
        "document_status_conflict",
    )
    refused(await decide(wired, path, 999999), 404, "not_found")


async def test_a_returned_or_refused_scrap_stays_a_draft(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    await set_gate(wired, "scrap")
    body = document(s.location, line(s.lot_item, "40", s.lot), reason="burnt")
    doc = (await wired.stock.post(SCRAPS, json=body)).json()
    assert (doc["status"], doc["approval"]) == ("draft", "pending")

    # meanwhile the defective stock goes back to the supplier (no gate there)
    gone = document(s.location, line(s.lot_item, "30", s.lot), counterparty="Yageo")
    assert (await wired.stock.post(SUPPLIER, json=gone)).status_code == 201
    left = await balances(wired, location_code=s.location)
    refused(
        await decide(wired, SCRAPS, doc["id"], reference="workflow:1"), 409, "insufficient_stock"
    )
    assert (await wired.stock.get(f"{SCRAPS}/{doc['id']}")).json() == doc  # still pending
    assert await balances(wired, location_code=s.location) == left
    assert [
        e for e in await events_of(wired, "ScrapPosted") if e["payload"]["id"] == doc["id"]
    ] == []

    rejected = await decide(
        wired, SCRAPS, doc["id"], "rejected", "workflow:1", reason="only 10 are left"
    )
    assert rejected.status_code == 200, rejected.text
    back = rejected.json()
    assert (back["status"], back["approval"], back["approval_ref"]) == (
        "draft",
        "not_required",
        "workflow:1",
    )
    assert back["movements"] == [] and back["draft_request"] == doc["draft_request"]
    [returned] = await approval_events(wired, "ApprovalReturned", doc["id"])
    assert returned["aggregate_type"] == "scrap"
    assert returned["payload"] == {
        "document_type": "scrap",
        "document_id": doc["id"],
        "number": doc["number"],
        "decision": "rejected",
        "reason": "only 10 are left",
        "reference": "workflow:1",
    }
    replay = await decide(wired, SCRAPS, doc["id"], "rejected", "workflow:1")
    assert replay.status_code == 200 and replay.json() == back
    assert len(await approval_events(wired, "ApprovalReturned", doc["id"])) == 1
    refused(
        await decide(wired, SCRAPS, doc["id"], reference="workflow:2"),
        409,
        "document_status_conflict",
    )

    # a returned draft is the requester's again: changed, then posted: it waits anew
    smaller = document(s.location, line(s.lot_item, "10", s.lot), reason="burnt")
    replaced = await wired.stock.put(f"{SCRAPS}/{doc['id']}", json=smaller)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["approval"] == "not_required"
    held = await wired.stock.post(f"{SCRAPS}/{doc['id']}/post")
    assert held.status_code == 202, held.text
    assert (held.json()["approval"], held.json()["approval_ref"]) == ("pending", "")
    requests = await approval_events(wired, "ApprovalRequested", doc["id"])
    assert [e["payload"]["lines"][0]["quantity"] for e in requests] == ["40", "10"]
    posted = await decide(wired, SCRAPS, doc["id"], reference="workflow:2")
    assert posted.status_code == 200, posted.text
    assert (posted.json()["status"], posted.json()["approval_ref"]) == ("posted", "workflow:2")
    assert (s.lot_item, s.location, s.lot, "defective", Decimal(10)) not in await balances(
        wired, location_code=s.location
    )


async def test_a_draft_posted_after_the_gate_closed_waits_and_may_be_cancelled(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    body = document(
        s.location,
        line(s.lot_item, "20", s.lot, "qualified"),
        counterparty="Yageo",
        reference="PO-1",
        reason="wrong value",
    )
    draft = (await wired.stock.post(SUPPLIER, json={**body, "draft": True})).json()
    assert (draft["status"], draft["approval"]) == ("draft", "not_required")
    await set_gate(wired, "supplier_return")  # closed between saving and posting
    before = await balances(wired, location_code=s.location)
    held = await wired.stock.post(f"{SUPPLIER}/{draft['id']}/post", headers=KEEPER)
    assert held.status_code == 202, held.text
    doc = held.json()
    assert (doc["id"], doc["status"], doc["approval"]) == (draft["id"], "draft", "pending")
    _, payload, _ = case("supplier_return", s, "")
    [requested] = await approval_events(wired, "ApprovalRequested", doc["id"])
    assert requested["payload"] == {**payload, "document_id": doc["id"], "number": doc["number"]}
    assert await balances(wired, location_code=s.location) == before

    # a decision names its own kind of document only
    refused(await decide(wired, SCRAPS, doc["id"]), 404, "not_found")
    refused(await decide(wired, SUPPLIER, 999999), 404, "not_found")

    cancelled = await wired.stock.post(f"{SUPPLIER}/{doc['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["movements"] == []
    [ended] = await approval_events(wired, "ApprovalCancelled", doc["id"])
    assert ended["aggregate_type"] == "supplier_return"
    assert ended["payload"] == {
        "document_type": "supplier_return",
        "document_id": doc["id"],
        "number": doc["number"],
    }
    assert len(await events_of(wired, "SupplierReturnCancelled")) == 1
    for decision in ("approved", "rejected"):
        refused(await decide(wired, SUPPLIER, doc["id"], decision), 409, "document_status_conflict")
    assert await balances(wired, location_code=s.location) == before


async def test_lifting_a_gate_releases_nothing_already_waiting(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    await set_gate(wired, "purchase_receipt")
    body = {"location_code": s.location, "item_code": s.plain_item, "quantity": "7"}
    doc = (await wired.stock.post(RECEIPTS, json=body)).json()
    assert doc["approval"] == "pending"
    await set_gate(wired, "purchase_receipt", required=False)
    refused(await wired.stock.post(f"{RECEIPTS}/{doc['id']}/post"), 409, "approval_pending")
    other = await wired.stock.post(RECEIPTS, json=body)  # the gate is open for new ones
    assert other.status_code == 201, other.text
    assert (other.json()["status"], other.json()["approval"]) == ("posted", "not_required")
    approved = await decide(wired, RECEIPTS, doc["id"], reference="workflow:3")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approval"]) == ("posted", "approved")
    assert (s.plain_item, s.location, None, "pending_inspection", Decimal(14)) in await balances(
        wired, location_code=s.location
    )


async def test_open_gates_post_as_before_and_customer_returns_never_wait(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    for document_type in ("purchase_receipt", "scrap", "supplier_return"):
        body, _, _ = case(document_type, s, code("L"))
        body = {**body, "lines": body["lines"][:1]}
        posted = await wired.stock.post(PATHS[document_type], json=body)
        assert posted.status_code == 201, posted.text
        doc = posted.json()
        assert (doc["status"], doc["approval"], doc["approval_ref"]) == (
            "posted",
            "not_required",
            "",
        )
    assert await events_of(wired, "ApprovalRequested") == []

    for document_type in ("purchase_receipt", "scrap", "supplier_return"):
        await set_gate(wired, document_type)
    returns = await make_location(wired, "WH1/RETURNS", "receiving")
    body = document(returns, line(s.lot_item, "8", s.lot), counterparty="ACME", reference="RMA-1")
    posted = await wired.stock.post(CUSTOMER, json=body)
    assert posted.status_code == 201, posted.text
    assert (posted.json()["status"], posted.json()["approval"]) == ("posted", "not_required")
    draft = (await wired.stock.post(CUSTOMER, json={**body, "draft": True})).json()
    from_draft = await wired.stock.post(f"{CUSTOMER}/{draft['id']}/post")
    assert from_draft.status_code == 200, from_draft.text
    assert from_draft.json()["status"] == "posted"
    assert (await decide(wired, CUSTOMER, draft["id"])).status_code == 404
    assert await events_of(wired, "ApprovalRequested") == []
    assert (s.lot_item, returns, s.lot, "pending_inspection", Decimal(16)) in await balances(
        wired, location_code=returns
    )
