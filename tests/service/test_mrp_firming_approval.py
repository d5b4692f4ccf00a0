"""The approval gate on firming planned orders: under a closed gate a firming is held (202,
the planned order still planned, `approval: pending`, `ApprovalRequested`), and only
workflow's decision firms it or lets it go; an open gate firms as before."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import auth
from tests.service.mrp_support import (
    Plant,
    line,
    make_item,
    plant_fixture,
    released_bom,
)
from tests.service.test_mrp_runs import pages, run

__all__ = ["plant_fixture"]

GATE = "/v1/firming-approval-gate"
WORKFLOW = auth("service", subject="service:workflow")
PLANNER = auth("planner", subject="user:planner")


async def set_gate(plant: Plant, required: bool) -> dict:
    response = await plant.mrp.put(
        GATE, json={"required": required, "flow": "firming flow"}, headers=WORKFLOW
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def planned_orders(plant: Plant) -> tuple[dict, dict[str, dict]]:
    """A run planning a made board (10, due 2027-01-20) and its bought chips (20)."""
    chip = await make_item(plant, lead_time_days=10)
    board = await make_item(plant, made=True, lead_time_days=3)
    await released_bom(plant, board, [line(chip, "2")])
    order = await plant.mrp.post(
        "/v1/sales-orders",
        json={
            "customer": "ACME Audio",
            "lines": [{"item_code": board, "quantity": "10", "due_date": "2027-01-20"}],
        },
    )
    assert order.status_code == 201, order.text
    done = await run(plant)
    planned = {
        o["procurement"]: o for o in await pages(plant, f"/v1/mrp-runs/{done['id']}/planned-orders")
    }
    assert set(planned) == {"buy", "make"}
    return done, planned


async def firm(
    plant: Plant, order_id: int, headers: dict | None = None, **body: object
) -> httpx.Response:
    return await plant.mrp.post(
        f"/v1/planned-orders/{order_id}/firm", json=body, headers=headers or PLANNER
    )


async def decide(
    plant: Plant,
    order_id: int,
    decision: str = "approved",
    reference: str = "workflow:1",
    headers: dict | None = None,
    **extra: object,
) -> httpx.Response:
    return await plant.mrp.post(
        f"/v1/planned-orders/{order_id}/approval-decision",
        json={"decision": decision, "reference": reference, **extra},
        headers=headers or WORKFLOW,
    )


async def events(plant: Plant, kind: str, order_id: int | None = None) -> list[dict]:
    feed = (await plant.mrp.get("/v1/events", params={"limit": 1000})).json()["events"]
    return [
        e
        for e in feed
        if e["type"] == kind and (order_id is None or e["aggregate_id"] == str(order_id))
    ]


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


async def test_the_gate_is_set_by_workflow_idempotently(plant: Plant) -> None:
    opened = (await plant.mrp.get(GATE)).json()
    assert opened == {
        "document_type": "planned_order_firming",
        "required": False,
        "flow": "",
        "updated_at": None,
        "updated_by": None,
    }
    denied = await plant.mrp.put(GATE, json={"required": True, "flow": "x"}, headers=PLANNER)
    assert denied.status_code == 403
    bad = await plant.mrp.put(GATE, json={"required": True, "extra": 1}, headers=WORKFLOW)
    assert bad.status_code == 422
    first = await set_gate(plant, True)
    again = await set_gate(plant, True)
    assert (first["required"], first["flow"], first["updated_by"]) == (
        True,
        "firming flow",
        "service:workflow",
    )
    assert again["required"] is True
    assert (await plant.mrp.get(GATE, headers=PLANNER)).json()["required"] is True
    changed = await events(plant, "ApprovalGateChanged")
    assert [e["payload"]["required"] for e in changed] == [True, True]


async def test_a_held_buy_order_is_firmed_on_approval(plant: Plant) -> None:
    done, planned = await planned_orders(plant)
    buy = planned["buy"]
    await set_gate(plant, True)

    # what the firming refuses is refused, not held
    refused(await firm(plant, buy["id"]), 422, "validation_error")
    assert (await plant.mrp.get(f"/v1/planned-orders/{buy['id']}")).json()["approval"] == (
        "not_required"
    )

    held = await firm(plant, buy["id"], supplier="TI", due_date="2027-01-16")
    assert held.status_code == 202, held.text
    body = held.json()
    assert (body["purchase_order_id"], body["work_order_id"], body["order_number"]) == (
        None,
        None,
        "",
    )
    assert (body["approval"], body["planned_order"]["status"]) == ("pending", "planned")
    assert body["planned_order"]["approval"] == "pending"
    shown = (await plant.mrp.get(f"/v1/planned-orders/{buy['id']}")).json()
    assert (shown["status"], shown["approval"], shown["firmed_as"]) == ("planned", "pending", "")
    (requested,) = await events(plant, "ApprovalRequested", buy["id"])
    assert requested["payload"] == {
        "document_type": "planned_order_firming",
        "document_id": buy["id"],
        "number": f"{done['number']}/{buy['number']}",
        "requested_by": "user:planner",
        "order_type": "buy",
        "due_date": "2027-01-16",
        # the planned release date moved with the due date (10 days' lead time)
        "start_date": "2027-01-06",
        "lines": [
            {
                "line_no": 1,
                "item_code": buy["item_code"],
                "quantity": buy["quantity"],
                "uom": "pcs",
                "lot_number": None,
                "unit_price": None,
            }
        ],
        "location_code": "",
        "supplier": "TI",
        "purchase_order": "",
        "reason": "",
        "note": "",
    }
    assert await events(plant, "PurchaseOrderCreated") == []

    refused(await firm(plant, buy["id"], supplier="TI"), 409, "approval_pending")
    denied = await decide(plant, buy["id"], headers=PLANNER)
    assert denied.status_code == 403
    invalid = await decide(plant, buy["id"], reference="")
    assert invalid.status_code == 422

    approved = await decide(plant, buy["id"], reference="workflow:1")
    assert approved.status_code == 200, approved.text
    firmed = approved.json()
    assert firmed["purchase_order_id"] is not None and firmed["work_order_id"] is None
    assert firmed["approval"] == "approved"
    assert (
        firmed["planned_order"]["status"],
        firmed["planned_order"]["approval"],
        firmed["planned_order"]["approval_ref"],
        firmed["planned_order"]["firmed_as"],
    ) == ("firmed", "approved", "workflow:1", firmed["order_number"])
    po = (await plant.mrp.get(f"/v1/purchase-orders/{firmed['purchase_order_id']}")).json()
    assert (po["supplier"], po["planned_order"], po["number"]) == (
        "TI",
        f"{done['number']}/{buy['number']}",
        firmed["order_number"],
    )
    assert [(pl["item_code"], pl["quantity"], pl["due_date"]) for pl in po["lines"]] == [
        (buy["item_code"], buy["quantity"], "2027-01-16")
    ]
    assert len(await events(plant, "PlannedOrderFirmed", buy["id"])) == 1

    # the same decision again answers it as it is; another decision is refused
    replay = await decide(plant, buy["id"], reference="workflow:1")
    assert replay.status_code == 200, replay.text
    assert replay.json() == firmed
    refused(await decide(plant, buy["id"], reference="workflow:2"), 409, "approval_not_pending")
    refused(
        await decide(plant, buy["id"], "rejected", reference="workflow:2"),
        409,
        "approval_not_pending",
    )
    refused(await firm(plant, buy["id"], supplier="TI"), 409, "planned_order_firmed")
    assert len(await events(plant, "PurchaseOrderCreated")) == 1


async def test_a_rejected_make_order_stays_planned(plant: Plant) -> None:
    done, planned = await planned_orders(plant)
    make = planned["make"]
    await set_gate(plant, True)
    number = f"WO-{uuid.uuid4().hex[:8]}"

    held = await firm(plant, make["id"], number=number, release=True)
    assert held.status_code == 202, held.text
    (requested,) = await events(plant, "ApprovalRequested", make["id"])
    payload = requested["payload"]
    assert (payload["order_type"], payload["supplier"], payload["start_date"]) == (
        "make",
        "",
        make["release_date"],
    )
    assert payload["lines"][0]["quantity"] == make["quantity"]

    rejected = await decide(
        plant, make["id"], "rejected", reference="workflow:7", reason="not this week"
    )
    assert rejected.status_code == 200, rejected.text
    after = rejected.json()
    assert after["order_number"] == "" and after["work_order_id"] is None
    assert (
        after["planned_order"]["status"],
        after["planned_order"]["approval"],
        after["planned_order"]["approval_ref"],
    ) == ("planned", "not_required", "workflow:7")
    (returned,) = await events(plant, "ApprovalReturned", make["id"])
    assert returned["payload"] == {
        "document_type": "planned_order_firming",
        "document_id": make["id"],
        "number": f"{done['number']}/{make['number']}",
        "decision": "rejected",
        "reason": "not this week",
        "reference": "workflow:7",
    }
    assert (await decide(plant, make["id"], "rejected", reference="workflow:7")).json() == after
    refused(await decide(plant, make["id"], reference="workflow:8"), 409, "approval_not_pending")
    assert await events(plant, "WorkOrderCreated") == []

    # asked again, it waits again; an approval the firming now refuses leaves it waiting
    again = await firm(plant, make["id"], number=number, release=True)
    assert again.status_code == 202, again.text
    taken = await plant.mrp.post(
        "/v1/work-orders",
        json={
            "number": number,
            "item_code": make["item_code"],
            "quantity": "1",
            "start_date": "2027-01-10",
            "due_date": "2027-01-12",
        },
    )
    assert taken.status_code == 201, taken.text
    refused(await decide(plant, make["id"], reference="workflow:9"), 409, "already_exists")
    shown = (await plant.mrp.get(f"/v1/planned-orders/{make['id']}")).json()
    assert (shown["status"], shown["approval"]) == ("planned", "pending")


async def test_approval_firms_a_make_order_released(plant: Plant) -> None:
    _, planned = await planned_orders(plant)
    make = planned["make"]
    await set_gate(plant, True)
    held = await firm(plant, make["id"], release=True)
    assert held.status_code == 202, held.text
    # opening the gate releases nothing already waiting
    await set_gate(plant, False)
    refused(await firm(plant, make["id"], release=True), 409, "approval_pending")
    approved = await decide(plant, make["id"], reference="workflow:3")
    assert approved.status_code == 200, approved.text
    work_id = approved.json()["work_order_id"]
    wo = (await plant.mrp.get(f"/v1/work-orders/{work_id}")).json()
    assert (wo["status"], wo["quantity"]) == ("released", make["quantity"])
    assert [c["item_code"] for c in wo["components"]] == [planned["buy"]["item_code"]]
    shown = (await plant.mrp.get(f"/v1/planned-orders/{make['id']}")).json()
    assert (shown["status"], shown["approval"], shown["firmed_as"]) == (
        "firmed",
        "approved",
        wo["number"],
    )


async def test_an_open_gate_firms_as_before(plant: Plant) -> None:
    _, planned = await planned_orders(plant)
    await set_gate(plant, True)
    await set_gate(plant, False)
    firmed = await firm(plant, planned["buy"]["id"], supplier="Yageo")
    assert firmed.status_code == 200, firmed.text
    assert (
        firmed.json()["planned_order"]["status"],
        firmed.json()["planned_order"]["approval"],
    ) == ("firmed", "not_required")
    assert await events(plant, "ApprovalRequested") == []
    refused(await decide(plant, planned["buy"]["id"]), 409, "approval_not_pending")
    refused(await decide(plant, 999999), 404, "not_found")
