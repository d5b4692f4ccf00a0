"""Reservations for work orders and availability (qualified in stores minus reserved)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.conftest import auth
from tests.service.test_stock_requisitions import _line, _qualified
from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location

D = Decimal


async def reserve(s: Slice, work_order: str, *lines: tuple[str, str], **header):
    body = {
        "work_order": work_order,
        "lines": [{"item_code": item, "quantity": qty} for item, qty in lines],
        **header,
    }
    return await s.stock.post("/v1/reservations", json=body, headers=auth("planner"))


async def available(s: Slice, item: str, **params) -> dict:
    response = await s.stock.get("/v1/availability", params={"item_code": item, **params})
    assert response.status_code == 200, response.text
    (row,) = response.json()["items"]
    return {k: D(v) for k, v in row.items() if k != "item_code"}


async def issue(s: Slice, work_order: str, line: str, item: str, qty: str) -> dict:
    created = await s.stock.post(
        "/v1/requisitions",
        json={
            "work_order": work_order,
            "to_location_code": line,
            "lines": [{"item_code": item, "quantity": qty}],
        },
    )
    assert created.status_code == 201, created.text
    doc = created.json()
    assert (await s.stock.post(f"/v1/requisitions/{doc['id']}/submit")).status_code == 200
    posted = await s.stock.post(f"/v1/requisitions/{doc['id']}/post")
    assert posted.status_code == 200, posted.text
    return posted.json()


async def test_reservations_hold_stock_until_requisitions_issue_it(wired: Slice) -> None:
    item, store, line = await make_item(wired), await make_location(wired), await _line(wired)
    await _qualified(wired, item, store, "100", code("L"))
    wo1, wo2 = code("WO"), code("WO")

    made = await reserve(wired, wo1, (item, "60"), required_date="2026-12-01")
    assert made.status_code == 201, made.text
    (r1,) = made.json()["reservations"]
    assert (r1["status"], D(r1["remaining"]), r1["required_date"]) == ("open", 60, "2026-12-01")
    assert await available(wired, item) == {
        "qualified": 100,
        "pending_inspection": 0,
        "defective": 0,
        "wip": 0,
        "reserved": 60,
        "available": 40,
    }

    short = await reserve(wired, wo2, (item, "50"))
    assert short.status_code == 409, short.text
    assert short.json()["code"] == "insufficient_available"
    assert short.json()["errors"][0]["field"] == "body.lines.0.quantity"
    assert (await reserve(wired, wo1, (item, "1"))).json()["code"] == "reservation_exists"
    assert (await reserve(wired, wo2, (item, "40"))).status_code == 201
    assert (await available(wired, item))["available"] == 0

    # issuing to the work order uses up its reservation; reversing gives it back
    requisition = await issue(wired, wo1, line, item, "25")
    after = (await wired.stock.get(f"/v1/reservations/{r1['id']}")).json()
    assert (D(after["issued"]), D(after["remaining"])) == (25, 35)
    assert await available(wired, item) == {
        "qualified": 75,
        "pending_inspection": 0,
        "defective": 0,
        "wip": 25,
        "reserved": 75,
        "available": 0,
    }
    reversed_ = await wired.stock.post(f"/v1/requisitions/{requisition['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    back = (await wired.stock.get(f"/v1/reservations/{r1['id']}")).json()
    assert (D(back["issued"]), D(back["remaining"])) == (0, 60)

    # issuing more than reserved: the reservation holds nothing more, never below zero
    await issue(wired, wo1, line, item, "60")
    done = (await wired.stock.get(f"/v1/reservations/{r1['id']}")).json()
    assert (D(done["issued"]), D(done["remaining"])) == (60, 0)
    assert (await available(wired, item))["available"] == 0  # 40 qualified, 40 for WO2


async def test_change_close_and_cancel(wired: Slice) -> None:
    item, store, line = await make_item(wired), await make_location(wired), await _line(wired)
    await _qualified(wired, item, store, "100", code("L"))
    wo = code("WO")
    (res,) = (await reserve(wired, wo, (item, "50"))).json()["reservations"]
    url = f"/v1/reservations/{res['id']}"
    await issue(wired, wo, line, item, "10")

    too_low = await wired.stock.patch(url, json={"quantity": "5"})
    assert too_low.status_code == 422
    assert too_low.json()["errors"][0]["field"] == "body.quantity"
    too_high = await wired.stock.patch(url, json={"quantity": "101"})
    assert too_high.status_code == 409, too_high.text  # 90 qualified, 40 held: 50 more free
    grown = await wired.stock.patch(url, json={"quantity": "90", "required_date": "2027-01-05"})
    assert grown.status_code == 200, grown.text
    assert (D(grown.json()["remaining"]), grown.json()["required_date"]) == (80, "2027-01-05")

    refused = await wired.stock.post(f"{url}/cancel")
    assert refused.status_code == 409  # something was issued: close instead
    closed = await wired.stock.post(f"{url}/close")
    assert (closed.json()["status"], D(closed.json()["remaining"])) == ("closed", 0)
    assert (await available(wired, item))["available"] == 90
    assert (await wired.stock.post(f"{url}/close")).status_code == 409

    other = code("WO")
    (fresh,) = (await reserve(wired, other, (item, "5"))).json()["reservations"]
    cancelled = await wired.stock.post(f"/v1/reservations/{fresh['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    listed = await wired.stock.get("/v1/reservations", params={"work_order": other})
    assert [r["status"] for r in listed.json()["items"]] == ["cancelled"]
    # a cancelled one no longer blocks a new reservation of the same item
    assert (await reserve(wired, other, (item, "5"))).status_code == 201


async def test_bad_reservations_name_every_field_and_change_nothing(wired: Slice) -> None:
    item = await make_item(wired)
    wo = code("WO")
    bad = await reserve(
        wired, wo, (item, "1"), ("NOPE-" + code("X"), "1"), (item, "2"), location_code="NOWHERE"
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == [
        "body.location_code",
        "body.lines.1.item_code",
        "body.lines.2.item_code",
    ]
    assert (await wired.stock.get("/v1/reservations", params={"work_order": wo})).json()[
        "items"
    ] == []
    nothing = await reserve(wired, wo, (item, "1"))  # no stock at all
    assert nothing.status_code == 409
    assert (
        await wired.stock.post(
            "/v1/reservations",
            json={"work_order": wo, "lines": [{"item_code": item, "quantity": "1"}]},
            headers=auth("qc"),
        )
    ).status_code == 403


async def test_availability_by_scope_and_pages(wired: Slice) -> None:
    item, other = await make_item(wired), await make_item(wired, tracking="none")
    wh = code("WH")
    made = await wired.stock.post(
        "/v1/locations", json={"code": wh, "name": wh, "location_type": "warehouse"}
    )
    assert made.status_code == 201, made.text
    inside = f"{wh}/A-01"
    made = await wired.stock.post(
        "/v1/locations",
        json={"code": inside, "name": "A-01", "location_type": "storage", "parent_code": wh},
    )
    assert made.status_code == 201, made.text
    outside = await make_location(wired)
    await _qualified(wired, item, inside, "30", code("L"))
    await _qualified(wired, item, outside, "70", code("L"))
    await _qualified(wired, other, outside, "5")
    scoped = await reserve(wired, code("WO"), (item, "31"), location_code=wh)
    assert scoped.status_code == 409  # only 30 in that warehouse
    assert (await reserve(wired, code("WO"), (item, "30"), location_code=wh)).status_code == 201
    assert (await available(wired, item, location_code=wh))["available"] == 0
    assert (await available(wired, item))["available"] == 70

    pages, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        body = (await wired.stock.get("/v1/availability", params=params)).json()
        pages.extend(row["item_code"] for row in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert {item, other} <= set(pages) and pages == sorted(pages)


async def test_a_snapshot_lists_every_held_item_as_the_pages_do(wired: Slice) -> None:
    item, other, reserved_only = (
        await make_item(wired),
        await make_item(wired, tracking="none"),
        await make_item(wired, tracking="none"),
    )
    store = await make_location(wired)
    await _qualified(wired, item, store, "30", code("L"))
    await _qualified(wired, other, store, "5")
    assert (await reserve(wired, code("WO"), (item, "12"))).status_code == 201
    assert (await reserve(wired, code("WO"), (reserved_only, "2"))).status_code == 409

    snapshot = await wired.stock.get("/v1/availability/snapshot")
    assert snapshot.status_code == 200, snapshot.text
    body = snapshot.json()
    codes = [row["item_code"] for row in body["items"]]
    assert codes == sorted(codes) and {item, other} <= set(codes)
    assert reserved_only not in codes  # nothing in stock, nothing reserved
    rows = {row["item_code"]: row for row in body["items"]}
    assert {k: D(v) for k, v in rows[item].items() if k != "item_code"} == await available(
        wired, item
    )
    assert D(rows[item]["available"]) == 18 and D(rows[item]["reserved"]) == 12
    movements = (await wired.stock.get("/v1/movements", params={"limit": 500})).json()["items"]
    assert body["ledger_sequence"] == max(m["sequence"] for m in movements)
    scoped = await wired.stock.get("/v1/availability/snapshot", params={"location_code": store})
    assert {row["item_code"] for row in scoped.json()["items"]} >= {item, other}
    unknown = await wired.stock.get("/v1/availability/snapshot", params={"location_code": "NOPE"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "query.location_code"


async def test_concurrent_reservations_never_promise_the_same_stock(wired: Slice) -> None:
    item, store = await make_item(wired), await make_location(wired)
    await _qualified(wired, item, store, "100", code("L"))
    results = await asyncio.gather(*(reserve(wired, code("WO"), (item, "10")) for _ in range(14)))
    assert sorted(r.status_code for r in results) == [201] * 10 + [409] * 4
    assert (await available(wired, item))["available"] == 0
