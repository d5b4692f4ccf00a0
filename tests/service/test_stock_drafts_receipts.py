"""Draft purchase receipts (saved, replaced, posted later, cancelled), receipt reversal and
the receipt list, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location

D = Decimal


def receipt(item: str, location: str, qty: str, lot: str | None = None, **extra: Any) -> dict:
    body: dict[str, Any] = {
        "item_code": item,
        "location_code": location,
        "quantity": qty,
        "supplier": "Yageo",
        **extra,
    }
    if lot is not None:
        body["lot_number"] = lot
    return body


async def balances(w: Slice, item: str) -> set[tuple[str, str, str | None, str, Decimal]]:
    """Every non-zero balance of `item` as (item, location, lot, state, quantity)."""
    page = (await w.stock.get("/v1/balances", params={"item_code": item, "limit": 500})).json()
    return {
        (b["item_code"], b["location_code"], b["lot_number"], b["quality_state"], D(b["quantity"]))
        for b in page["items"]
    }


async def events_of(w: Slice, *types: str) -> list[dict]:
    feed = (await w.stock.get("/v1/events", params={"limit": 500})).json()["events"]
    return [e for e in feed if e["type"] in types]


async def post(w: Slice, body: dict, **kw: Any) -> dict:
    response = await w.stock.post("/v1/receipts", json=body, **kw)
    assert response.status_code == 201, response.text
    return response.json()


async def lots_of(w: Slice, item: str) -> list[str]:
    page = (await w.stock.get("/v1/lots", params={"item_code": item})).json()
    return [lot["lot_number"] for lot in page["items"]]


async def worth(w: Slice, item: str) -> tuple[D, D, D]:
    response = await w.stock.get(
        "/v1/valuation", params={"item_code": item, "include_empty": "true"}
    )
    assert response.status_code == 200, response.text
    (row,) = response.json()["items"]
    return D(row["quantity"]), D(row["value"]), D(row["average_cost"])


async def listed(w: Slice, **params: Any) -> list[dict]:
    """Every receipt the list gives for `params`, following the cursor."""
    found: list[dict] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await w.stock.get("/v1/receipts", params=query)
        assert response.status_code == 200, response.text
        found += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found


# --- drafts ----------------------------------------------------------------------------------


async def test_a_draft_receipt_receives_nothing_and_creates_no_lot_until_posted(
    wired: Slice,
) -> None:
    item, location, lot = await make_item(wired), await make_location(wired), code("L")
    body = receipt(
        item, location, "5000", lot, supplier_lot="YG-7", purchase_order="PO-9", unit_price="0.0021"
    )
    draft = await post(wired, {**body, "draft": True})
    assert draft["number"].startswith("GR-") and draft["status"] == "draft"
    assert draft["lot"] is None and draft["movements"] == [] and draft["serial_numbers"] == []
    assert draft["posted_at"] is None and draft["posted_by"] is None and draft["created_by"]
    assert draft["quantity"] == "5000" and draft["purchase_order"] == "PO-9"
    request = draft["draft_request"]
    assert (request["lot_number"], request["supplier_lot"], request["quantity"]) == (
        lot,
        "YG-7",
        "5000",
    )
    assert await balances(wired, item) == set()
    assert await lots_of(wired, item) == []
    assert (await wired.stock.get(f"/v1/receipts/{draft['id']}")).json() == draft
    # the price a draft will post at is finance's to read, as on the posted receipt
    assert draft["draft_request"]["unit_price"] == "0.0021"
    seen = await wired.stock.get(f"/v1/receipts/{draft['id']}", headers=auth("warehouse"))
    assert "unit_price" not in seen.json()["draft_request"]
    assert seen.json()["draft_request"]["lot_number"] == lot

    key = {"Idempotency-Key": str(uuid.uuid4())}
    posted = await wired.stock.post(f"/v1/receipts/{draft['id']}/post", headers=key)
    assert posted.status_code == 200, posted.text
    doc = posted.json()
    assert (doc["id"], doc["number"], doc["status"]) == (draft["id"], draft["number"], "posted")
    assert doc["draft_request"] is None and doc["posted_at"] and doc["posted_by"]
    assert doc["created_at"] == draft["created_at"]
    assert (doc["lot"]["lot_number"], doc["lot"]["supplier_lot"]) == (lot, "YG-7")
    assert [(m["from_location"], m["to_location"], m["quantity"]) for m in doc["movements"]] == [
        ("VIRTUAL/SUPPLIER", location, "5000")
    ]
    assert await balances(wired, item) == {(item, location, lot, "pending_inspection", D(5000))}
    assert await lots_of(wired, item) == [lot]
    again = await wired.stock.post(f"/v1/receipts/{draft['id']}/post")
    assert again.status_code == 409 and again.json()["code"] == "document_not_draft"
    assert await balances(wired, item) == {(item, location, lot, "pending_inspection", D(5000))}
    types = [
        e["type"]
        for e in await events_of(wired, "ReceiptDrafted", "LotCreated", "ReceiptPosted")
        if e["type"] == "LotCreated" or e["aggregate_id"] == str(draft["id"])
    ]
    assert types == ["ReceiptDrafted", "LotCreated", "ReceiptPosted"]


async def test_a_retried_post_of_a_draft_receipt_replays_its_response(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    draft = await post(wired, {**receipt(item, location, "5"), "draft": True})
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await wired.stock.post(f"/v1/receipts/{draft['id']}/post", headers=key)
    assert first.status_code == 200, first.text
    replayed = await wired.stock.post(f"/v1/receipts/{draft['id']}/post", headers=key)
    assert replayed.status_code == 200, replayed.text
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == first.json()


async def test_a_draft_is_checked_when_saved_but_received_only_when_posted(
    wired: Slice,
) -> None:
    item, location = await make_item(wired), await make_location(wired)
    bad = await wired.stock.post(
        "/v1/receipts", json={**receipt(item, "NO/SUCH", "10"), "draft": True}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "body.location_code",
        "body.lot_number",  # lot-tracked: a lot number is required
    }
    unknown = await wired.stock.post(
        "/v1/receipts", json={**receipt("NOPE", location, "10"), "draft": True}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.item_code"

    # a lot that exists already must come from the same supplier, as when posting
    lot = code("L")
    await post(wired, receipt(item, location, "10", lot))
    other = {**receipt(item, location, "10", lot, supplier="Murata"), "draft": True}
    conflict = await wired.stock.post("/v1/receipts", json=other)
    assert conflict.status_code == 409 and conflict.json()["code"] == "lot_conflict"
    assert await listed(wired, item_code=item, status="draft") == []

    # the posting date is checked when the draft posts, not when it is saved
    future = {**receipt(item, location, "3", lot), "posted_at": "2099-01-01T00:00:00Z"}
    draft = await post(wired, {**future, "draft": True})
    refused = await wired.stock.post(f"/v1/receipts/{draft['id']}/post")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.posted_at"
    still = (await wired.stock.get(f"/v1/receipts/{draft['id']}")).json()
    assert still["status"] == "draft" and still["movements"] == []
    posted = await wired.stock.post(
        f"/v1/receipts/{draft['id']}/post", json={"posted_at": "2020-01-01T00:00:00Z"}
    )
    assert posted.status_code == 200, posted.text
    assert posted.json()["posted_at"].startswith("2020-01-01")


async def test_replace_post_and_cancel_a_draft_receipt(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    draft = await post(wired, {**receipt(item, location, "10", note="first"), "draft": True})
    second = receipt(item, location, "25", supplier="Murata", purchase_order="PO-2")
    replaced = await wired.stock.put(f"/v1/receipts/{draft['id']}", json=second)
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert (body["status"], body["quantity"], body["supplier"], body["note"]) == (
        "draft",
        "25",
        "Murata",
        "",
    )
    assert body["draft_request"]["purchase_order"] == "PO-2"
    assert await balances(wired, item) == set()
    posted = await wired.stock.post(f"/v1/receipts/{draft['id']}/post", json={})
    assert posted.status_code == 200, posted.text
    assert [m["quantity"] for m in posted.json()["movements"]] == ["25"]
    assert await balances(wired, item) == {(item, location, None, "pending_inspection", D(25))}
    for verb, path in (("put", ""), ("post", "/cancel"), ("post", "/post")):
        refused = await getattr(wired.stock, verb)(
            f"/v1/receipts/{draft['id']}{path}", **({"json": second} if verb == "put" else {})
        )
        assert refused.status_code == 409, (verb, path)
        assert refused.json()["code"] == "document_not_draft"

    later = await post(wired, {**receipt(item, location, "7"), "draft": True})
    cancelled = await wired.stock.post(f"/v1/receipts/{later['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelled_by"]
    assert cancelled.json()["posted_at"] is None
    post_cancelled = await wired.stock.post(f"/v1/receipts/{later['id']}/post")
    assert post_cancelled.json()["code"] == "document_not_draft"
    reverse_cancelled = await wired.stock.post(f"/v1/receipts/{later['id']}/reverse")
    assert reverse_cancelled.status_code == 409
    assert reverse_cancelled.json()["code"] == "document_not_posted"
    unposted = await post(wired, {**receipt(item, location, "7"), "draft": True})
    reverse_draft = await wired.stock.post(f"/v1/receipts/{unposted['id']}/reverse")
    assert reverse_draft.status_code == 409
    assert reverse_draft.json()["code"] == "document_not_posted"
    assert await balances(wired, item) == {(item, location, None, "pending_inspection", D(25))}
    assert (await wired.stock.post("/v1/receipts/999999/post")).status_code == 404
    assert (await wired.stock.post("/v1/receipts/999999/cancel")).status_code == 404
    types = [e["type"] for e in await events_of(wired, "ReceiptDrafted", "ReceiptCancelled")]
    assert types == [  # saved, replaced, the later one saved, cancelled, the last one saved
        "ReceiptDrafted",
        "ReceiptDrafted",
        "ReceiptDrafted",
        "ReceiptCancelled",
        "ReceiptDrafted",
    ]
    qc_only = await wired.stock.post(f"/v1/receipts/{unposted['id']}/post", headers=auth("qc"))
    assert qc_only.status_code == 403


async def test_concurrent_posts_of_one_draft_receipt_post_once(wired: Slice) -> None:
    item, location = await make_item(wired), await make_location(wired)
    lot = code("L")
    draft = await post(wired, {**receipt(item, location, "40", lot), "draft": True})
    results = await asyncio.gather(
        *(wired.stock.post(f"/v1/receipts/{draft['id']}/post") for _ in range(4))
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"document_not_draft"}
    assert await balances(wired, item) == {(item, location, lot, "pending_inspection", D(40))}
    movements = (await wired.stock.get("/v1/movements", params={"item_code": item})).json()
    assert len(movements["items"]) == 1


async def test_a_draft_in_reels_is_converted_when_it_posts(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    item_id = (await wired.catalog.get(f"/v1/items/by-code/{item}")).json()["id"]
    conversions = f"/v1/items/{item_id}/unit-conversions"
    put = await wired.catalog.put(conversions, json=[{"uom": "reel", "factor": "5000"}])
    assert put.status_code == 200, put.text
    body = {**receipt(item, location, "2", uom="reel"), "draft": True}
    draft = await post(wired, body)
    assert (draft["quantity"], draft["uom"], draft["entered_quantity"], draft["entered_uom"]) == (
        "10000",
        "pcs",
        "2",
        "reel",
    )
    # the draft keeps the request as sent: 2 reels, not 10000
    assert (draft["draft_request"]["quantity"], draft["draft_request"]["uom"]) == ("2", "reel")
    not_whole = await wired.stock.post("/v1/receipts", json={**body, "quantity": "0.00001"})
    assert not_whole.status_code == 422
    assert not_whole.json()["errors"][0]["field"] == "body.quantity"

    # the reel changes before the draft posts: posting converts the 2 reels again
    put = await wired.catalog.put(conversions, json=[{"uom": "reel", "factor": "4000"}])
    assert put.status_code == 200, put.text
    posted = await wired.stock.post(f"/v1/receipts/{draft['id']}/post")
    assert posted.status_code == 200, posted.text
    doc = posted.json()
    assert (doc["quantity"], doc["entered_quantity"], doc["entered_uom"]) == ("8000", "2", "reel")
    assert [m["quantity"] for m in doc["movements"]] == ["8000"]
    assert await balances(wired, item) == {(item, location, None, "pending_inspection", D(8000))}


# --- reversal --------------------------------------------------------------------------------


async def test_reversal_takes_the_receipt_back_at_its_value_once(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    await post(wired, receipt(item, location, "100", unit_price="5"))
    second = await post(wired, receipt(item, location, "100", unit_price="10"))
    assert await worth(wired, item) == (D(200), D(1500), D("7.5"))

    forbidden = await wired.stock.post(f"/v1/receipts/{second['id']}/reverse", headers=auth("qc"))
    assert forbidden.status_code == 403
    key = {"Idempotency-Key": str(uuid.uuid4()), **auth("warehouse")}
    reversed_ = await wired.stock.post(f"/v1/receipts/{second['id']}/reverse", headers=key)
    assert reversed_.status_code == 200, reversed_.text
    doc = reversed_.json()
    assert doc["status"] == "reversed" and doc["reversed_at"] and doc["reversed_by"]
    assert "unit_price" not in doc  # the warehouse sees no prices
    (original, reversal) = doc["movements"]
    assert reversal["reversal_of_id"] == original["id"]
    assert (reversal["from_location"], reversal["to_location"], reversal["quantity"]) == (
        location,
        "VIRTUAL/SUPPLIER",
        "100",
    )
    assert await balances(wired, item) == {(item, location, None, "pending_inspection", D(100))}
    assert await worth(wired, item) == (D(100), D(500), D(5))
    replayed = await wired.stock.post(f"/v1/receipts/{second['id']}/reverse", headers=key)
    assert replayed.status_code == 200 and replayed.headers["Idempotent-Replayed"] == "true"
    again = await wired.stock.post(f"/v1/receipts/{second['id']}/reverse")
    assert again.status_code == 409 and again.json()["code"] == "document_reversed"
    assert await worth(wired, item) == (D(100), D(500), D(5))
    reread = (await wired.stock.get(f"/v1/receipts/{second['id']}")).json()
    assert reread["status"] == "reversed" and len(reread["movements"]) == 2
    assert abs(D(reread["movements"][1]["value"])) == D(1000)

    events = await events_of(wired, "ReceiptReversed")
    assert [e["aggregate_id"] for e in events] == [str(second["id"])]
    audit = (
        await wired.stock.get(
            "/v1/audit", params={"entity_type": "receipt", "entity_id": str(second["id"])}
        )
    ).json()["items"]
    assert [a["action"] for a in audit] == ["reverse", "post"]
    assert audit[0]["before"]["status"] == "posted" and audit[0]["after"]["status"] == "reversed"
    assert (await wired.stock.post("/v1/receipts/999999/reverse")).status_code == 404


async def test_reversal_is_refused_once_the_stock_moved_on(wired: Slice) -> None:
    item, location, lot = await make_item(wired), await make_location(wired), code("L")
    doc = await post(wired, receipt(item, location, "100", lot))
    inspection = {
        "item_code": item,
        "lot_number": lot,
        "location_code": location,
        "accepted_quantity": "60",
        "rejected_quantity": "0",
        "sample_size": 5,
        "inspector": "QC Wang",
    }
    inspected = await wired.stock.post("/v1/inspections", json=inspection, headers=auth("qc"))
    assert inspected.status_code == 201, inspected.text
    before = await balances(wired, item)
    refused = await wired.stock.post(f"/v1/receipts/{doc['id']}/reverse")
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "insufficient_stock"
    assert doc["number"] in problem["detail"] and "moved on" in problem["detail"]
    assert (problem["item_code"], problem["location_code"], problem["lot_number"]) == (
        item,
        location,
        lot,
    )
    assert (problem["quality_state"], problem["available"], problem["needed"]) == (
        "pending_inspection",
        "40",
        "100",
    )
    assert await balances(wired, item) == before
    assert (await wired.stock.get(f"/v1/receipts/{doc['id']}")).json()["status"] == "posted"

    # once the inspection is taken back, the receipt can be
    back = await wired.stock.post(
        f"/v1/inspections/{inspected.json()['id']}/reverse", headers=auth("qc")
    )
    assert back.status_code == 200, back.text
    reversed_ = await wired.stock.post(f"/v1/receipts/{doc['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    assert await balances(wired, item) == set()


async def test_a_reversed_serial_receipt_returns_its_units(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="serial"), await make_location(wired)
    serials = [code("SN") for _ in range(2)]
    body = receipt(item, location, "2", serial_numbers=serials)
    doc = await post(wired, body)
    reversed_ = await wired.stock.post(f"/v1/receipts/{doc['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["serial_numbers"] == serials
    assert sorted(
        m["serial_number"] for m in reversed_.json()["movements"] if m["reversal_of_id"]
    ) == sorted(serials)
    assert await balances(wired, item) == set()
    units = (await wired.stock.get("/v1/serials", params={"item_code": item})).json()["items"]
    assert {(u["serial_number"], u["status"], u["location_code"]) for u in units} == {
        (s, "returned", None) for s in serials
    }
    # gone back to the supplier, the units can be received again
    again = await post(wired, body)
    assert again["serial_numbers"] == serials
    units = (await wired.stock.get("/v1/serials", params={"item_code": item})).json()["items"]
    assert {(u["serial_number"], u["status"]) for u in units} == {(s, "in_stock") for s in serials}
    # and that receipt is taken back only while each unit is still pending where it arrived
    moved = {
        "from_location_code": location,
        "to_location_code": await make_location(wired),
        "lines": [
            {
                "item_code": item,
                "quantity": "1",
                "serial_numbers": [serials[1]],
                "quality_state": "pending_inspection",
            }
        ],
    }
    assert (await wired.stock.post("/v1/transfers", json=moved)).status_code == 201
    refused = await wired.stock.post(f"/v1/receipts/{again['id']}/reverse")
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
    assert refused.json()["serial_number"] == serials[1]


# --- the list --------------------------------------------------------------------------------


async def test_list_receipts_by_item_supplier_order_and_status(wired: Slice) -> None:
    item, other = await make_item(wired, tracking="none"), await make_item(wired, tracking="none")
    location = await make_location(wired)
    first = await post(wired, receipt(item, location, "1", purchase_order="PO-A"))
    second = await post(wired, receipt(item, location, "2", supplier="Murata"))
    third = await post(wired, receipt(other, location, "3", purchase_order="PO-A"))
    draft = await post(
        wired, {**receipt(item, location, "4", purchase_order="PO-A"), "draft": True}
    )
    cancelled = await post(wired, {**receipt(item, location, "5"), "draft": True})
    assert (await wired.stock.post(f"/v1/receipts/{cancelled['id']}/cancel")).status_code == 200
    assert (await wired.stock.post(f"/v1/receipts/{second['id']}/reverse")).status_code == 200

    def ids(rows: list[dict]) -> list[int]:
        return [row["id"] for row in rows]

    assert ids(await listed(wired, item_code=item)) == [
        first["id"],
        second["id"],
        draft["id"],
        cancelled["id"],
    ]
    assert ids(await listed(wired, purchase_order="PO-A")) == [
        first["id"],
        third["id"],
        draft["id"],
    ]
    assert ids(await listed(wired, supplier="Murata")) == [second["id"]]
    assert ids(await listed(wired, item_code=item, supplier="Yageo", purchase_order="PO-A")) == [
        first["id"],
        draft["id"],
    ]
    by_status = {
        status: ids(await listed(wired, item_code=item, status=status))
        for status in ("draft", "posted", "reversed", "cancelled")
    }
    assert by_status == {
        "draft": [draft["id"]],
        "posted": [first["id"]],
        "reversed": [second["id"]],
        "cancelled": [cancelled["id"]],
    }
    assert ids(await listed(wired, item_code="NOPE")) == []
    bad = await wired.stock.get("/v1/receipts", params={"status": "lost"})
    assert bad.status_code == 422

    # pages of two, oldest first, each receipt as `GET /v1/receipts/{id}` shows it
    page = (await wired.stock.get("/v1/receipts", params={"limit": 2})).json()
    assert ids(page["items"]) == [first["id"], second["id"]] and page["next_cursor"]
    rest = await listed(wired, limit=2, cursor=page["next_cursor"])
    assert ids(rest) == [third["id"], draft["id"], cancelled["id"]]
    every = page["items"] + rest
    for row in every:
        assert row == (await wired.stock.get(f"/v1/receipts/{row['id']}")).json()
    assert [len(row["movements"]) for row in every] == [1, 2, 1, 0, 0]
    assert every[3]["draft_request"]["quantity"] == "4" and every[3]["lot"] is None
    tampered = await wired.stock.get("/v1/receipts", params={"cursor": "nonsense"})
    assert tampered.status_code == 422
