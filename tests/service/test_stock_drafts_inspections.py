"""Draft QC inspections: saved without moving anything, replaced, posted later or cancelled;
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from tests.conftest import auth
from tests.service.test_stock_inspections import _balances, _received, inspection
from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location

D = Decimal


async def draft_of(s: Slice, body: dict) -> dict:
    response = await s.stock.post(
        "/v1/inspections", json={**body, "draft": True}, headers=auth("qc")
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "draft"
    return response.json()


async def events_of(s: Slice, *types: str) -> list[dict]:
    feed = (await s.stock.get("/v1/events", params={"limit": 500})).json()["events"]
    return [e for e in feed if e["type"] in types]


async def test_a_draft_inspection_moves_nothing_until_it_is_posted(wired: Slice) -> None:
    item, location, lot = await _received(wired, "100")
    quarantine = await make_location(wired)
    body = inspection(
        item,
        location,
        lot,
        "70",
        "30",
        rejected_location_code=quarantine,
        defects=[{"code": "BENT-LEAD", "quantity": 2}],
    )
    draft = await draft_of(wired, body)
    assert draft["number"].startswith("QC-") and draft["movements"] == []
    assert draft["posted_at"] is None and draft["posted_by"] is None and draft["created_by"]
    # what can be resolved is on the record already: the lot, the locations, the result
    assert draft["lot"]["lot_number"] == lot and draft["result"] == "partial"
    assert (draft["accepted_location_code"], draft["rejected_location_code"]) == (
        location,
        quarantine,
    )
    assert draft["draft_request"]["accepted_quantity"] == "70"
    assert await _balances(wired, item) == {(location, "pending_inspection"): D(100)}
    listed = (await wired.stock.get("/v1/inspections", params={"status": "draft"})).json()
    assert [i["id"] for i in listed["items"]] == [draft["id"]]

    key = {"Idempotency-Key": str(uuid.uuid4()), **auth("qc")}
    posted = await wired.stock.post(f"/v1/inspections/{draft['id']}/post", headers=key)
    assert posted.status_code == 200, posted.text
    doc = posted.json()
    assert (doc["id"], doc["number"], doc["status"]) == (draft["id"], draft["number"], "posted")
    assert doc["draft_request"] is None and doc["posted_at"] and doc["posted_by"]
    assert [(m["to_state"], m["to_location"], m["quantity"]) for m in doc["movements"]] == [
        ("qualified", location, "70"),
        ("defective", quarantine, "30"),
    ]
    assert await _balances(wired, item) == {
        (location, "qualified"): D(70),
        (quarantine, "defective"): D(30),
    }
    replayed = await wired.stock.post(f"/v1/inspections/{draft['id']}/post", headers=key)
    assert replayed.status_code == 200, replayed.text
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.json() == doc
    again = await wired.stock.post(f"/v1/inspections/{draft['id']}/post", headers=auth("qc"))
    assert again.status_code == 409 and again.json()["code"] == "document_not_draft"
    assert await _balances(wired, item) == {
        (location, "qualified"): D(70),
        (quarantine, "defective"): D(30),
    }
    types = [e["type"] for e in await events_of(wired, "InspectionDrafted", "InspectionPosted")]
    assert types == ["InspectionDrafted", "InspectionPosted"]


async def test_a_draft_is_checked_when_saved_but_stock_only_when_posted(wired: Slice) -> None:
    item, location, lot = await _received(wired, "100")
    bad = await wired.stock.post(
        "/v1/inspections",
        json={
            **inspection(
                item, "NO-SUCH", "NO-LOT", "1", "0", rejected_location_code="VIRTUAL/SUPPLIER"
            ),
            "draft": True,
        },
        headers=auth("qc"),
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "body.location_code",
        "body.accepted_location_code",
        "body.rejected_location_code",
        "body.lot_number",
    }
    unknown = await wired.stock.post(
        "/v1/inspections",
        json={**inspection("NOPE", location, None, "1", "0"), "draft": True},
        headers=auth("qc"),
    )
    assert unknown.status_code == 422
    listed = (await wired.stock.get("/v1/inspections", params={"status": "draft"})).json()
    assert listed["items"] == []

    draft = await draft_of(wired, inspection(item, location, lot, "90", "20"))
    refused = await wired.stock.post(f"/v1/inspections/{draft['id']}/post", headers=auth("qc"))
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
    assert (refused.json()["available"], refused.json()["needed"]) == ("100", "110")
    still = (await wired.stock.get(f"/v1/inspections/{draft['id']}")).json()
    assert still["status"] == "draft" and still["movements"] == [] and still["posted_at"] is None
    assert await _balances(wired, item) == {(location, "pending_inspection"): D(100)}
    assert await events_of(wired, "InspectionPosted") == []

    # once replaced by what is there, it posts
    replaced = await wired.stock.put(
        f"/v1/inspections/{draft['id']}",
        json=inspection(item, location, lot, "90", "10"),
        headers=auth("qc"),
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["status"] == "draft" and replaced.json()["rejected_quantity"] == "10"
    posted = await wired.stock.post(
        f"/v1/inspections/{draft['id']}/post", headers=auth("qc"), json={}
    )
    assert posted.status_code == 200, posted.text
    assert await _balances(wired, item) == {
        (location, "qualified"): D(90),
        (location, "defective"): D(10),
    }


async def test_drafts_are_qcs_to_change_cancel_and_post_and_only_posted_ones_reverse(
    wired: Slice,
) -> None:
    item, location, lot = await _received(wired, "100")
    draft = await draft_of(wired, inspection(item, location, lot, "10", "0", note="first"))
    second = inspection(item, location, lot, "20", "5")
    warehouse = auth("warehouse")
    for verb, path, kw in (
        ("put", "", {"json": second}),
        ("post", "/post", {}),
        ("post", "/cancel", {}),
    ):
        forbidden = await getattr(wired.stock, verb)(
            f"/v1/inspections/{draft['id']}{path}", headers=warehouse, **kw
        )
        assert forbidden.status_code == 403, (verb, path)
    replaced = await wired.stock.put(
        f"/v1/inspections/{draft['id']}", json=second, headers=auth("qc")
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert (body["accepted_quantity"], body["rejected_quantity"], body["note"]) == ("20", "5", "")
    assert body["created_at"] == draft["created_at"] and body["id"] == draft["id"]
    not_posted = await wired.stock.post(
        f"/v1/inspections/{draft['id']}/reverse", headers=auth("qc")
    )
    assert not_posted.status_code == 409 and not_posted.json()["code"] == "document_not_posted"

    cancelled = await wired.stock.post(f"/v1/inspections/{draft['id']}/cancel", headers=auth("qc"))
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelled_by"]
    for path, problem in (
        ("/post", "document_not_draft"),
        ("/cancel", "document_not_draft"),
        ("/reverse", "document_not_posted"),
    ):
        refused = await wired.stock.post(f"/v1/inspections/{draft['id']}{path}", headers=auth("qc"))
        assert refused.status_code == 409 and refused.json()["code"] == problem, path
    refused = await wired.stock.put(
        f"/v1/inspections/{draft['id']}", json=second, headers=auth("qc")
    )
    assert refused.status_code == 409 and refused.json()["code"] == "document_not_draft"
    assert await _balances(wired, item) == {(location, "pending_inspection"): D(100)}

    posted = await wired.stock.post("/v1/inspections", json=second, headers=auth("qc"))
    assert posted.status_code == 201 and posted.json()["status"] == "posted"  # no "draft"
    assert posted.json()["created_at"] and posted.json()["cancelled_at"] is None
    reversed_ = await wired.stock.post(
        f"/v1/inspections/{posted.json()['id']}/reverse", headers=auth("qc")
    )
    assert reversed_.status_code == 200, reversed_.text
    again = await wired.stock.post(
        f"/v1/inspections/{posted.json()['id']}/reverse", headers=auth("qc")
    )
    assert again.status_code == 409 and again.json()["code"] == "document_reversed"
    assert await _balances(wired, item) == {(location, "pending_inspection"): D(100)}
    for path in ("/post", "/cancel"):
        missing = await wired.stock.post(f"/v1/inspections/999999{path}", headers=auth("qc"))
        assert missing.status_code == 404
    types = [e["type"] for e in await events_of(wired, "InspectionCancelled")]
    assert types == ["InspectionCancelled"]


async def test_concurrent_posts_of_one_draft_inspection_post_once(wired: Slice) -> None:
    item, location, lot = await _received(wired, "100")
    draft = await draft_of(wired, inspection(item, location, lot, "30", "0"))
    results = await asyncio.gather(
        *(
            wired.stock.post(f"/v1/inspections/{draft['id']}/post", headers=auth("qc"))
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    assert await _balances(wired, item) == {
        (location, "pending_inspection"): D(70),
        (location, "qualified"): D(30),
    }


async def test_a_serial_draft_finds_each_units_lot_when_posted(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="serial"), await make_location(wired)
    good, bad = code("SN"), code("SN")
    received: dict[str, Any] = {
        "item_code": item,
        "location_code": location,
        "quantity": "2",
        "serial_numbers": [good, bad],
        "lot_number": "B1",
    }
    assert (await wired.stock.post("/v1/receipts", json=received)).status_code == 201
    body = inspection(
        item,
        location,
        None,
        "1",
        "1",
        accepted_serial_numbers=[good],
        rejected_serial_numbers=[bad],
    )
    draft = await draft_of(wired, body)
    assert draft["lot"] is None and draft["accepted_serial_numbers"] == [good]
    posted = await wired.stock.post(f"/v1/inspections/{draft['id']}/post", headers=auth("qc"))
    assert posted.status_code == 200, posted.text
    assert [
        (m["serial_number"], m["lot_number"], m["to_state"]) for m in posted.json()["movements"]
    ] == [
        (good, "B1", "qualified"),
        (bad, "B1", "defective"),
    ]
    units = (await wired.stock.get("/v1/serials", params={"item_code": item})).json()["items"]
    assert {u["serial_number"]: u["quality_state"] for u in units} == {
        good: "qualified",
        bad: "defective",
    }
