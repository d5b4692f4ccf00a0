"""Serial-tracked units: one per serial, never received twice, their status and history."""

from __future__ import annotations

from decimal import Decimal

from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location

D = Decimal


async def receive(s: Slice, item: str, location: str, serials: list[str], **extra):
    body = {
        "item_code": item,
        "location_code": location,
        "quantity": str(len(serials)),
        "serial_numbers": serials,
        "unit_price": "10",
        **extra,
    }
    return await s.stock.post("/v1/receipts", json=body)


async def serials_of(s: Slice, item: str, **params) -> dict[str, dict]:
    body = (await s.stock.get("/v1/serials", params={"item_code": item, **params})).json()
    return {row["serial_number"]: row for row in body["items"]}


async def test_a_receipt_moves_one_unit_per_serial(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="serial"), await make_location(wired)
    serials = [code("SN") for _ in range(3)]
    posted = await receive(wired, item, location, serials, lot_number="B1")
    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert body["serial_numbers"] == serials
    assert [(m["serial_number"], m["quantity"]) for m in body["movements"]] == [
        (s, "1") for s in serials
    ]
    balances = (await wired.stock.get("/v1/balances", params={"item_code": item})).json()
    assert sorted(
        (b["serial_number"], b["quantity"], b["lot_number"]) for b in balances["items"]
    ) == [(s, "1", "B1") for s in sorted(serials)]
    found = await serials_of(wired, item)
    assert {
        s: (r["status"], r["location_code"], r["quality_state"], r["lot_number"])
        for s, r in found.items()
    } == {s: ("in_stock", location, "pending_inspection", "B1") for s in serials}
    detail = (await wired.stock.get(f"/v1/serials/{found[serials[0]]['id']}")).json()
    assert [m["document_type"] for m in detail["history"]] == ["purchase_receipt"]
    assert (
        await wired.stock.get("/v1/serials", params={"status": "shipped", "item_code": item})
    ).json()["items"] == []
    # the overview counts serials like any other unit
    overview = (await wired.stock.get("/v1/stock-overview", params={"item_code": item})).json()
    assert overview["total"] == "3"
    assert D(overview["total_value"]) == D(30)


async def test_a_serial_cannot_be_received_twice(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="serial"), await make_location(wired)
    first, second = code("SN"), code("SN")
    assert (await receive(wired, item, location, [first])).status_code == 201
    again = await receive(wired, item, location, [second, first])
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "serial_conflict"
    assert first in again.json()["detail"]
    assert set(await serials_of(wired, item)) == {first}  # nothing of the refused receipt
    elsewhere = await receive(wired, item, await make_location(wired), [first])
    assert elsewhere.status_code == 409


async def test_serial_lines_are_checked(wired: Slice) -> None:
    item, plain = await make_item(wired, tracking="serial"), await make_item(wired, "none")
    location = await make_location(wired)
    missing = await wired.stock.post(
        "/v1/receipts", json={"item_code": item, "location_code": location, "quantity": "2"}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.serial_numbers"
    wrong = await wired.stock.post(
        "/v1/receipts",
        json={
            "item_code": item,
            "location_code": location,
            "quantity": "3",
            "serial_numbers": ["A1", "A1"],
        },
    )
    assert [e["message"] for e in wrong.json()["errors"]] == [
        "2 serial number(s) for a quantity of 3",
        "named more than once: A1",
    ]
    refused = await receive(wired, plain, location, ["X1"])
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["message"] == f"item {plain} is not serial-tracked"
    assert (await wired.stock.get("/v1/balances", params={"item_code": item})).json()["items"] == []


async def test_a_receipt_in_reels_is_booked_in_pieces(wired: Slice) -> None:
    """Not serials, but the same receipt path: quantities entered in another unit."""
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    item_id = (await wired.catalog.get(f"/v1/items/by-code/{item}")).json()["id"]
    put = await wired.catalog.put(
        f"/v1/items/{item_id}/unit-conversions", json=[{"uom": "reel", "factor": "5000"}]
    )
    assert put.status_code == 200, put.text
    body = {"item_code": item, "location_code": location, "quantity": "2", "uom": "reel"}
    posted = await wired.stock.post("/v1/receipts", json=body)
    assert posted.status_code == 201, posted.text
    out = posted.json()
    assert (out["quantity"], out["uom"], out["entered_quantity"], out["entered_uom"]) == (
        "10000",
        "pcs",
        "2",
        "reel",
    )
    assert out["movements"][0]["quantity"] == "10000"
    half = await wired.stock.post("/v1/receipts", json={**body, "quantity": "0.00001"})
    assert half.status_code == 422, half.text
    assert half.json()["errors"][0]["field"] == "body.quantity"  # 0.05 pcs: not a whole piece
    unknown = await wired.stock.post("/v1/receipts", json={**body, "uom": "kg"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.uom"
    balances = (await wired.stock.get("/v1/balances", params={"item_code": item})).json()
    assert [b["quantity"] for b in balances["items"]] == ["10000"]
