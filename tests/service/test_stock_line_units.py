"""Requisition and transfer lines in another unit (reels): converted to the stock unit by
the catalog's rules, the entered quantity kept, a unit that does not convert refused."""

from __future__ import annotations

from typing import Any

from tests.conftest import auth
from tests.service import test_thin_slice_inprocess as base
from tests.service.test_thin_slice_inprocess import Slice, code, make_item

wired = base.wired  # the fixture


async def place(s: Slice, location_type: str) -> str:
    location = code("WH1/U")
    body = {"code": location, "name": location, "location_type": location_type}
    response = await s.stock.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return location


async def ok(response: Any) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def reel_item(s: Slice) -> str:
    """An untracked resistor in pcs; a reel is 5,000."""
    item = await make_item(s, tracking="none")
    item_id = (await s.catalog.get(f"/v1/items/by-code/{item}")).json()["id"]
    conversions = f"/v1/items/{item_id}/unit-conversions"
    await ok(await s.catalog.put(conversions, json=[{"uom": "reel", "factor": "5000"}]))
    return item


async def test_issue_and_move_in_reels(wired: Slice) -> None:
    s = wired
    item = await reel_item(s)
    store, other, line = (
        await place(s, "storage"),
        await place(s, "storage"),
        await place(s, "production_line"),
    )
    await ok(
        await s.stock.post(
            "/v1/receipts",
            json={"item_code": item, "location_code": store, "quantity": "4", "uom": "reel"},
        )
    )
    await ok(
        await s.stock.post(
            "/v1/inspections",
            json={
                "item_code": item,
                "location_code": store,
                "accepted_quantity": "20000",
                "rejected_quantity": "0",
                "sample_size": 5,
                "inspector": "QC",
            },
            headers=auth("qc"),
        )
    )
    moved = await ok(
        await s.stock.post(
            "/v1/transfers",
            json={
                "from_location_code": store,
                "to_location_code": other,
                "lines": [{"item_code": item, "quantity": "1", "uom": "reel"}],
            },
        )
    )
    (line_out,) = moved["lines"]
    assert (line_out["quantity"], line_out["entered_quantity"], line_out["entered_uom"]) == (
        "5000",
        "1",
        "reel",
    )
    assert [m["quantity"] for m in moved["movements"]] == ["5000"]

    created = await ok(
        await s.stock.post(
            "/v1/requisitions",
            json={
                "work_order": code("WO"),
                "to_location_code": line,
                "from_location_code": store,
                "lines": [{"item_code": item, "quantity": "2", "uom": "reel"}],
            },
        )
    )
    (requested,) = created["lines"]
    assert (requested["quantity"], requested["entered_quantity"], requested["entered_uom"]) == (
        "10000",
        "2",
        "reel",
    )
    await ok(await s.stock.post(f"/v1/requisitions/{created['id']}/submit"))
    issued = await ok(await s.stock.post(f"/v1/requisitions/{created['id']}/post"))
    assert [m["quantity"] for m in issued["movements"]] == ["10000"]

    # a draft keeps what was entered and converts when it posts
    draft = await ok(
        await s.stock.post(
            "/v1/transfers",
            json={
                "from_location_code": store,
                "to_location_code": other,
                "draft": True,
                "lines": [{"item_code": item, "quantity": "1", "uom": "reel"}],
            },
        )
    )
    assert draft["draft_request"]["lines"][0]["uom"] == "reel"
    posted = await ok(await s.stock.post(f"/v1/transfers/{draft['id']}/post"))
    assert [m["quantity"] for m in posted["movements"]] == ["5000"]


async def test_a_unit_that_does_not_convert_is_named(wired: Slice) -> None:
    s = wired
    item = await reel_item(s)
    store, line = await place(s, "storage"), await place(s, "production_line")
    before = (await s.stock.get("/v1/movements", params={"limit": 500})).json()["items"]
    response = await s.stock.post(
        "/v1/transfers",
        json={
            "from_location_code": store,
            "to_location_code": line,
            "lines": [
                {"item_code": item, "quantity": "1", "uom": "reel"},
                {"item_code": item, "quantity": "1", "uom": "pallet"},
                {"item_code": item, "quantity": "0.00001", "uom": "reel"},
            ],
        },
    )
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert "body.lines.1.uom" in fields and "body.lines.2.quantity" in fields
    response = await s.stock.post(
        "/v1/requisitions",
        json={
            "work_order": code("WO"),
            "to_location_code": line,
            "lines": [{"item_code": item, "quantity": "1", "uom": "pallet"}],
        },
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["body.lines.0.uom"]
    assert (await s.stock.get("/v1/movements", params={"limit": 500})).json()["items"] == before
