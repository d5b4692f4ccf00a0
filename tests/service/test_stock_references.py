"""Movements carry their document's references (purchase, work and sales order, supplier,
customer): on the ledger, on the event feed, through reversals, and as ledger filters."""

from __future__ import annotations

from typing import Any

from tests.conftest import auth
from tests.service import test_thin_slice_inprocess as base
from tests.service.test_thin_slice_inprocess import Slice, code, make_item

wired = base.wired  # the fixture

QC = auth("qc")


async def place(s: Slice, location_type: str) -> str:
    location = code(f"WH1/{location_type[:4].upper()}")
    body = {"code": location, "name": location, "location_type": location_type}
    response = await s.stock.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return location


async def post(s: Slice, path: str, body: dict[str, Any] | None = None, **kw: Any) -> dict:
    response = await s.stock.post(path, json=body, **kw)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def movements(s: Slice, **params: str) -> list[tuple[str, str, str]]:
    page = (await s.stock.get("/v1/movements", params={**params, "limit": 500})).json()
    assert page["next_cursor"] is None
    return [(m["document_type"], m["item_code"], m["quantity"]) for m in page["items"]]


async def test_every_movement_carries_its_documents_references(wired: Slice) -> None:
    s = wired
    part = await make_item(s, tracking="none")
    speaker = await make_item(s, tracking="none", item_type="finished_good")
    store, line, fg = (
        await place(s, "storage"),
        await place(s, "production_line"),
        await place(s, "finished_goods"),
    )
    po, wo, so = code("PO"), code("WO"), code("SO")
    receipt = await post(
        s,
        "/v1/receipts",
        {
            "item_code": part,
            "location_code": store,
            "quantity": "100",
            "supplier": "Yageo",
            "purchase_order": po,
            "unit_price": "0.5",
        },
    )
    (received,) = receipt["movements"]
    assert (received["purchase_order"], received["supplier"]) == (po, "Yageo")
    assert (received["work_order"], received["sales_order"], received["customer"]) == ("", "", "")
    await post(
        s,
        "/v1/inspections",
        {
            "item_code": part,
            "location_code": store,
            "accepted_quantity": "100",
            "rejected_quantity": "0",
            "sample_size": 5,
            "inspector": "QC Li",
        },
        headers=QC,
    )
    requisition = await post(
        s,
        "/v1/requisitions",
        {
            "work_order": wo,
            "to_location_code": line,
            "lines": [{"item_code": part, "quantity": "20"}],
        },
    )
    await post(s, f"/v1/requisitions/{requisition['id']}/submit")
    issued = await post(s, f"/v1/requisitions/{requisition['id']}/post")
    assert {m["work_order"] for m in issued["movements"]} == {wo}
    completed = await post(
        s,
        "/v1/production-receipts",
        {
            "work_order": wo,
            "to_location_code": fg,
            "wip_location_code": line,
            "outputs": [{"item_code": speaker, "quantity": "2", "quality_state": "qualified"}],
            "components": [{"item_code": part, "quantity": "20"}],
        },
    )
    assert {m["work_order"] for m in completed["movements"]} == {wo}
    shipment = await post(
        s,
        "/v1/shipments",
        {
            "sales_order": so,
            "customer": "ACME Robotics",
            "from_location_code": fg,
            "lines": [{"item_code": speaker, "quantity": "1"}],
        },
    )
    (shipped,) = shipment["movements"]
    assert (shipped["sales_order"], shipped["customer"], shipped["work_order"]) == (
        so,
        "ACME Robotics",
        "",
    )
    returned = await post(
        s,
        "/v1/supplier-returns",
        {
            "location_code": store,
            "counterparty": "Yageo",
            "lines": [{"item_code": part, "quantity": "5", "quality_state": "qualified"}],
        },
    )
    assert returned["movements"][0]["supplier"] == "Yageo"

    # the ledger answers by reference, without reading the documents
    assert await movements(s, work_order=wo) == [
        ("requisition", part, "20"),
        ("production_receipt", part, "20"),  # components first, then the output
        ("production_receipt", speaker, "2"),
    ]
    assert await movements(s, purchase_order=po) == [("purchase_receipt", part, "100")]
    assert await movements(s, sales_order=so) == [("shipment", speaker, "1")]
    assert await movements(s, customer="ACME Robotics") == [("shipment", speaker, "1")]
    assert await movements(s, supplier="Yageo") == [
        ("purchase_receipt", part, "100"),
        ("supplier_return", part, "5"),
    ]
    assert await movements(s, work_order=code("WO")) == []

    # a reversal refers to what the document referred to
    reversed_ = await post(s, f"/v1/shipments/{shipment['id']}/reverse")
    back = [m for m in reversed_["movements"] if m["reversal_of_id"] is not None]
    assert [(m["sales_order"], m["customer"]) for m in back] == [(so, "ACME Robotics")]
    assert len(await movements(s, sales_order=so)) == 2

    # the feed carries them for trace, MRP and the ERP connector
    feed = (await s.stock.get("/v1/events", params={"limit": 500})).json()["events"]
    posted = [e["payload"] for e in feed if e["type"] == "MovementPosted"]
    assert {p["work_order"] for p in posted if p["document_type"] == "requisition"} == {wo}

    empty = await s.stock.get("/v1/movements", params={"work_order": ""})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "query.work_order"


async def test_an_inspection_refers_to_the_purchase_of_its_lot(wired: Slice) -> None:
    s = wired
    part, store, lot, po = (
        await make_item(s, tracking="lot"),
        await place(s, "storage"),
        code("L"),
        code("PO"),
    )
    body = {
        "item_code": part,
        "location_code": store,
        "lot_number": lot,
        "quantity": "10",
        "supplier": "Murata",
        "purchase_order": po,
    }
    await post(s, "/v1/receipts", body)
    inspected = await post(
        s,
        "/v1/inspections",
        {
            "item_code": part,
            "lot_number": lot,
            "location_code": store,
            "accepted_quantity": "8",
            "rejected_quantity": "2",
            "sample_size": 2,
            "inspector": "QC Li",
        },
        headers=QC,
    )
    assert {(m["purchase_order"], m["supplier"]) for m in inspected["movements"]} == {
        (po, "Murata")
    }
    assert len(await movements(s, purchase_order=po)) == 3  # received, accepted, rejected
