"""Moving-average valuation through the stock app: values on movements, item valuations,
values in the overview, the gap-free sequence; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location

D = Decimal


async def receive(s: Slice, item: str, location: str, qty: str, price: str | None, lot=None):
    body = {"item_code": item, "location_code": location, "quantity": qty, "supplier": "Yageo"}
    if price is not None:
        body["unit_price"] = price
    if lot is not None:
        body["lot_number"] = lot
    response = await s.stock.post("/v1/receipts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def accept(s: Slice, item: str, location: str, qty: str) -> dict:
    body = {
        "item_code": item,
        "location_code": location,
        "accepted_quantity": qty,
        "rejected_quantity": "0",
        "sample_size": 5,
        "inspector": "Li",
    }
    response = await s.stock.post("/v1/inspections", json=body, headers=auth("qc"))
    assert response.status_code == 201, response.text
    return response.json()


async def scrap(s: Slice, item: str, location: str, qty: str):
    body = {
        "location_code": location,
        "reason": "dropped",
        "lines": [{"item_code": item, "quantity": qty, "quality_state": "qualified"}],
    }
    return await s.stock.post("/v1/scraps", json=body)


async def worth(s: Slice, item: str, **params) -> tuple[D, D, D]:
    response = await s.stock.get(
        "/v1/valuation", params={"item_code": item, "include_empty": "true", **params}
    )
    assert response.status_code == 200, response.text
    (row,) = response.json()["items"]
    return D(row["quantity"]), D(row["value"]), D(row["average_cost"])


async def test_receipts_set_the_moving_average_and_issues_take_it(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    first = await receive(wired, item, location, "100", "1.00")
    assert first["unit_price"] == "1"
    (move,) = first["movements"]
    assert (D(move["unit_cost"]), D(move["value"])) == (D(1), D(100))
    between = datetime.now(UTC)
    await receive(wired, item, location, "100", "2.00")
    assert await worth(wired, item) == (D(200), D(300), D("1.5"))

    # inspection moves stock inside the books: no value changes, the movement shows its worth
    inspected = await accept(wired, item, location, "200")  # as qc, who sees no values
    assert "value" not in inspected["movements"][0]
    inspected = (await wired.stock.get(f"/v1/inspections/{inspected['id']}")).json()
    assert {D(m["value"]) for m in inspected["movements"]} == {D(300)}
    assert await worth(wired, item) == (D(200), D(300), D("1.5"))

    scrapped = await scrap(wired, item, location, "50")
    assert scrapped.status_code == 201, scrapped.text
    assert D(scrapped.json()["movements"][0]["value"]) == D(75)
    assert await worth(wired, item) == (D(150), D(225), D("1.5"))

    # a receipt without a price comes in at the average
    third = await receive(wired, item, location, "50", None)
    assert D(third["movements"][0]["value"]) == D(75)
    assert await worth(wired, item) == (D(200), D(300), D("1.5"))

    # the past: before the second receipt only the first one's value was there
    assert await worth(wired, item, as_of=between.isoformat()) == (D(100), D(100), D(1))


async def test_a_reversal_restores_the_value_it_took(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    await receive(wired, item, location, "10", "3")
    await accept(wired, item, location, "10")
    scrapped = await scrap(wired, item, location, "4")
    assert scrapped.status_code == 201
    await receive(wired, item, location, "10", "5")  # average now (18 + 50) / 16 = 4.25
    assert await worth(wired, item) == (D(16), D(68), D("4.25"))
    reversed_ = await wired.stock.post(f"/v1/scraps/{scrapped.json()['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    back = [m for m in reversed_.json()["movements"] if m["reversal_of_id"] is not None]
    assert [D(m["value"]) for m in back] == [D(12)]
    assert await worth(wired, item) == (D(20), D(80), D(4))


async def test_emptied_item_is_worth_nothing_and_remembers_its_average(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    await receive(wired, item, location, "3", "1")
    await receive(wired, item, location, "3", "1.000001")
    await accept(wired, item, location, "6")
    for _ in range(2):
        assert (await scrap(wired, item, location, "3")).status_code == 201
    # the last average (6.000003 / 6, rounded) values stock that arrives at no price
    assert await worth(wired, item) == (D(0), D(0), D("1.000001"))
    assert (await wired.stock.get("/v1/valuation", params={"item_code": item})).json()[
        "items"
    ] == []


async def test_overview_values_add_up_to_the_item_value(wired: Slice) -> None:
    item = await make_item(wired, tracking="lot")
    a, b = await make_location(wired), await make_location(wired)
    await receive(wired, item, a, "3", "1", lot=code("L"))
    await receive(wired, item, b, "3", "2", lot=code("L"))
    await receive(wired, item, b, "1", "0.5", lot=code("L"))
    response = await wired.stock.get(
        "/v1/stock-overview", params={"item_code": item, "group_by": "lot"}
    )
    body = response.json()
    assert D(body["total_value"]) == D("9.5")
    assert sum(D(row["value"]) for row in body["rows"]) == D("9.5")
    # each lot is worth its share of the item's average (9.5 / 7), rounded cumulatively
    assert sorted(D(row["value"]) for row in body["rows"]) == sorted(
        [D("1.357143"), D("4.071428"), D("4.071429")]
    )
    assert D(body["totals"][0]["value"]) == D("9.5")


async def test_values_are_for_finance_and_admin_only(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    body = {"item_code": item, "location_code": location, "quantity": "5", "unit_price": "2"}
    posted = await wired.stock.post("/v1/receipts", json=body, headers=auth("warehouse"))
    assert posted.status_code == 201, posted.text
    assert "unit_price" not in posted.json()
    assert {"value", "unit_cost"}.isdisjoint(posted.json()["movements"][0])
    overview = await wired.stock.get(
        "/v1/stock-overview", params={"item_code": item}, headers=auth("warehouse")
    )
    assert "total_value" not in overview.json()
    assert "value" not in overview.json()["totals"][0]
    assert (
        await wired.stock.get("/v1/valuation", headers=auth("warehouse"))
    ).status_code == 403
    finance = await wired.stock.get(
        "/v1/valuation", params={"item_code": item}, headers=auth("finance")
    )
    assert D(finance.json()["items"][0]["value"]) == D(10)
    # the event feed (read by the ERP connector) always carries the values
    feed = (await wired.stock.get("/v1/events", params={"limit": 500})).json()["events"]
    (event,) = [
        e
        for e in feed
        if e["type"] == "MovementPosted" and e["payload"]["item_code"] == item
    ]
    assert D(event["payload"]["value"]) == D(10)


async def test_the_ledger_sequence_has_no_gaps(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    await receive(wired, item, location, "5", "1")
    await accept(wired, item, location, "5")
    refused = await scrap(wired, item, location, "6")  # not enough: must not use a number
    assert refused.status_code == 409
    await receive(wired, item, location, "5", "1")
    rows = (await wired.stock.get("/v1/movements", params={"limit": 500})).json()["items"]
    sequences = sorted(m["sequence"] for m in rows)
    assert sequences == list(range(1, len(rows) + 1))
    assert [m["sequence"] for m in sorted(rows, key=lambda m: m["id"])] == sequences


async def test_several_items_are_valued_in_one_call_now_and_in_the_past(wired: Slice) -> None:
    location = await make_location(wired)
    first, second, other = [await make_item(wired, tracking="none") for _ in range(3)]
    await receive(wired, first, location, "4", "2.5")
    await receive(wired, second, location, "10", "0.3")
    await receive(wired, other, location, "1", "99")
    before = datetime.now(UTC).isoformat()
    await receive(wired, first, location, "4", "3.5")  # 8 at 3
    for params in ({}, {"as_of": before}):
        response = await wired.stock.get(
            "/v1/valuation", params={"item_code": [second, first, "NO-SUCH"], **params}
        )
        assert response.status_code == 200, response.text
        rows = {r["item_code"]: r for r in response.json()["items"]}
        assert list(rows) == sorted([first, second])  # by code; the other item not asked
        expected_first = ("8", "24") if not params else ("4", "10")
        assert (rows[first]["quantity"], rows[first]["value"]) == expected_first
        assert (rows[second]["quantity"], rows[second]["value"]) == ("10", "3")
        assert D(response.json()["total_value"]) == D(expected_first[1]) + 3
    too_many = await wired.stock.get("/v1/valuation", params={"item_code": ["X"] * 501})
    assert too_many.status_code == 422, too_many.text
