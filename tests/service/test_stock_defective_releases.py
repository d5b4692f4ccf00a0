"""Defective releases (concessions): defective stock becomes qualified, at once or from a
draft, reversible, and held by the `defective_release` approval gate until workflow
decides; SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx

from tests.conftest import auth
from tests.service import test_stock_scrap_returns as base
from tests.service.test_stock_scrap_returns import (
    Stocked,
    Wired,
    balances,
    code,
    events_of,
    make_item,
    make_location,
)

#: The fixtures of the scrap and return tests, used here by name.
wired, stocked = base.wired, base.stocked

RELEASES = "/v1/defective-releases"
WORKFLOW = auth("service", subject="service:workflow")
QC = auth("qc", subject="user:engineer")
D = Decimal


def release(item: str, location: str, quantity: str, **extra: Any) -> dict:
    return {
        "item_code": item,
        "location_code": location,
        "quantity": quantity,
        "reason": "concession",
        **extra,
    }


def moves(doc: dict) -> list[tuple[str, str, str, str, str | None, Decimal]]:
    return [
        (
            m["from_location"],
            m["to_location"],
            m["from_state"],
            m["to_state"],
            m["lot_number"],
            D(m["quantity"]),
        )
        for m in doc["movements"]
    ]


async def set_gate(w: Wired, required: bool = True) -> None:
    response = await w.stock.put(
        "/v1/approval-gates/defective_release",
        json={"required": required, "flow": "MRB"},
        headers=WORKFLOW,
    )
    assert response.status_code == 200, response.text


async def decide(
    w: Wired, document_id: int, decision: str = "approved", reference: str = "workflow:1"
) -> httpx.Response:
    return await w.stock.post(
        f"{RELEASES}/{document_id}/approval-decision",
        json={"decision": decision, "reference": reference},
        headers=WORKFLOW,
    )


async def approval_events(w: Wired, event: str, document_id: int) -> list[dict]:
    return [e for e in await events_of(w, event) if e["payload"]["document_id"] == document_id]


def refused(response: httpx.Response, status: int, problem: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == problem


async def test_a_release_moves_defective_stock_of_a_lot_to_qualified(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    start = await balances(wired, location_code=s.location)
    assert start == {
        (s.lot_item, s.location, s.lot, "qualified", D(60)),
        (s.lot_item, s.location, s.lot, "defective", D(40)),
        (s.plain_item, s.location, None, "defective", D(10)),
    }
    body = release(s.lot_item, s.location, "15", lot_number=s.lot, note="MRB-12 signed")
    key = {"Idempotency-Key": str(uuid.uuid4()), **QC}
    response = await wired.stock.post(RELEASES, json=body, headers=key)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["number"].startswith("DR-") and doc["status"] == "posted"
    assert (doc["reason"], doc["note"], doc["lot"]["lot_number"]) == (
        "concession",
        "MRB-12 signed",
        s.lot,
    )
    assert (doc["location_code"], doc["to_location_code"], doc["quantity"]) == (
        s.location,
        s.location,
        "15",
    )
    assert (doc["approval"], doc["posted_by"], doc["draft_request"]) == (
        "not_required",
        "user:engineer",
        None,
    )
    assert moves(doc) == [(s.location, s.location, "defective", "qualified", s.lot, D(15))]
    assert await balances(wired, location_code=s.location) == {
        (s.lot_item, s.location, s.lot, "qualified", D(75)),
        (s.lot_item, s.location, s.lot, "defective", D(25)),
        (s.plain_item, s.location, None, "defective", D(10)),
    }
    again = await wired.stock.post(RELEASES, json=body, headers=key)  # a retry: nothing new
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert (await wired.stock.get(f"{RELEASES}/{doc['id']}", headers=QC)).json() == doc
    [posted] = [
        e
        for e in await events_of(wired, "DefectiveReleasePosted")
        if e["payload"]["id"] == doc["id"]
    ]
    assert posted["aggregate_type"] == "defective_release"

    # untracked stock, reworked, to another location; the warehouse may book it too
    good = await make_location(wired, "WH1/GOOD")
    moved = await wired.stock.post(
        RELEASES,
        json=release(s.plain_item, s.location, "4", reason="rework", to_location_code=good),
        headers=auth("warehouse"),
    )
    assert moved.status_code == 201, moved.text
    assert moves(moved.json()) == [(s.location, good, "defective", "qualified", None, D(4))]
    assert (s.plain_item, s.location, None, "defective", D(6)) in await balances(
        wired, location_code=s.location
    )
    assert await balances(wired, location_code=good) == {
        (s.plain_item, good, None, "qualified", D(4))
    }
    planner = await wired.stock.post(
        RELEASES, json=release(s.plain_item, s.location, "1"), headers=auth("planner")
    )
    assert planner.status_code == 403

    listed = (await wired.stock.get(RELEASES, params={"reason": "rework"})).json()
    assert [d["id"] for d in listed["items"]] == [moved.json()["id"]]
    by_lot = (await wired.stock.get(RELEASES, params={"lot_number": s.lot})).json()
    assert [d["id"] for d in by_lot["items"]] == [doc["id"]]
    first = (await wired.stock.get(RELEASES, params={"limit": 1})).json()
    assert [d["id"] for d in first["items"]] == [doc["id"]] and first["next_cursor"]
    rest = (
        await wired.stock.get(RELEASES, params={"limit": 1, "cursor": first["next_cursor"]})
    ).json()
    assert [d["id"] for d in rest["items"]] == [moved.json()["id"]]
    assert (await wired.stock.get(f"{RELEASES}/999999")).status_code == 404


async def test_serial_tracked_units_are_released_one_by_one(wired: Wired) -> None:
    item, location = await make_item(wired, tracking="serial"), await make_location(wired)
    units = [code("SN") for _ in range(3)]
    received = {
        "item_code": item,
        "location_code": location,
        "quantity": "3",
        "serial_numbers": units,
        "lot_number": "B1",
    }
    assert (await wired.stock.post("/v1/receipts", json=received)).status_code == 201
    inspected = await wired.stock.post(
        "/v1/inspections",
        json={
            "item_code": item,
            "location_code": location,
            "accepted_quantity": "1",
            "rejected_quantity": "2",
            "accepted_serial_numbers": [units[0]],
            "rejected_serial_numbers": units[1:],
            "sample_size": 3,
            "inspector": "Li",
        },
        headers=auth("qc"),
    )
    assert inspected.status_code == 201, inspected.text

    body = release(item, location, "1", serial_numbers=[units[1]], reason="reinspection")
    response = await wired.stock.post(RELEASES, json=body, headers=QC)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["serial_numbers"] == [units[1]] and doc["lot"] is None
    assert [(m["serial_number"], m["lot_number"], m["to_state"]) for m in doc["movements"]] == [
        (units[1], "B1", "qualified")
    ]
    found = (await wired.stock.get("/v1/serials", params={"item_code": item})).json()["items"]
    assert {u["serial_number"]: u["quality_state"] for u in found} == {
        units[0]: "qualified",
        units[1]: "qualified",
        units[2]: "defective",
    }

    # a unit that is not defective there is named; nothing moves
    before = await balances(wired, location_code=location)
    short = await wired.stock.post(
        RELEASES, json=release(item, location, "2", serial_numbers=[units[2], units[0]]), headers=QC
    )
    refused(short, 409, "insufficient_stock")
    assert [(e["field"], e["type"]) for e in short.json()["errors"]] == [
        ("body.serial_numbers", "insufficient_stock")
    ]
    assert units[0] in short.json()["errors"][0]["message"]
    assert await balances(wired, location_code=location) == before
    wrong = await wired.stock.post(RELEASES, json=release(item, location, "2"), headers=QC)
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["body.serial_numbers"]


async def test_not_enough_defective_stock_is_409_and_changes_nothing(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    before = await balances(wired, location_code=s.location)
    response = await wired.stock.post(
        RELEASES, json=release(s.lot_item, s.location, "41", lot_number=s.lot), headers=QC
    )
    refused(response, 409, "insufficient_stock")
    problem = response.json()
    assert (problem["item_code"], problem["lot_number"], problem["quality_state"]) == (
        s.lot_item,
        s.lot,
        "defective",
    )
    assert (problem["available"], problem["needed"]) == ("40", "41")
    assert [(e["field"], e["type"]) for e in problem["errors"]] == [
        ("body.quantity", "insufficient_stock")
    ]
    assert await balances(wired, location_code=s.location) == before
    assert (await wired.stock.get(RELEASES)).json()["items"] == []
    assert await events_of(wired, "DefectiveReleasePosted") == []


async def test_bad_input_is_422_naming_every_bad_field(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    shape = await wired.stock.post(
        RELEASES,
        json={"item_code": s.lot_item, "location_code": "", "quantity": "0", "reason": "nope"},
        headers=QC,
    )
    assert shape.status_code == 422
    assert shape.headers["content-type"].startswith("application/problem+json")
    assert sorted(e["field"] for e in shape.json()["errors"]) == [
        "body.location_code",
        "body.quantity",
        "body.reason",
    ]
    facts = await wired.stock.post(
        RELEASES,
        json=release(s.lot_item, "NOWHERE", "1", to_location_code="VIRTUAL/SCRAPPED"),
        headers=QC,
    )
    assert facts.status_code == 422
    assert sorted((e["field"], e["type"]) for e in facts.json()["errors"]) == sorted(
        [
            ("body.lot_number", "missing"),
            ("body.location_code", "not_found"),
            ("body.to_location_code", "invalid"),
        ]
    )
    lots = await wired.stock.post(
        RELEASES, json=release(s.lot_item, s.location, "1", lot_number="NEVER"), headers=QC
    )
    assert [(e["field"], e["type"]) for e in lots.json()["errors"]] == [
        ("body.lot_number", "not_found")
    ]
    untracked = await wired.stock.post(
        RELEASES, json=release(s.plain_item, s.location, "1", lot_number="L-1"), headers=QC
    )
    assert [(e["field"], e["type"]) for e in untracked.json()["errors"]] == [
        ("body.lot_number", "invalid")
    ]
    unknown = await wired.stock.post(RELEASES, json=release("NO-SUCH", s.location, "1"), headers=QC)
    assert [(e["field"], e["type"]) for e in unknown.json()["errors"]] == [
        ("body.item_code", "not_found")
    ]
    assert (await wired.stock.get(RELEASES)).json()["items"] == []


async def test_a_release_is_reversed_as_a_whole(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    start = await balances(wired, location_code=s.location)
    doc = (
        await wired.stock.post(
            RELEASES, json=release(s.lot_item, s.location, "40", lot_number=s.lot), headers=QC
        )
    ).json()
    assert (s.lot_item, s.location, s.lot, "qualified", D(100)) in await balances(
        wired, location_code=s.location
    )
    reversed_ = await wired.stock.post(f"{RELEASES}/{doc['id']}/reverse", headers=QC)
    assert reversed_.status_code == 200, reversed_.text
    out = reversed_.json()
    assert out["status"] == "reversed" and out["reversed_by"] == "user:engineer"
    assert [m["reversal_of_id"] is not None for m in out["movements"]] == [False, True]
    assert await balances(wired, location_code=s.location) == start
    assert len(await events_of(wired, "DefectiveReleaseReversed")) == 1
    refused(await wired.stock.post(f"{RELEASES}/{doc['id']}/reverse"), 409, "document_reversed")
    refused(await wired.stock.post(f"{RELEASES}/999999/reverse"), 404, "not_found")

    # once the released stock moved on, the release cannot be taken back
    again = (
        await wired.stock.post(
            RELEASES, json=release(s.lot_item, s.location, "40", lot_number=s.lot), headers=QC
        )
    ).json()
    scrap = {
        "location_code": s.location,
        "reason": "used",
        "lines": [
            {
                "item_code": s.lot_item,
                "lot_number": s.lot,
                "quantity": "90",
                "quality_state": "qualified",
            }
        ],
    }
    assert (await wired.stock.post("/v1/scraps", json=scrap)).status_code == 201
    refused(await wired.stock.post(f"{RELEASES}/{again['id']}/reverse"), 409, "insufficient_stock")


async def test_a_draft_release_moves_nothing_until_posted(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    before = await balances(wired, location_code=s.location)
    body = release(s.lot_item, s.location, "10", lot_number=s.lot)
    draft = await wired.stock.post(RELEASES, json={**body, "draft": True}, headers=QC)
    assert draft.status_code == 201, draft.text
    doc = draft.json()
    assert (doc["status"], doc["movements"], doc["posted_at"]) == ("draft", [], None)
    assert doc["draft_request"]["quantity"] == "10"
    assert await balances(wired, location_code=s.location) == before
    replaced = await wired.stock.put(
        f"{RELEASES}/{doc['id']}", json={**body, "quantity": "12"}, headers=QC
    )
    assert replaced.status_code == 200 and replaced.json()["quantity"] == "12"
    posted = await wired.stock.post(f"{RELEASES}/{doc['id']}/post", headers=QC)
    assert posted.status_code == 200, posted.text
    assert (posted.json()["id"], posted.json()["status"]) == (doc["id"], "posted")
    assert (s.lot_item, s.location, s.lot, "defective", D(28)) in await balances(
        wired, location_code=s.location
    )
    refused(await wired.stock.post(f"{RELEASES}/{doc['id']}/post"), 409, "document_not_draft")
    other = (await wired.stock.post(RELEASES, json={**body, "draft": True})).json()
    cancelled = await wired.stock.post(f"{RELEASES}/{other['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert await events_of(wired, "ApprovalCancelled") == []


async def test_a_gated_release_waits_and_workflow_posts_it(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    await set_gate(wired)
    gates = (await wired.stock.get("/v1/approval-gates")).json()["items"]
    assert {g["document_type"]: g["required"] for g in gates}["defective_release"] is True
    before = await balances(wired, location_code=s.location)
    body = release(s.lot_item, s.location, "30", lot_number=s.lot, note="MRB-12")
    key = {"Idempotency-Key": str(uuid.uuid4()), **QC}
    held = await wired.stock.post(RELEASES, json=body, headers=key)
    assert held.status_code == 202, held.text
    doc = held.json()
    assert (doc["status"], doc["approval"], doc["approval_ref"]) == ("draft", "pending", "")
    assert doc["movements"] == [] and doc["draft_request"]["quantity"] == "30"
    again = await wired.stock.post(RELEASES, json=body, headers=key)
    assert again.status_code == 202 and again.json() == doc
    assert await balances(wired, location_code=s.location) == before

    [requested] = await approval_events(wired, "ApprovalRequested", doc["id"])
    assert requested["aggregate_type"] == "defective_release"
    assert requested["payload"] == {
        "document_type": "defective_release",
        "document_id": doc["id"],
        "number": doc["number"],
        "requested_by": "user:engineer",
        "lines": [
            {
                "line_no": 1,
                "item_code": s.lot_item,
                "quantity": "30",
                "uom": "pcs",
                "lot_number": s.lot,
                "unit_price": None,
            }
        ],
        "location_code": s.location,
        "supplier": "",
        "purchase_order": "",
        "reason": "concession",
        "note": "MRB-12",
    }

    refused(await wired.stock.post(f"{RELEASES}/{doc['id']}/post"), 409, "approval_pending")
    refused(await wired.stock.put(f"{RELEASES}/{doc['id']}", json=body), 409, "approval_pending")
    not_workflow = await wired.stock.post(
        f"{RELEASES}/{doc['id']}/approval-decision",
        json={"decision": "approved", "reference": "workflow:7"},
        headers=QC,
    )
    assert not_workflow.status_code == 403

    approved = await decide(wired, doc["id"], reference="workflow:7")
    assert approved.status_code == 200, approved.text
    posted = approved.json()
    assert (posted["id"], posted["number"], posted["status"]) == (
        doc["id"],
        doc["number"],
        "posted",
    )
    assert (posted["approval"], posted["approval_ref"]) == ("approved", "workflow:7")
    assert posted["posted_by"] == "service:workflow" and posted["draft_request"] is None
    after = {
        (s.lot_item, s.location, s.lot, "qualified", D(90)),
        (s.lot_item, s.location, s.lot, "defective", D(10)),
        (s.plain_item, s.location, None, "defective", D(10)),
    }
    assert await balances(wired, location_code=s.location) == after

    replay = await decide(wired, doc["id"], reference="workflow:7")
    assert replay.status_code == 200 and replay.json() == posted
    assert await balances(wired, location_code=s.location) == after
    refused(await decide(wired, doc["id"], reference="workflow:8"), 409, "document_status_conflict")
    refused(await decide(wired, 999999), 404, "not_found")


async def test_a_rejected_release_returns_to_draft_and_may_be_cancelled(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    await set_gate(wired)
    before = await balances(wired, location_code=s.location)
    body = release(s.plain_item, s.location, "10", reason="rework")
    doc = (await wired.stock.post(RELEASES, json=body, headers=QC)).json()
    assert (doc["status"], doc["approval"]) == ("draft", "pending")

    rejected = await decide(wired, doc["id"], "rejected", "workflow:1")
    assert rejected.status_code == 200, rejected.text
    back = rejected.json()
    assert (back["status"], back["approval"], back["approval_ref"]) == (
        "draft",
        "not_required",
        "workflow:1",
    )
    [returned] = await approval_events(wired, "ApprovalReturned", doc["id"])
    assert returned["payload"]["decision"] == "rejected"
    replay = await decide(wired, doc["id"], "rejected", "workflow:1")
    assert replay.status_code == 200 and replay.json() == back
    assert await balances(wired, location_code=s.location) == before

    # posted again it waits anew; cancelled, its approval ends
    held = await wired.stock.post(f"{RELEASES}/{doc['id']}/post", headers=QC)
    assert held.status_code == 202, held.text
    assert held.json()["approval"] == "pending"
    cancelled = await wired.stock.post(f"{RELEASES}/{doc['id']}/cancel", headers=QC)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    [ended] = await approval_events(wired, "ApprovalCancelled", doc["id"])
    assert ended["aggregate_type"] == "defective_release"
    refused(await decide(wired, doc["id"]), 409, "document_status_conflict")
    assert await balances(wired, location_code=s.location) == before

    # the gate open, a release posts at once
    await set_gate(wired, required=False)
    posted = await wired.stock.post(RELEASES, json=body, headers=QC)
    assert posted.status_code == 201 and posted.json()["approval"] == "not_required"
