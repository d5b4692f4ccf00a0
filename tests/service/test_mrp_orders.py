"""MRP orders: sales orders, forecasts, purchase orders and the demand view, with received
and shipped quantities following stock's feed."""

from __future__ import annotations

from decimal import Decimal

from tests.service.mrp_support import (
    Plant,
    code,
    eventually,
    make_item,
    make_location,
    plant_fixture,
    receive,
)

__all__ = ["plant_fixture"]


async def test_sales_order_lines_and_demand_view(plant: Plant) -> None:
    speaker = await make_item(plant, made=True)
    response = await plant.mrp.post(
        "/v1/sales-orders",
        json={
            "customer": "ACME Audio",
            "lines": [
                {"item_code": speaker, "quantity": "100", "due_date": "2027-01-20"},
                {"item_code": speaker, "quantity": "50", "due_date": "2027-01-10"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["number"] == f"SO-{order['id']:08d}" and order["status"] == "open"
    assert [(line["line_no"], line["open_quantity"]) for line in order["lines"]] == [
        (1, "100"),
        (2, "50"),
    ]
    forecast = await plant.mrp.post(
        "/v1/forecasts",
        json={"forecasts": [{"item_code": speaker, "quantity": "30", "due_date": "2027-01-15"}]},
    )
    assert forecast.status_code == 201, forecast.text
    fc = forecast.json()["forecasts"][0]
    demands = (await plant.mrp.get("/v1/demands", params={"item_code": speaker})).json()
    assert [(d["kind"], d["ref"], d["quantity"], d["due_date"]) for d in demands["items"]] == [
        ("sales_order", f"{order['number']}/2", "50", "2027-01-10"),
        ("forecast", fc["number"], "30", "2027-01-15"),
        ("sales_order", f"{order['number']}/1", "100", "2027-01-20"),
    ]
    # paged by due date: two pages of one and two
    first = (await plant.mrp.get("/v1/demands", params={"item_code": speaker, "limit": 2})).json()
    rest = (
        await plant.mrp.get(
            "/v1/demands",
            params={"item_code": speaker, "limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()
    assert [d["ref"] for d in first["items"] + rest["items"]] == [
        d["ref"] for d in demands["items"]
    ]
    assert rest["next_cursor"] is None
    cancelled = await plant.mrp.post(f"/v1/forecasts/{fc['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await plant.mrp.post(f"/v1/forecasts/{fc['id']}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "order_status_conflict"
    closed = await plant.mrp.post(f"/v1/sales-orders/{order['id']}/close")
    assert closed.status_code == 200
    assert [line["open_quantity"] for line in closed.json()["lines"]] == ["0", "0"]
    left = (await plant.mrp.get("/v1/demands", params={"item_code": speaker})).json()["items"]
    assert left == []


async def test_bad_orders_name_every_field_and_change_nothing(plant: Plant) -> None:
    part = await make_item(plant)
    response = await plant.mrp.post(
        "/v1/purchase-orders",
        json={
            "supplier": "Yageo",
            "lines": [
                {"item_code": "NO-SUCH-1", "quantity": "5", "due_date": "2027-01-01"},
                {"item_code": part, "quantity": "5", "due_date": "2027-01-01"},
                {"item_code": "NO-SUCH-2", "quantity": "5", "due_date": "2027-01-01"},
            ],
        },
    )
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == {
        "body.lines.0.item_code",
        "body.lines.2.item_code",
    }
    shape = await plant.mrp.post(
        "/v1/sales-orders",
        json={"customer": " ", "lines": [{"item_code": part, "quantity": "-1", "due_date": "x"}]},
    )
    assert shape.status_code == 422
    assert {e["field"] for e in shape.json()["errors"]} == {
        "body.customer",
        "body.lines.0.quantity",
        "body.lines.0.due_date",
    }
    assert (await plant.mrp.get("/v1/purchase-orders")).json()["items"] == []
    assert (await plant.mrp.get("/v1/sales-orders")).json()["items"] == []


async def test_duplicate_number_conflicts_and_retry_replays(plant: Plant) -> None:
    part = await make_item(plant)
    body = {
        "number": code("PO"),
        "supplier": "Murata",
        "lines": [{"item_code": part, "quantity": "10", "due_date": "2027-02-01"}],
    }
    key = {"Idempotency-Key": code("k")}
    first = await plant.mrp.post("/v1/purchase-orders", json=body, headers=key)
    again = await plant.mrp.post("/v1/purchase-orders", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    duplicate = await plant.mrp.post("/v1/purchase-orders", json=body)
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "already_exists"
    assert len((await plant.mrp.get("/v1/purchase-orders")).json()["items"]) == 1


async def test_receipts_and_their_reversal_follow_the_feed(plant: Plant) -> None:
    part = await make_item(plant)
    location = await make_location(plant)
    po = (
        await plant.mrp.post(
            "/v1/purchase-orders",
            json={
                "supplier": "Yageo",
                "lines": [
                    {"item_code": part, "quantity": "300", "due_date": "2027-02-10"},
                    {"item_code": part, "quantity": "200", "due_date": "2027-02-01"},
                ],
            },
        )
    ).json()
    receipt = await receive(plant, part, location, "250", purchase_order=po["number"])
    await receive(plant, part, location, "40", purchase_order="SOMEONE-ELSES-PO")

    async def received(expected: list[str]) -> bool:
        order = (await plant.mrp.get(f"/v1/purchase-orders/{po['id']}")).json()
        return [line["received_quantity"] for line in order["lines"]] == expected

    # the earlier-due line 2 fills first
    await eventually(lambda: received(["50", "200"]), what="receipt on the PO")
    order = (await plant.mrp.get(f"/v1/purchase-orders/{po['id']}")).json()
    assert [Decimal(line["open_quantity"]) for line in order["lines"]] == [250, 0]
    reversed_ = await plant.stock.post(f"/v1/receipts/{receipt['id']}/reverse", json={})
    assert reversed_.status_code == 200, reversed_.text
    await eventually(lambda: received(["0", "0"]), what="the reversal on the PO")
    cancel = await plant.mrp.post(f"/v1/purchase-orders/{po['id']}/cancel")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"


async def test_planner_role_is_needed_to_write(plant: Plant) -> None:
    from tests.conftest import auth

    part = await make_item(plant)
    body = {
        "supplier": "X",
        "lines": [{"item_code": part, "quantity": "1", "due_date": "2027-01-01"}],
    }
    denied = await plant.mrp.post("/v1/purchase-orders", json=body, headers=auth("warehouse"))
    assert denied.status_code == 403
    allowed = await plant.mrp.post("/v1/purchase-orders", json=body, headers=auth("planner"))
    assert allowed.status_code == 201
    read = await plant.mrp.get("/v1/purchase-orders", headers=auth("warehouse"))
    assert read.status_code == 200 and len(read.json()["items"]) == 1


async def test_orders_are_rescheduled_with_if_match(plant: Plant) -> None:
    part = await make_item(plant)
    location = await make_location(plant)
    po = (
        await plant.mrp.post(
            "/v1/purchase-orders",
            json={
                "supplier": "Yageo",
                "lines": [{"item_code": part, "quantity": "100", "due_date": "2027-02-10"}],
            },
        )
    ).json()
    await receive(plant, part, location, "30", purchase_order=po["number"])

    async def received() -> bool:
        got = (await plant.mrp.get(f"/v1/purchase-orders/{po['id']}")).json()
        return got["lines"][0]["received_quantity"] == "30"

    await eventually(received, what="the receipt on the PO")
    read = await plant.mrp.get(f"/v1/purchase-orders/{po['id']}")
    etag = read.headers["etag"]
    path = f"/v1/purchase-orders/{po['id']}"
    change = {"lines": [{"line_no": 1, "due_date": "2027-02-01", "quantity": "80"}]}
    assert (await plant.mrp.patch(path, json=change)).status_code == 428
    below = await plant.mrp.patch(
        path,
        json={"lines": [{"line_no": 1, "quantity": "20"}, {"line_no": 7, "quantity": "1"}]},
        headers={"If-Match": etag},
    )
    assert below.status_code == 422
    assert {e["field"] for e in below.json()["errors"]} == {
        "body.lines.0.quantity",
        "body.lines.1.line_no",
    }
    done = await plant.mrp.patch(path, json=change, headers={"If-Match": etag})
    assert done.status_code == 200, done.text
    assert done.headers["etag"] != etag
    line = done.json()["lines"][0]
    assert (line["quantity"], line["due_date"], line["open_quantity"]) == ("80", "2027-02-01", "50")
    stale = await plant.mrp.patch(path, json=change, headers={"If-Match": etag})
    assert stale.status_code == 412
