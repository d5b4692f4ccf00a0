"""Material usage against the BOM standard (用料差异): standard for the output so far
(produced + scrapped, the fixed setup quantity once), actual from stock's feed (a
reversal counted back), variance in quantity and, for finance and admin only, valued at
stock's moving-average cost; and the list of orders by the size of their variance.

Worked by hand. The board: 2 chips, 3 capacitors at 10 % scrap (3.3 a board), 0.5 g of
paste a board plus 4 g per order (setup). Average costs: chips 30 at 1.20 and 10 at
1.60 (52 / 40 = 1.30), capacitors 0.10, paste 2.50, a shield (not on the BOM) 3.00.

Order A (10 boards): a receipt of 6 boards consumes 13 chips, 20 capacitors, 7 g paste and
1 shield; a receipt of 2 boards (5 chips, 6 capacitors) is reversed; MES completes 1 board
and scraps 1, consuming 4 chips, 6 capacitors, 1 g paste. So 7 produced + 1 scrapped = 8:

    component  standard         actual  variance  %       std value  actual  variance
    chip       2 x 8 = 16       17      +1        6.25    20.8       22.1    +1.3
    capacitor  3.3 x 8 = 26.4   26      -0.4      -1.52   2.64       2.6     -0.04
    paste      0.5 x 8 + 4 = 8  8       0         0       20         20      0
    shield     0                1       +1        null    0          3       +3
    total                                                 43.44      47.7    +4.26

Order B (5 boards, all made at once): 10 chips, 18 capacitors (standard 16.5: +1.5,
+9.09 %, +0.15 in value), 6.5 g paste: a larger percent but a smaller value than A.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.mrp.clients import VALUATION_PAGE, StockClient
from services.mrp.usecases.material_usage import (
    ComponentUse,
    standard_quantity,
    usage_lines,
    usage_totals,
)
from tests.conftest import auth
from tests.service.mrp_support import (
    Plant,
    eventually,
    line,
    make_item,
    make_location,
    plant_fixture,
    qualified,
    released_bom,
)

__all__ = ["plant_fixture"]

D = Decimal
PLANNER = auth("planner")
FINANCE = auth("finance")


class Shop:
    def __init__(self, plant: Plant) -> None:
        self.plant = plant

    async def build(self) -> Shop:
        plant = self.plant
        self.chip, self.cap, self.paste, self.shield = [await make_item(plant) for _ in "1234"]
        self.board = await make_item(plant, made=True)
        await released_bom(
            plant,
            self.board,
            [
                line(self.chip, "2"),
                line(self.cap, "3", scrap_percent="10"),
                line(self.paste, "0.5", fixed_quantity="4"),
            ],
        )
        self.raw = await make_location(plant)
        self.wip = await make_location(plant, "WH1/LINE", "production_line")
        self.finished = await make_location(plant, "WH1/FG", "finished_goods")
        await qualified(plant, self.chip, self.raw, "30", unit_price="1.20")
        await qualified(plant, self.chip, self.raw, "10", unit_price="1.60")
        await qualified(plant, self.cap, self.raw, "60", unit_price="0.10")
        await qualified(plant, self.paste, self.raw, "20", unit_price="2.50")
        await qualified(plant, self.shield, self.raw, "5", unit_price="3.00")
        return self

    async def order(self, quantity: str) -> dict[str, Any]:
        body = {
            "item_code": self.board,
            "quantity": quantity,
            "start_date": "2027-03-01",
            "due_date": "2027-03-05",
            "wip_location_code": self.wip,
            "output_location_code": self.finished,
            "release": True,
        }
        response = await self.plant.mrp.post("/v1/work-orders", json=body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def issue(self, order: dict, quantities: dict[str, str]) -> None:
        lines = [{"item_code": item, "quantity": q} for item, q in quantities.items()]
        body = {"work_order": order["number"], "to_location_code": self.wip, "lines": lines}
        created = await self.plant.stock.post("/v1/requisitions", json=body)
        assert created.status_code == 201, created.text
        doc = created.json()["id"]
        assert (await self.plant.stock.post(f"/v1/requisitions/{doc}/submit")).status_code == 200
        posted = await self.plant.stock.post(f"/v1/requisitions/{doc}/post")
        assert posted.status_code == 200, posted.text

    async def produce(self, order: dict, boards: str, used: dict[str, str]) -> int:
        """A production receipt posted in stock by the warehouse; MRP hears of it by feed."""
        body = {
            "work_order": order["number"],
            "to_location_code": self.finished,
            "wip_location_code": self.wip,
            "outputs": [{"item_code": self.board, "quantity": boards}],
            "components": [{"item_code": item, "quantity": q} for item, q in used.items()],
        }
        posted = await self.plant.stock.post("/v1/production-receipts", json=body)
        assert posted.status_code == 201, posted.text
        return int(posted.json()["id"])

    async def complete(self, order: dict, event: str, **body: Any) -> dict:
        """A completion from MES, through MRP."""
        payload = {
            "event_id": event,
            "operation": "0030",
            "station": "SMT-2",
            "operator": "Wang",
            "started_at": "2027-03-01T08:00:00+08:00",
            "finished_at": "2027-03-01T09:00:00+08:00",
            **body,
        }
        response = await self.plant.mrp.post(
            f"/v1/work-orders/{order['id']}/completions",
            json=payload,
            headers=auth("integration"),
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]


async def usage(plant: Plant, order: dict, headers: dict | None = None) -> Any:
    path = f"/v1/work-orders/{order['id']}/material-usage"
    return await plant.mrp.get(path, headers=headers or {})


def by_item(body: dict) -> dict[str, dict]:
    return {row["item_code"]: row for row in body["components"]}


def numbers(row: dict, *names: str) -> tuple[Decimal | None, ...]:
    return tuple(None if row[name] is None else D(row[name]) for name in names)


QUANTITIES = ("standard_quantity", "issued_quantity", "consumed_quantity", "variance_quantity")
VALUES = ("unit_cost", "standard_value", "actual_value", "variance_value")
VALUE_FIELDS = {*VALUES, "values_complete"}


def valuations(plant: Plant) -> int:
    return sum(1 for r in plant.transport.requests if r.url.path.endswith("/v1/valuation"))


async def order_a(plant: Plant, s: Shop) -> dict:
    """Issue to order A, post two receipts by hand, reverse the second, complete by MES."""
    order = await s.order("10")
    await s.issue(order, {s.chip: "24", s.cap: "40", s.paste: "12", s.shield: "2"})
    await s.produce(order, "6", {s.chip: "13", s.cap: "20", s.paste: "7", s.shield: "1"})
    second = await s.produce(order, "2", {s.chip: "5", s.cap: "6"})

    async def counted() -> bool:
        got = (await plant.mrp.get(f"/v1/work-orders/{order['id']}")).json()
        return got["produced_quantity"] == "8"

    await eventually(counted, what="both production receipts on the work order")
    reversed_ = await plant.stock.post(f"/v1/production-receipts/{second}/reverse")
    assert reversed_.status_code == 200, reversed_.text

    async def taken_back() -> bool:
        got = (await plant.mrp.get(f"/v1/work-orders/{order['id']}")).json()
        return got["produced_quantity"] == "6"

    await eventually(taken_back, what="the reversal on the work order")
    consumed = [{"item_code": s.chip, "quantity": "4"}, {"item_code": s.cap, "quantity": "6"}]
    consumed.append({"item_code": s.paste, "quantity": "1"})
    s_done = await s.complete(
        order, "EV-A1", produced=[{"quantity": "1"}], scrap_quantity="1", consumed=consumed
    )
    assert s_done["work_order"]["produced_quantity"] == "7"
    return order


async def test_usage_against_standard_with_values_for_finance(plant: Plant) -> None:
    s = await Shop(plant).build()
    order = await order_a(plant, s)
    response = await usage(plant, order, FINANCE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["number"], body["item_code"], body["status"]) == (
        order["number"],
        s.board,
        "in_progress",
    )
    assert numbers(body, "produced_quantity", "scrapped_quantity", "standard_basis_quantity") == (
        7,
        1,
        8,
    )
    rows = by_item(body)
    assert list(rows) == [s.chip, s.cap, s.paste, s.shield]  # BOM order, then the extra
    assert [rows[c]["in_bom"] for c in rows] == [True, True, True, False]
    assert numbers(rows[s.chip], *QUANTITIES) == (16, 24, 17, 1)
    assert numbers(rows[s.cap], *QUANTITIES) == (D("26.4"), 40, 26, D("-0.4"))
    assert numbers(rows[s.paste], *QUANTITIES) == (8, 12, 8, 0)
    assert numbers(rows[s.shield], *QUANTITIES) == (0, 2, 1, 1)
    assert [rows[c]["variance_percent"] for c in rows] == ["6.25", "-1.52", "0", None]
    assert numbers(rows[s.chip], *VALUES) == (D("1.3"), D("20.8"), D("22.1"), D("1.3"))
    assert numbers(rows[s.cap], *VALUES) == (D("0.1"), D("2.64"), D("2.6"), D("-0.04"))
    assert numbers(rows[s.paste], *VALUES) == (D("2.5"), 20, 20, 0)
    assert numbers(rows[s.shield], *VALUES) == (3, 0, 3, 3)
    assert (body["components_over"], body["components_under"]) == (2, 1)
    totals = numbers(body, "standard_value", "actual_value", "variance_value")
    assert totals == (D("43.44"), D("47.7"), D("4.26"))
    assert body["values_complete"] is True
    # the costs came from stock's valuation, every component in one call
    asked = [r for r in plant.transport.requests if r.url.path.endswith("/v1/valuation")]
    assert set(asked[-1].url.params.get_list("item_code")) == {s.chip, s.cap, s.paste, s.shield}
    # admin sees the same
    assert (await usage(plant, order)).json() == body
    # many items: a call per VALUATION_PAGE codes; codes stock never valued are absent
    client = StockClient(plant.transport.apps["mrp"].state.client)
    unknown = [f"NO-SUCH-{n}" for n in range(VALUATION_PAGE)]
    start = len(plant.transport.requests)
    costs = await client.average_costs([s.chip, s.cap, s.paste, s.shield, *unknown])
    assert costs == {s.chip: D("1.3"), s.cap: D("0.1"), s.paste: D("2.5"), s.shield: 3}
    calls = [r for r in plant.transport.requests[start:] if r.url.path.endswith("/v1/valuation")]
    assert [len(r.url.params.get_list("item_code")) for r in calls] == [VALUATION_PAGE, 4]


async def test_roles_without_cost_see_quantities_only_and_never_wait_for_stock(
    plant: Plant,
) -> None:
    s = await Shop(plant).build()
    order = await order_a(plant, s)
    full = (await usage(plant, order, FINANCE)).json()
    asked_before = valuations(plant)
    planner = await usage(plant, order, PLANNER)
    assert planner.status_code == 200, planner.text
    body = planner.json()
    assert not VALUE_FIELDS & set(body)
    assert all(not VALUE_FIELDS & set(row) for row in body["components"])
    # everything else is the same answer
    expected = {k: v for k, v in full.items() if k not in VALUE_FIELDS}
    expected["components"] = [
        {k: v for k, v in row.items() if k not in VALUE_FIELDS} for row in full["components"]
    ]
    assert body == expected
    assert valuations(plant) == asked_before  # stock was not asked for costs
    # stock down: finance gets a problem, never made-up values; the planner is not hurt
    stock = plant.transport.apps.pop("stock")
    try:
        down = await usage(plant, order, FINANCE)
        assert down.status_code == 503, down.text
        assert down.headers["content-type"].startswith("application/problem+json")
        assert down.json()["code"] == "service_unavailable"
        listed = await plant.mrp.get("/v1/usage-variances", headers=FINANCE)
        assert listed.status_code == 503 and listed.json()["code"] == "service_unavailable"
        assert (await usage(plant, order, PLANNER)).json() == body
    finally:
        plant.transport.register("stock", stock)


async def test_unknown_order_is_404(plant: Plant) -> None:
    missing = await plant.mrp.get("/v1/work-orders/987654321/material-usage")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    bad = await plant.mrp.get("/v1/work-orders/0/material-usage")
    assert bad.status_code == 422


async def test_list_sorted_by_value_for_finance_and_by_percent_for_others(plant: Plant) -> None:
    s = await Shop(plant).build()
    a = await order_a(plant, s)
    b = await s.order("5")
    await s.issue(b, {s.chip: "10", s.cap: "18", s.paste: "6.5"})
    consumed = {s.chip: "10", s.cap: "18", s.paste: "6.5"}
    await s.complete(
        b,
        "EV-B1",
        produced=[{"quantity": "5"}],
        consumed=[{"item_code": item, "quantity": q} for item, q in consumed.items()],
    )
    idle = await s.order("3")  # released, nothing done: not listed
    finance = await plant.mrp.get("/v1/usage-variances", headers=FINANCE)
    assert finance.status_code == 200, finance.text
    body = finance.json()
    assert body["sorted_by"] == "variance_value" and body["more"] is False
    assert [row["number"] for row in body["items"]] == [a["number"], b["number"]]
    first, second = body["items"]
    assert numbers(first, "standard_value", "actual_value", "variance_value") == (
        D("43.44"),
        D("47.7"),
        D("4.26"),
    )
    assert (first["components_over"], first["components_under"]) == (2, 1)
    assert first["largest_variance_percent"] == "6.25"
    assert numbers(first, "produced_quantity", "scrapped_quantity") == (7, 1)
    # B: 10 x 1.3 + 16.5 x 0.1 + 6.5 x 2.5 = 13 + 1.65 + 16.25 = 30.9 standard
    assert numbers(second, "standard_value", "actual_value", "variance_value") == (
        D("30.9"),
        D("31.05"),
        D("0.15"),
    )
    assert (second["status"], second["components_over"], second["components_under"]) == (
        "completed",
        1,
        0,
    )
    assert second["largest_variance_percent"] == "9.09"
    planner = await plant.mrp.get("/v1/usage-variances", headers=PLANNER)
    assert planner.status_code == 200, planner.text
    rows = planner.json()
    assert rows["sorted_by"] == "variance_percent"
    assert [row["number"] for row in rows["items"]] == [b["number"], a["number"]]
    assert all(not VALUE_FIELDS & set(row) for row in rows["items"])
    assert idle["number"] not in {row["number"] for row in rows["items"]}

    async def listed(**params: Any) -> list[str]:
        got = await plant.mrp.get("/v1/usage-variances", params=params, headers=FINANCE)
        assert got.status_code == 200, got.text
        return [row["number"] for row in got.json()["items"]]

    assert await listed(status="completed") == [b["number"]]
    assert await listed(item_code=s.board, status="in_progress") == [a["number"]]
    assert await listed(item_code=s.chip) == []
    first_day, today = a["created_at"][:10], datetime.now(UTC).date().isoformat()
    assert await listed(date_from=first_day, date_to=today) == [a["number"], b["number"]]
    assert await listed(date_to="2020-01-01") == []
    assert await listed(date_from="2999-01-01") == []
    one = await plant.mrp.get("/v1/usage-variances", params={"limit": 1}, headers=FINANCE)
    assert [row["number"] for row in one.json()["items"]] == [a["number"]]
    assert one.json()["more"] is True


async def test_bad_list_parameters_are_named_in_one_problem(plant: Plant) -> None:
    bad = await plant.mrp.get(
        "/v1/usage-variances",
        params={"limit": "0", "status": "done", "date_from": "yesterday", "item_code": ""},
    )
    assert bad.status_code == 422
    problem = bad.json()
    assert problem["code"] == "validation_error"
    fields = {error["field"] for error in problem["errors"]}
    assert fields == {"query.limit", "query.status", "query.date_from", "query.item_code"}
    big = await plant.mrp.get("/v1/usage-variances", params={"limit": "1001"})
    assert big.status_code == 422 and big.json()["errors"][0]["field"] == "query.limit"
    backwards = await plant.mrp.get(
        "/v1/usage-variances", params={"date_from": "2027-03-02", "date_to": "2027-03-01"}
    )
    assert backwards.status_code == 422
    assert [e["field"] for e in backwards.json()["errors"]] == ["query.date_from"]


def test_standard_counts_fixed_once_and_rounds_up() -> None:
    assert standard_quantity(D("0.5"), D("4"), D(0)) == 0  # nothing made: no setup yet
    assert standard_quantity(D("0.5"), D("4"), D(1)) == D("4.5")
    assert standard_quantity(D("0.3333333333"), D(0), D(3)) == D("1")  # 0.9999999999 up
    uses = [
        ComponentUse(1, "A", True, D("2"), D(0), D(0), D("3")),
        ComponentUse(2, "B", True, D("1"), D("1"), D(0), D("1")),
    ]
    lines = usage_lines(uses, D(1), {"A": D("0.5")})  # B has no cost
    assert [(line.standard, line.variance, line.percent) for line in lines] == [
        (2, 1, D("50")),
        (2, -1, D("-50")),
    ]
    totals = usage_totals(lines)
    assert (totals.over, totals.under, totals.complete) == (1, 1, False)
    assert (totals.standard_value, totals.actual_value, totals.variance_value) == (
        1,
        D("1.5"),
        D("0.5"),
    )
    assert totals.largest_percent == D("50")  # the first of equal size
