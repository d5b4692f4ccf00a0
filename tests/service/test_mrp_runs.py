"""MRP runs through the service: order in, shortage out, planned orders firmed, re-planned."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import auth
from tests.service.mrp_support import (
    Plant,
    line,
    make_item,
    make_location,
    plant_fixture,
    qualified,
    released_bom,
)

__all__ = ["plant_fixture"]

RUN_DATE = "2027-01-04"


async def pages(plant: Plant, path: str, **params: Any) -> list[dict]:
    found: list[dict] = []
    cursor = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        response = await plant.mrp.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        found += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return found


async def run(plant: Plant, **body: Any) -> dict:
    response = await plant.mrp.post("/v1/mrp-runs", json={"run_date": RUN_DATE, **body})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_order_in_shortage_out_firm_and_replan(plant: Plant) -> None:
    chip = await make_item(
        plant,
        lead_time_days=10,
        lot_sizing={"policy": "minimum", "minimum_quantity": "5000", "multiple": "5000"},
    )
    cap = await make_item(plant, lead_time_days=5)
    board = await make_item(plant, made=True, lead_time_days=3)
    speaker = await make_item(plant, made=True, lead_time_days=2, item_type="finished_good")
    await released_bom(plant, board, [line(chip, "4", scrap_percent="5")])
    await released_bom(plant, speaker, [line(board, "1"), line(cap, "2")])
    raw = await make_location(plant)
    await qualified(plant, board, raw, "10")
    await qualified(plant, chip, raw, "100")
    order = await plant.mrp.post(
        "/v1/sales-orders",
        json={
            "customer": "ACME Audio",
            "lines": [{"item_code": speaker, "quantity": "50", "due_date": "2027-01-20"}],
        },
    )
    assert order.status_code == 201, order.text
    demand = f"{order.json()['number']}/1"

    first = await run(plant)
    assert first["number"].startswith("MRP-") and first["status"] == "completed"
    summary = first["summary"]
    assert summary["planned_orders"] == 4 and summary["planned_make"] == 2
    assert summary["late_planned_orders"] == 0 and summary["bom_line_problems"] == []
    movements = (await plant.stock.get("/v1/movements", params={"limit": 500})).json()["items"]
    assert summary["stock_ledger_sequence"] == max(m["sequence"] for m in movements)
    planned = {
        o["item_code"]: o for o in await pages(plant, f"/v1/mrp-runs/{first['id']}/planned-orders")
    }
    got = {
        code: (o["procurement"], o["quantity"], o["release_date"], o["due_date"])
        for code, o in planned.items()
    }
    assert got == {
        # 50 speakers due on the 20th, 2 days to assemble
        speaker: ("make", "50", "2027-01-18", "2027-01-20"),
        # 50 boards on the 18th, 10 in stock; 3 days to make
        board: ("make", "40", "2027-01-15", "2027-01-18"),
        # 2 capacitors per speaker, bought 5 days ahead
        cap: ("buy", "100", "2027-01-13", "2027-01-18"),
        # 40 boards x 4 x 1.05 = 168, 100 in stock: 68 short -> one reel of 5,000
        chip: ("buy", "5000", "2027-01-05", "2027-01-15"),
    }
    assert planned[speaker]["low_level_code"] == 0 and planned[chip]["low_level_code"] == 2
    # single-level pegging: the chips serve the board order, which serves the speaker
    # order, which serves the sales order line; `demands` walks up to it
    chip_pegs = planned[chip]["pegs"]
    assert [(p["quantity"], p["demand_ref"], p["parent_order"]) for p in chip_pegs] == [
        ("68", None, planned[board]["number"])
    ]
    assert planned[chip]["demands"] == [{"demand_ref": demand, "quantity": "68"}]
    assert planned[speaker]["pegs"][0]["demand_ref"] == demand
    shortages = {
        s["item_code"]: (s["quantity"], s["first_short_on"], s["late_quantity"])
        for s in await pages(plant, f"/v1/mrp-runs/{first['id']}/shortages")
    }
    assert shortages == {
        speaker: ("50", "2027-01-20", "0"),
        board: ("40", "2027-01-18", "0"),
        cap: ("100", "2027-01-18", "0"),
        chip: ("68", "2027-01-15", "0"),
    }
    # each shortage is also on mrp's feed, for event webhooks
    feed = (await plant.mrp.get("/v1/events", params={"limit": 1000})).json()["events"]
    found = [e["payload"] for e in feed if e["type"] == "ShortageFound"]
    assert {
        f["item_code"]: (f["quantity"], f["first_short_on"], f["late_quantity"]) for f in found
    } == shortages
    assert {f["run_number"] for f in found} == {first["number"]}
    pegged = await pages(plant, f"/v1/mrp-runs/{first['id']}/planned-orders", demand_ref=demand)
    assert {o["item_code"] for o in pegged} == {speaker, board, cap, chip}

    # firm the reel into a purchase order, the boards into a released work order
    need_supplier = await plant.mrp.post(f"/v1/planned-orders/{planned[chip]['id']}/firm", json={})
    assert need_supplier.status_code == 422
    assert need_supplier.json()["errors"][0]["field"] == "body.supplier"
    firmed = await plant.mrp.post(
        f"/v1/planned-orders/{planned[chip]['id']}/firm", json={"supplier": "TI"}
    )
    assert firmed.status_code == 200, firmed.text
    po = (await plant.mrp.get(f"/v1/purchase-orders/{firmed.json()['purchase_order_id']}")).json()
    assert po["planned_order"] == f"{first['number']}/{planned[chip]['number']}"
    assert [(pl["item_code"], pl["quantity"], pl["due_date"]) for pl in po["lines"]] == [
        (chip, "5000", "2027-01-15")
    ]
    twice = await plant.mrp.post(
        f"/v1/planned-orders/{planned[chip]['id']}/firm", json={"supplier": "TI"}
    )
    assert twice.status_code == 409 and twice.json()["code"] == "planned_order_firmed"
    work = await plant.mrp.post(
        f"/v1/planned-orders/{planned[board]['id']}/firm", json={"release": True}
    )
    assert work.status_code == 200, work.text
    wo = (await plant.mrp.get(f"/v1/work-orders/{work.json()['work_order_id']}")).json()
    assert (wo["status"], wo["quantity"], wo["start_date"], wo["due_date"]) == (
        "released",
        "40",
        "2027-01-15",
        "2027-01-18",
    )
    assert [(c["item_code"], c["required_quantity"]) for c in wo["components"]] == [(chip, "168")]

    second = await run(plant)
    again = {
        o["item_code"]: o for o in await pages(plant, f"/v1/mrp-runs/{second['id']}/planned-orders")
    }
    # the work order brings the boards, the purchase order the chips: only the top and
    # the capacitors are left to plan
    assert set(again) == {speaker, cap}
    exceptions = await pages(plant, f"/v1/mrp-runs/{second['id']}/exceptions")
    excess = [e for e in exceptions if e["kind"] == "excess"]
    # the work order needs 168 chips, 100 are in stock: 68 of the reel's 5,000 are used
    assert [(e["item_code"], Decimal(e["quantity"])) for e in excess] == [(chip, Decimal(4932))]


async def test_late_demand_net_change_and_bad_requests(plant: Plant) -> None:
    part = await make_item(plant, lead_time_days=10)
    board = await make_item(plant, made=True, lead_time_days=1)
    other = await make_item(plant, lead_time_days=1)
    await released_bom(plant, board, [line(part, "2")])
    await plant.mrp.post(
        "/v1/sales-orders",
        json={
            "customer": "Late Co",
            "lines": [
                {"item_code": board, "quantity": "5", "due_date": "2027-01-08"},
                {"item_code": other, "quantity": "1", "due_date": "2027-01-30"},
            ],
        },
    )
    late = await run(plant, mode="net_change", item_codes=[board])
    orders = {
        o["item_code"]: o for o in await pages(plant, f"/v1/mrp-runs/{late['id']}/planned-orders")
    }
    assert set(orders) == {board, part}  # net-change: the board and what is below it
    assert (orders[part]["release_date"], orders[part]["due_date"]) == ("2026-12-28", "2027-01-07")
    kinds = {
        (e["item_code"], e["kind"])
        for e in await pages(plant, f"/v1/mrp-runs/{late['id']}/exceptions")
    }
    assert (part, "release_past") in kinds
    shortage = await pages(plant, f"/v1/mrp-runs/{late['id']}/shortages", item_code=part)
    assert [(s["quantity"], s["late_quantity"]) for s in shortage] == [("10", "10")]
    assert late["summary"]["late_planned_orders"] == 1

    bad = await plant.mrp.post(
        "/v1/mrp-runs", json={"mode": "net_change", "item_codes": ["NO-SUCH"]}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.item_codes.0"
    empty = await plant.mrp.post("/v1/mrp-runs", json={"mode": "net_change"})
    assert empty.status_code == 422
    denied = await plant.mrp.post("/v1/mrp-runs", json={}, headers=auth("warehouse"))
    assert denied.status_code == 403
    missing = await plant.mrp.get("/v1/mrp-runs/999999/planned-orders")
    assert missing.status_code == 404


async def test_demands_are_shared_out_through_the_levels(plant: Plant) -> None:
    part = await make_item(plant, lead_time_days=1)
    board = await make_item(
        plant,
        made=True,
        lead_time_days=1,
        lot_sizing={"policy": "fixed", "fixed_quantity": "100"},
    )
    other = await make_item(plant, made=True, lead_time_days=1)
    await released_bom(plant, board, [line(part, "2")])
    await released_bom(plant, other, [line(part, "1")])
    orders = []
    for customer, item, quantity in (("A", board, "30"), ("B", board, "10"), ("C", other, "5")):
        made = await plant.mrp.post(
            "/v1/sales-orders",
            json={
                "customer": customer,
                "lines": [{"item_code": item, "quantity": quantity, "due_date": "2027-02-10"}],
            },
        )
        orders.append(f"{made.json()['number']}/1")
    done = await run(plant)
    planned = await pages(plant, f"/v1/mrp-runs/{done['id']}/planned-orders")
    chips = [o for o in planned if o["item_code"] == part]
    # one order of 205 chips on the 9th: 200 for the board order (100 boards of which 30
    # serve A, 10 serve B, 60 are lot-size surplus), 5 for the other product (C)
    assert [(o["quantity"], o["due_date"]) for o in chips] == [("205", "2027-02-09")]
    assert {(d["demand_ref"], d["quantity"]) for d in chips[0]["demands"]} == {
        (orders[0], "60"),
        (orders[1], "20"),
        (orders[2], "5"),
        (None, "120"),
    }
    for ref, items in ((orders[1], {board, part}), (orders[2], {other, part})):
        serving = await pages(plant, f"/v1/mrp-runs/{done['id']}/planned-orders", demand_ref=ref)
        assert {o["item_code"] for o in serving} == items


async def test_sales_orders_consume_the_forecast_they_fall_in(plant: Plant) -> None:
    speaker = await make_item(plant, lead_time_days=1)
    forecast = await plant.mrp.post(
        "/v1/forecasts",
        json={"forecasts": [{"item_code": speaker, "quantity": "100", "due_date": "2027-02-10"}]},
    )
    assert forecast.status_code == 201, forecast.text
    fc_ref = forecast.json()["forecasts"][0]["number"]
    order = await plant.mrp.post(
        "/v1/sales-orders",
        json={
            "customer": "ACME Audio",
            "lines": [{"item_code": speaker, "quantity": "30", "due_date": "2027-02-20"}],
        },
    )
    assert order.status_code == 201, order.text

    async def planned(**body: Any) -> dict[str, str]:
        done = await run(plant, **body)
        orders = await pages(plant, f"/v1/mrp-runs/{done['id']}/planned-orders")
        return {o["due_date"]: o["quantity"] for o in orders if o["item_code"] == speaker}

    # 30 days back by default: the order is part of the forecast, 100 in all
    assert await planned() == {"2027-02-10": "70", "2027-02-20": "30"}
    assert await planned(forecast_consumption={"backward_days": 5}) == {
        "2027-02-10": "100",
        "2027-02-20": "30",
    }
    assert await planned(forecast_consumption=None) == {"2027-02-10": "100", "2027-02-20": "30"}
    done = await run(plant)
    pegs = await pages(plant, f"/v1/mrp-runs/{done['id']}/planned-orders", item_code=speaker)
    assert {p["demand_ref"]: p["quantity"] for o in pegs for p in o["pegs"]} == {
        fc_ref: "70",
        f"{order.json()['number']}/1": "30",
    }

    bad = await plant.mrp.post(
        "/v1/mrp-runs", json={"forecast_consumption": {"backward_days": -1, "forward": 2}}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "body.forecast_consumption.backward_days",
        "body.forecast_consumption.forward",
    }
