"""Quality inspections: pending stock becomes qualified or defective, and can be reversed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import (
    Slice,
    code,
    make_item,
    make_location,
    receipt,
)


async def _received(s: Slice, quantity: str = "5000") -> tuple[str, str, str]:
    item, location, lot = await make_item(s), await make_location(s), code("L")
    posted = await s.stock.post("/v1/receipts", json=receipt(item, location, lot, quantity))
    assert posted.status_code == 201, posted.text
    return item, location, lot


async def _balances(s: Slice, item: str) -> dict[tuple[str, str], Decimal]:
    rows = (await s.stock.get("/v1/balances", params={"item_code": item})).json()["items"]
    return {(b["location_code"], b["quality_state"]): Decimal(b["quantity"]) for b in rows}


def inspection(item: str, location: str, lot: str | None, accepted: str, rejected: str, **kw):
    return {
        "item_code": item,
        "lot_number": lot,
        "location_code": location,
        "accepted_quantity": accepted,
        "rejected_quantity": rejected,
        "sample_size": 80,
        "inspector": "QC Wang",
        **kw,
    }


async def test_partial_inspection_splits_pending_stock(wired: Slice) -> None:
    item, location, lot = await _received(wired)
    quarantine = await make_location(wired)
    body = inspection(
        item,
        location,
        lot,
        "4800",
        "100",
        rejected_location_code=quarantine,
        defects=[{"code": "BENT-LEAD", "description": "bent leads", "quantity": 3}],
    )
    posted = await wired.stock.post("/v1/inspections", json=body, headers=auth("qc"))
    assert posted.status_code == 201, posted.text
    doc = posted.json()
    assert doc["number"].startswith("QC-") and doc["result"] == "partial"
    assert doc["defects"] == [{"code": "BENT-LEAD", "description": "bent leads", "quantity": 3}]
    assert [(m["from_state"], m["to_state"], m["to_location"]) for m in doc["movements"]] == [
        ("pending_inspection", "qualified", location),
        ("pending_inspection", "defective", quarantine),
    ]
    assert await _balances(wired, item) == {
        (location, "pending_inspection"): Decimal(100),
        (location, "qualified"): Decimal(4800),
        (quarantine, "defective"): Decimal(100),
    }
    # The rest is inspected later; the records list both.
    rest = await wired.stock.post(
        "/v1/inspections", json=inspection(item, location, lot, "100", "0"), headers=auth("qc")
    )
    assert rest.status_code == 201 and rest.json()["result"] == "accepted"
    listed = (await wired.stock.get("/v1/inspections", params={"lot_number": lot})).json()
    assert [d["result"] for d in listed["items"]] == ["partial", "accepted"]


async def test_cannot_inspect_more_than_is_pending(wired: Slice) -> None:
    item, location, lot = await _received(wired, "100")
    too_much = await wired.stock.post(
        "/v1/inspections", json=inspection(item, location, lot, "90", "20"), headers=auth("qc")
    )
    assert too_much.status_code == 409 and too_much.json()["code"] == "insufficient_stock"
    problem = too_much.json()
    assert (problem["available"], problem["needed"], problem["lot_number"]) == ("100", "110", lot)
    assert problem["item_code"] == item and problem["location_code"] == location
    assert await _balances(wired, item) == {(location, "pending_inspection"): Decimal(100)}
    events = (await wired.stock.get("/v1/events")).json()["events"]
    assert "InspectionPosted" not in {e["type"] for e in events}


async def test_bad_inspection_names_every_field(wired: Slice) -> None:
    item, location, lot = await _received(wired, "100")
    bad = await wired.stock.post(
        "/v1/inspections",
        json=inspection(
            item, "NO-SUCH", "NO-LOT", "1", "0", rejected_location_code="VIRTUAL/SUPPLIER"
        ),
        headers=auth("qc"),
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {
        "body.location_code",
        "body.accepted_location_code",
        "body.rejected_location_code",
        "body.lot_number",
    }
    shape = await wired.stock.post(
        "/v1/inspections", json=inspection(item, location, lot, "0", "0"), headers=auth("qc")
    )
    assert shape.status_code == 422
    warehouse_only = await wired.stock.post(
        "/v1/inspections",
        json=inspection(item, location, lot, "1", "0"),
        headers=auth("warehouse"),
    )
    assert warehouse_only.status_code == 403


async def test_reversal_returns_stock_to_pending_once(wired: Slice) -> None:
    item, location, lot = await _received(wired, "100")
    doc = (
        await wired.stock.post(
            "/v1/inspections",
            json=inspection(item, location, lot, "70", "30"),
            headers=auth("qc"),
        )
    ).json()
    reversed_ = await wired.stock.post(f"/v1/inspections/{doc['id']}/reverse", headers=auth("qc"))
    assert reversed_.status_code == 200, reversed_.text
    body = reversed_.json()
    assert body["status"] == "reversed" and body["reversed_by"]
    originals = {m["id"] for m in body["movements"] if m["reversal_of_id"] is None}
    assert {m["reversal_of_id"] for m in body["movements"]} - {None} == originals
    assert await _balances(wired, item) == {(location, "pending_inspection"): Decimal(100)}
    again = await wired.stock.post(f"/v1/inspections/{doc['id']}/reverse", headers=auth("qc"))
    assert again.status_code == 409 and again.json()["code"] == "document_reversed"


async def test_concurrent_inspections_never_overdraw(wired: Slice) -> None:
    item, location, lot = await _received(wired, "10")
    results = await asyncio.gather(
        *(
            wired.stock.post(
                "/v1/inspections",
                json=inspection(item, location, lot, "1", "0"),
                headers=auth("qc"),
            )
            for _ in range(14)
        )
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(201) == 10 and statuses.count(409) == 4, statuses
    assert await _balances(wired, item) == {(location, "qualified"): Decimal(10)}
