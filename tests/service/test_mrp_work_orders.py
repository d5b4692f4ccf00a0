"""Work orders: release pins the BOM, stock's feed keeps components current, material check,
what can be built, and MES completions posted exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.mrp.usecases.stock_feed import apply_stock_event, apply_stock_events
from shared.events.schemas import FeedEvent
from tests.conftest import auth
from tests.service.mrp_support import (
    Plant,
    code,
    eventually,
    line,
    make_item,
    make_location,
    plant_fixture,
    qualified,
    released_bom,
)

__all__ = ["plant_fixture"]


@dataclass
class Shop:
    board: str
    chip: str
    cap: str
    raw: str
    wip: str
    finished: str


async def shop(plant: Plant) -> Shop:
    """A board of 2 chips and 3 capacitors (10% scrap on the capacitors)."""
    chip, cap = await make_item(plant), await make_item(plant)
    board = await make_item(plant, made=True)
    await released_bom(plant, board, [line(chip, "2"), line(cap, "3", scrap_percent="10")])
    return Shop(
        board=board,
        chip=chip,
        cap=cap,
        raw=await make_location(plant),
        wip=await make_location(plant, "WH1/LINE", "production_line"),
        finished=await make_location(plant, "WH1/FG", "finished_goods"),
    )


async def work_order(plant: Plant, s: Shop, quantity: str = "10", **extra: Any) -> dict:
    body = {
        "item_code": s.board,
        "quantity": quantity,
        "start_date": "2027-03-01",
        "due_date": "2027-03-05",
        "wip_location_code": s.wip,
        "output_location_code": s.finished,
        "release": True,
        **extra,
    }
    response = await plant.mrp.post("/v1/work-orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def issue(plant: Plant, s: Shop, order: str, lines: list[dict]) -> None:
    created = await plant.stock.post(
        "/v1/requisitions", json={"work_order": order, "to_location_code": s.wip, "lines": lines}
    )
    assert created.status_code == 201, created.text
    doc = created.json()["id"]
    assert (await plant.stock.post(f"/v1/requisitions/{doc}/submit")).status_code == 200
    posted = await plant.stock.post(f"/v1/requisitions/{doc}/post")
    assert posted.status_code == 200, posted.text


def components(order: dict) -> dict[str, tuple[str, str, str]]:
    return {
        c["item_code"]: (c["required_quantity"], c["issued_quantity"], c["consumed_quantity"])
        for c in order["components"]
    }


async def test_release_pins_the_bom_and_lists_components(plant: Plant) -> None:
    s = await shop(plant)
    planned = await plant.mrp.post(
        "/v1/work-orders",
        json={
            "item_code": s.board,
            "quantity": "10",
            "start_date": "2027-03-01",
            "due_date": "2027-03-05",
        },
    )
    assert planned.status_code == 201, planned.text
    order = planned.json()
    assert order["status"] == "planned" and order["components"] == []
    released = await plant.mrp.post(f"/v1/work-orders/{order['id']}/release", json={})
    assert released.status_code == 200, released.text
    body = released.json()
    assert body["status"] == "released" and body["bom_revision"] == "A"
    # 10 boards: 2 x 10 chips; 3 x 10 x 1.1 capacitors
    assert components(body) == {s.chip: ("20", "0", "0"), s.cap: ("33", "0", "0")}
    demands = (await plant.mrp.get("/v1/demands", params={"kind": "work_order"})).json()
    assert {(d["ref"], d["quantity"], d["due_date"]) for d in demands["items"]} == {
        (f"{body['number']}/{s.chip}", "20", "2027-03-01"),
        (f"{body['number']}/{s.cap}", "33", "2027-03-01"),
    }
    again = await plant.mrp.post(f"/v1/work-orders/{order['id']}/release", json={})
    assert again.status_code == 409
    bought = await plant.mrp.post(
        "/v1/work-orders",
        json={
            "item_code": s.chip,
            "quantity": "1",
            "start_date": "2027-03-01",
            "due_date": "2027-03-01",
        },
    )
    assert bought.status_code == 422
    assert bought.json()["errors"][0]["field"] == "body.item_code"
    dates = await plant.mrp.post(
        "/v1/work-orders",
        json={
            "item_code": s.board,
            "quantity": "1",
            "start_date": "2027-03-02",
            "due_date": "2027-03-01",
        },
    )
    assert dates.status_code == 422


async def capacitors_ordered(plant: Plant, s: Shop) -> dict:
    """A purchase order of 15 capacitors due 2027-03-10 and 30 due 2027-03-20."""
    po = await plant.mrp.post(
        "/v1/purchase-orders",
        json={
            "supplier": "Murata",
            "lines": [
                {"item_code": s.cap, "quantity": "15", "due_date": "2027-03-10"},
                {"item_code": s.cap, "quantity": "30", "due_date": "2027-03-20"},
            ],
        },
    )
    assert po.status_code == 201, po.text
    return po.json()  # type: ignore[no-any-return]


async def test_issues_follow_the_feed_and_material_check(plant: Plant) -> None:
    s = await shop(plant)
    await qualified(plant, s.chip, s.raw, "25")
    await qualified(plant, s.cap, s.raw, "10")
    order = await work_order(plant, s)
    await issue(plant, s, order["number"], [{"item_code": s.chip, "quantity": "8"}])

    async def issued() -> bool:
        got = (await plant.mrp.get(f"/v1/work-orders/{order['id']}")).json()
        return got["status"] == "in_progress" and components(got)[s.chip][1] == "8"

    await eventually(issued, what="the requisition on the work order")
    await capacitors_ordered(plant, s)
    check = await plant.mrp.get(f"/v1/work-orders/{order['id']}/material-check")
    assert check.status_code == 200, check.text
    result = check.json()
    totals = {t["item_code"]: t for t in result["totals"]}
    # chips: 20 needed, 8 issued -> 12 more, 17 free: covered
    assert Decimal(totals[s.chip]["required"]) == 12 and Decimal(totals[s.chip]["short"]) == 0
    # capacitors: 33 needed, 10 free -> 23 short; the first PO brings 15, the second 30
    assert Decimal(totals[s.cap]["short"]) == 23
    assert totals[s.cap]["covered_on"] == "2027-03-20"
    assert result["complete"] is False and result["earliest_complete_on"] == "2027-03-20"
    can = await plant.mrp.get("/v1/buildable", params={"item_code": s.board})
    assert can.status_code == 200, can.text
    # free now: 17 chips (8 went to the line), 10 capacitors -> 10 / 3.3 = 3 boards
    assert can.json()["quantity"] == "3" and can.json()["limiting"] == [s.cap]
    unknown = await plant.mrp.get("/v1/buildable", params={"item_code": "NO-SUCH"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "query.item_code"
    bought = await plant.mrp.get("/v1/buildable", params={"item_code": s.chip})
    assert bought.status_code == 404 and bought.json()["code"] == "no_effective_bom"


async def completion(plant: Plant, order: dict, event: str, **body: Any) -> Any:
    payload = {
        "event_id": event,
        "operation": "0030",
        "station": "SMT-2",
        "operator": "Wang",
        "started_at": "2027-03-01T08:00:00+08:00",
        "finished_at": "2027-03-01T09:00:00+08:00",
        **body,
    }
    return await plant.mrp.post(
        f"/v1/work-orders/{order['id']}/completions", json=payload, headers=auth("integration")
    )


async def balance(plant: Plant, item: str, location: str) -> Decimal:
    rows = (
        await plant.stock.get("/v1/balances", params={"item_code": item, "location_code": location})
    ).json()["items"]
    return sum((Decimal(row["quantity"]) for row in rows), Decimal(0))


async def test_completion_backflushes_and_retries_change_nothing(plant: Plant) -> None:
    s = await shop(plant)
    await qualified(plant, s.chip, s.raw, "40")
    await qualified(plant, s.cap, s.raw, "40")
    order = await work_order(plant, s)
    # one board will be scrapped: issue a little more than the 10 boards need
    await issue(
        plant,
        s,
        order["number"],
        [
            {"item_code": s.chip, "quantity": "22"},
            {"item_code": s.cap, "quantity": "40"},
        ],
    )
    first = await completion(plant, order, "EV-1", produced=[{"quantity": "4"}], scrap_quantity="1")
    assert first.status_code == 201, first.text
    done = first.json()
    assert done["production_receipt_number"].startswith("PR-") and done["backflushed"] is True
    wo = done["work_order"]
    assert wo["produced_quantity"] == "4" and wo["scrapped_quantity"] == "1"
    # 5 boards made or scrapped: 10 chips, 16.5 capacitors consumed from the line
    assert components(wo)[s.chip][2] == "10" and components(wo)[s.cap][2] == "16.5"
    assert await balance(plant, s.board, s.finished) == 4
    assert await balance(plant, s.chip, s.wip) == 12
    for _ in range(3):
        again = await completion(
            plant, order, "EV-1", produced=[{"quantity": "4"}], scrap_quantity="1"
        )
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == done
    assert await balance(plant, s.board, s.finished) == 4
    assert await balance(plant, s.chip, s.wip) == 12
    other = await completion(plant, order, "EV-1", produced=[{"quantity": "5"}])
    assert other.status_code == 409 and other.json()["code"] == "completion_event_reused"
    rest = await completion(plant, order, "EV-2", produced=[{"quantity": "6"}])
    assert rest.status_code == 201, rest.text
    wo = rest.json()["work_order"]
    assert wo["status"] == "completed" and wo["produced_quantity"] == "10"
    feed = (await plant.mrp.get("/v1/events", params={"limit": 1000})).json()["events"]
    completed = [e["payload"] for e in feed if e["type"] == "WorkOrderCompleted"]
    assert [(c["number"], c["produced_quantity"]) for c in completed] == [(order["number"], "10")]
    assert components(wo)[s.chip][2] == "22" and components(wo)[s.cap][2] == "36.3"
    # the feed brings the same movements later: nothing is counted twice
    listed = (await plant.mrp.get(f"/v1/work-orders/{order['id']}/completions")).json()
    assert [c["event_id"] for c in listed["items"]] == ["EV-1", "EV-2"]
    final = (await plant.mrp.get(f"/v1/work-orders/{order['id']}")).json()
    assert final["produced_quantity"] == "10" and components(final) == components(wo)


async def test_a_completion_stock_refuses_leaves_no_trace(plant: Plant) -> None:
    s = await shop(plant)
    await qualified(plant, s.chip, s.raw, "40")
    await qualified(plant, s.cap, s.raw, "40")
    order = await work_order(plant, s)
    await issue(plant, s, order["number"], [{"item_code": s.chip, "quantity": "2"}])
    short = await completion(plant, order, "EV-9", produced=[{"quantity": "4"}])
    assert short.status_code == 409, short.text
    assert short.json()["code"] == "insufficient_stock"
    wrong = await completion(
        plant, order, "EV-10", produced=[{"item_code": s.chip, "quantity": "1"}]
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.produced.0.item_code"
    after = (await plant.mrp.get(f"/v1/work-orders/{order['id']}")).json()
    assert after["produced_quantity"] == "0"
    assert (await plant.mrp.get(f"/v1/work-orders/{order['id']}/completions")).json()["items"] == []
    receipts = (await plant.stock.get("/v1/production-receipts")).json()["items"]
    assert receipts == []
    # consumed as sent, by the named item: the chips on the line are enough for 1 board
    named = await completion(
        plant,
        order,
        "EV-11",
        produced=[{"quantity": "1"}],
        consumed=[{"item_code": s.chip, "quantity": "2"}],
    )
    assert named.status_code == 201, named.text
    assert named.json()["backflushed"] is False
    assert components(named.json()["work_order"])[s.chip][2] == "2"
    planned = await plant.mrp.post(
        "/v1/work-orders",
        json={
            "item_code": s.board,
            "quantity": "1",
            "start_date": "2027-03-01",
            "due_date": "2027-03-01",
            "number": code("WO"),
        },
    )
    not_released = await completion(plant, planned.json(), "EV-12", produced=[{"quantity": "1"}])
    assert not_released.status_code == 409
    assert not_released.json()["code"] == "work_order_not_open"


async def test_a_work_order_is_rescheduled_and_resized(plant: Plant) -> None:
    s = await shop(plant)
    order = await work_order(plant, s)
    path = f"/v1/work-orders/{order['id']}"
    etag = (await plant.mrp.get(path)).headers["etag"]
    bad = await plant.mrp.patch(path, json={"due_date": "2027-02-01"}, headers={"If-Match": etag})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.due_date"
    changed = await plant.mrp.patch(
        path,
        json={"quantity": "20", "start_date": "2027-03-08", "due_date": "2027-03-12"},
        headers={"If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["quantity"], body["start_date"], body["due_date"]) == (
        "20",
        "2027-03-08",
        "2027-03-12",
    )
    assert components(body) == {s.chip: ("40", "0", "0"), s.cap: ("66", "0", "0")}
    closed = await plant.mrp.post(f"/v1/work-orders/{order['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["version"] == 3
    late = await plant.mrp.patch(path, json={"quantity": "5"}, headers={"If-Match": 'W/"3"'})
    assert late.status_code == 409 and late.json()["code"] == "order_status_conflict"


def _feed(kind: str, movements: list[dict], seq: int) -> FeedEvent:
    return FeedEvent(
        seq=seq,
        event_id=f"ev-{seq}",
        type=kind,
        aggregate_type="document",
        aggregate_id=str(seq),
        occurred_at=datetime(2027, 3, 1, tzinfo=UTC),
        actor="user:tester",
        payload={"movements": movements} if kind != "MovementPosted" else movements[0],
    )


def _history(s: Shop, extra: str, wo: str, po: str, so: str, first: int) -> list[FeedEvent]:
    """Stock's events for one work order, purchase and sales order; movement ids from
    `first` (reversals, a replayed event, a movement announced twice, a reservation of a
    component the page's first event adds)."""
    ids = iter(range(first, first + 100))

    def move(kind: str, item: str, qty: str, src: str, dst: str, **refs: Any) -> dict:
        return {
            "id": next(ids),
            "document_type": kind,
            "item_code": item,
            "quantity": qty,
            "from_location": src,
            "to_location": dst,
            "reversal_of_id": None,
            **refs,
        }

    issue_ = [
        move("requisition", s.chip, "8", s.raw, s.wip, work_order=wo),
        move("requisition", extra, "2", s.raw, s.wip, work_order=wo),
    ]
    made = move("production_receipt", s.board, "4", "VIRTUAL/PRODUCTION", s.finished, work_order=wo)
    used = move("production_receipt", s.chip, "8", s.wip, "VIRTUAL/PRODUCTION", work_order=wo)
    rest = move("production_receipt", s.board, "6", "VIRTUAL/PRODUCTION", s.finished, work_order=wo)
    back = move("production_receipt", s.board, "6", s.finished, "VIRTUAL/PRODUCTION")
    back.update(work_order=wo, reversal_of_id=rest["id"])
    bought = [
        move("purchase_receipt", s.cap, "20", "VIRTUAL/SUPPLIER", s.raw, purchase_order=po),
        move("purchase_receipt", s.cap, "20", "VIRTUAL/SUPPLIER", s.raw, purchase_order=po),
    ]
    returned = move("supplier_return", s.cap, "5", s.raw, "VIRTUAL/SUPPLIER", purchase_order=po)
    shipped = move("shipment", s.board, "3", s.finished, "VIRTUAL/CUSTOMER", sales_order=so)
    events = [
        ("RequisitionPosted", issue_),
        (
            "ReservationCreated",
            [{"work_order": wo, "item_code": extra, "quantity": "3", "status": "open"}],
        ),
        ("MovementPosted", [made]),
        ("ProductionReceiptPosted", [used, made]),
        ("MovementPosted", [used]),
        ("ProductionReceiptPosted", [rest]),
        ("ReceiptPosted", bought),
        ("ProductionReceiptReversed", [rest, back]),
        ("SupplierReturnPosted", [returned]),
        ("ShipmentPosted", [shipped]),
        ("RequisitionPosted", issue_),
    ]
    out = []
    for seq, (kind, payload) in enumerate(events, start=first):
        event = _feed(kind, payload, seq)
        if kind == "ReservationCreated":
            event = event.model_copy(update={"payload": payload[0]})
        out.append(event)
    return out


async def test_a_page_of_stock_events_counts_as_the_events_one_by_one(plant: Plant) -> None:
    """The batch handler leaves orders and announcements as the per-event handler does."""
    s = await shop(plant)
    extra = await make_item(plant)
    db = plant.transport.apps["mrp"].state.db
    states = []
    for batch in (False, True):
        wo = await work_order(plant, s)
        po = await capacitors_ordered(plant, s)
        so = await plant.mrp.post(
            "/v1/sales-orders",
            json={
                "customer": "ACME Audio",
                "lines": [{"item_code": s.board, "quantity": "5", "due_date": "2027-03-09"}],
            },
        )
        assert so.status_code == 201
        before = (await plant.mrp.get("/v1/events", params={"limit": 1000})).json()["events"]
        events = _history(
            s, extra, wo["number"], po["number"], so.json()["number"], 1000 * (1 + batch)
        )
        if batch:
            async with db.uow(actor="feed:stock") as uow:
                await apply_stock_events(uow, events)
                await uow.commit()
        else:
            for event in events:
                async with db.uow(actor="feed:stock") as uow:
                    await apply_stock_event(uow, event)
                    await uow.commit()
        after = (await plant.mrp.get("/v1/events", params={"limit": 1000})).json()["events"]
        got = (await plant.mrp.get(f"/v1/work-orders/{wo['id']}")).json()
        states.append(
            {
                "work_order": (got["status"], got["produced_quantity"]),
                "components": {
                    c["item_code"]: (
                        c["issued_quantity"],
                        c["consumed_quantity"],
                        c["reserved_quantity"],
                        c["position"],
                    )
                    for c in got["components"]
                },
                "received": [
                    line["received_quantity"]
                    for line in (await plant.mrp.get(f"/v1/purchase-orders/{po['id']}")).json()[
                        "lines"
                    ]
                ],
                "shipped": [
                    line["shipped_quantity"]
                    for line in (await plant.mrp.get(f"/v1/sales-orders/{so.json()['id']}")).json()[
                        "lines"
                    ]
                ],
                "announced": [
                    (e["type"], e["payload"].get("status"), e["payload"].get("previous"))
                    for e in after[len(before) :]
                ],
                "versions": got["version"] - wo["version"],
            }
        )
    one_by_one, together = states
    assert one_by_one["work_order"] == ("in_progress", "4")
    assert one_by_one["components"][s.chip][:2] == ("8", "8")
    assert one_by_one["components"][extra][:3] == ("2", "0", "3")
    assert one_by_one["received"] == ["15", "20"] and one_by_one["shipped"] == ["3"]
    assert one_by_one["announced"] == [
        ("WorkOrderStatusChanged", "in_progress", "released"),
        ("WorkOrderStatusChanged", "completed", "in_progress"),
        ("WorkOrderCompleted", None, None),
        ("WorkOrderStatusChanged", "in_progress", "completed"),
    ]
    # a work order's version goes up once per event that brought a new movement of it (5),
    # and once per run of movements in a page (the reservation splits this page in two)
    assert (one_by_one["versions"], together["versions"]) == (5, 2)
    del one_by_one["versions"], together["versions"]
    assert together == one_by_one
