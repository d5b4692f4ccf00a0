"""The report query (`POST /v1/reports/query`): flow and stock measures by month,
category, supplier, customer, warehouse, quality state, week and day, with hand-computed
numbers; filters, sort and limit, mixed units, reversals, every bad field in one 422,
value measures by role, CSV and .xlsx with its chart; SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from services.stock.domain.flows import days_in_month, month_of
from tests.conftest import auth
from tests.service.test_stock_dead_stock_and_since import accept, locations, scrap
from tests.service.test_stock_turnover_report import on, transfer
from tests.service.test_thin_slice_inprocess import Slice, code, make_item

D = Decimal
URL = "/v1/reports/query"
TODAY = datetime.now(UTC).date()
#: The last whole month (P) and the one before it (P1).
P = month_of(month_of(TODAY) - timedelta(days=1))
P1 = month_of(P - timedelta(days=1))
END_P = P.replace(day=days_in_month(P))
LABEL_P, LABEL_P1 = P.strftime("%Y-%m"), P1.strftime("%Y-%m")
ALL = ["received_quantity", "received_value", "issued_quantity", "issued_value", "movements"]


async def query(
    s: Slice, body: dict[str, Any], headers: dict[str, str] | None = None, **params: Any
) -> dict:
    response = await s.stock.post(URL, json=body, headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def dates(first: date = P1, last: date = END_P) -> dict[str, str]:
    return {"date_from": first.isoformat(), "date_to": last.isoformat()}


def numbers(row: dict, *names: str) -> tuple[Any, ...]:
    return tuple(
        None if row[n] is None else (row[n] if isinstance(row[n], int) else D(row[n]))
        for n in names
    )


async def receive(
    s: Slice, item: str, location: str, qty: str, price: str, posted_at: str, supplier: str
) -> None:
    body = {
        "item_code": item,
        "location_code": location,
        "quantity": qty,
        "unit_price": price,
        "posted_at": posted_at,
        "supplier": supplier,
    }
    response = await s.stock.post("/v1/receipts", json=body)
    assert response.status_code == 201, response.text


async def world(s: Slice) -> dict[str, str]:
    """P1: A (pcs, category CAT) 30 at 2 from Yageo into WH1/S (day 3), 10 scrapped (day 11).
    P: 10 A moved to WH2/T (day 1); B (kg, no category) 10 at 3 from Murata into WH1/S
    (day 5); 5 A scrapped in WH2/T (day 16), 4 B scrapped in WH1/S (day 25).
    At the end of P: A 10 in WH1 and 5 in WH2 (worth 30), B 6 in WH1 (worth 18)."""
    category = code("CAT")
    made = await s.catalog.post("/v1/categories", json={"code": category, "name": "Parts"})
    assert made.status_code == 201, made.text
    a = await make_item(s, tracking="none", category=category)
    b = await make_item(s, tracking="none", uom="kg")
    wh1, store = await locations(s, "S")
    wh2, other = await locations(s, "T")
    await receive(s, a, store, "30", "2", on(P1, 3, 10), "Yageo")
    await accept(s, a, store, "30", posted_at=on(P1, 3, 11))
    await scrap(s, a, store, "10", posted_at=on(P1, 11))
    await transfer(s, a, store, other, "10", on(P, 1))
    await receive(s, b, store, "10", "3", on(P, 5, 10), "Murata")
    await accept(s, b, store, "10", posted_at=on(P, 5, 11))
    await scrap(s, a, other, "5", posted_at=on(P, 16))
    await scrap(s, b, store, "4", posted_at=on(P, 25))
    return {"a": a, "b": b, "category": category, "wh1": wh1, "wh2": wh2, "store": store}


async def test_flows_and_stock_by_month_and_category(wired: Slice) -> None:
    w = await world(wired)
    body = {"measures": ALL, "dimensions": ["month", "category"], "filters": dates()}
    answer = await query(wired, body)
    assert answer["columns"] == ["month", "category", *ALL]
    assert [(r["month"], r["category"]) for r in answer["rows"]] == [
        (LABEL_P1, w["category"]),
        (LABEL_P, w["category"]),
        (LABEL_P, None),
    ]
    # the inspection moved stock between quality states: one movement, nothing received
    assert [numbers(r, *ALL) for r in answer["rows"]] == [
        (D(30), D(60), D(10), D(20), 3),
        (D(0), D(0), D(5), D(10), 2),
        (D(10), D(30), D(4), D(12), 3),
    ]
    assert answer["total_rows"] == 3
    assert answer["chart"]["labels"] == [
        f"{LABEL_P1} / {w['category']}",
        f"{LABEL_P} / {w['category']}",
        f"{LABEL_P} / -",
    ]
    assert [s["name"] for s in answer["chart"]["series"]] == ALL
    assert answer["chart"]["series"][3]["data"] == ["20", "10", "12"]

    # a range cut inside P1 reads day rows there and says the same
    cut = await query(wired, {**body, "filters": dates(P1.replace(day=2))})
    assert cut["rows"] == answer["rows"]

    stock = {"measures": ["quantity", "value"], "dimensions": ["month", "category"]}
    held = await query(wired, {**stock, "filters": dates()})
    assert [numbers(r, "quantity", "value") for r in held["rows"]] == [
        (D(20), D(40)),
        (D(15), D(30)),
        (D(6), D(18)),
    ]
    # by month alone P mixes pcs and kg: no quantity, the value still adds up
    trend = await query(wired, {**stock, "dimensions": ["month"], "filters": dates()})
    assert [(r["month"], *numbers(r, "quantity", "value")) for r in trend["rows"]] == [
        (LABEL_P1, D(20), D(40)),
        (LABEL_P, None, D(48)),
    ]
    assert trend["chart"]["labels"] == [LABEL_P1, LABEL_P]
    assert trend["chart"]["series"][0]["data"] == ["20", None]


async def test_by_supplier_and_by_customer(wired: Slice) -> None:
    w = await world(wired)
    body = {
        "measures": ["received_quantity", "received_value", "movements"],
        "dimensions": ["supplier"],
        "filters": {**dates(), "supplier": ["Yageo", "Murata"]},
    }
    answer = await query(wired, body)
    assert [(r["supplier"], *numbers(r, *body["measures"])) for r in answer["rows"]] == [
        ("Murata", D(10), D(30), 1),
        ("Yageo", D(30), D(60), 1),
    ]

    goods = await make_item(wired, tracking="none", item_type="finished_good")
    _, store = await locations(wired, "FG")
    await receive(wired, goods, store, "5", "10", datetime.now(UTC).isoformat(), "Own")
    await accept(wired, goods, store, "5")
    shipped = await wired.stock.post(
        "/v1/shipments",
        json={
            "sales_order": "SO-1",
            "customer": "ACME Robotics",
            "from_location_code": store,
            "lines": [{"item_code": goods, "quantity": "2"}],
        },
    )
    assert shipped.status_code == 201, shipped.text
    by_customer = await query(
        wired,
        {
            "measures": ["issued_quantity", "issued_value"],
            "dimensions": ["customer", "item_type"],
            "filters": {"item_code": [goods, w["a"]]},
        },
    )
    assert [
        (r["customer"], r["item_type"], *numbers(r, "issued_quantity", "issued_value"))
        for r in by_customer["rows"]
    ] == [("ACME Robotics", "finished_good", D(2), D(20))]


async def overview(s: Slice, as_of: str) -> dict[str | None, Decimal]:
    response = await s.stock.get(
        "/v1/stock-overview", params={"group_by": "warehouse", "as_of": as_of}
    )
    assert response.status_code == 200, response.text
    data = response.json()
    values: dict[str | None, Decimal] = {
        row["group"]["warehouse_code"]: D(row["value"]) for row in data["rows"]
    }
    values[None] = D(data["total_value"])
    return values


async def test_warehouse_and_quality_state_tie_out_with_the_overview(wired: Slice) -> None:
    w = await world(wired)
    body = {
        "measures": ["quantity", "value", "issued_quantity"],
        "dimensions": ["warehouse", "quality_state"],
        "filters": dates(P, END_P),
    }
    answer = await query(wired, body)
    rows = {(r["warehouse"], r["quality_state"]): r for r in answer["rows"]}
    assert set(rows) == {(w["wh1"], "qualified"), (w["wh2"], "qualified")}
    # WH1 holds 10 pcs of A and 6 kg of B: no quantity
    assert numbers(rows[w["wh1"], "qualified"], *body["measures"]) == (None, D(38), None)
    assert numbers(rows[w["wh2"], "qualified"], *body["measures"]) == (D(5), D(10), D(5))
    seen = await overview(wired, f"{END_P.isoformat()}T23:59:59.999999+00:00")
    assert seen[w["wh1"]] == D(38) and seen[w["wh2"]] == D(10)
    assert seen[None] == sum((D(r["value"]) for r in answer["rows"]), D(0)) == D(48)

    # the pending stock at the end of P1's day 3 (received at 10, accepted at 11 that day)
    early = await query(
        wired,
        {"measures": ["quantity"], "dimensions": ["quality_state", "stage", "location"],
         "filters": dates(P1, P1.replace(day=2))},
    )  # fmt: skip
    assert early["rows"] == []
    only_wh2 = await query(
        wired,
        {
            "measures": ["issued_quantity", "quantity", "value"],
            "dimensions": ["item"],
            "filters": {**dates(), "warehouse": [w["wh2"]]},
        },
    )
    assert [(r["item"], *numbers(r, "issued_quantity", "quantity", "value"))
            for r in only_wh2["rows"]] == [(w["a"], D(5), D(5), D(10))]  # fmt: skip


async def test_filters_sort_and_limit(wired: Slice) -> None:
    w = await world(wired)
    body = {
        "measures": ["issued_value", "issued_quantity"],
        "dimensions": ["item"],
        "filters": dates(),
        "sort": [{"by": "issued_value", "direction": "desc"}],
        "limit": 1,
    }
    answer = await query(wired, body)
    assert answer["total_rows"] == 2
    assert [(r["item"], *numbers(r, "issued_value")) for r in answer["rows"]] == [
        (w["a"], D(30))
    ]
    ascending = await query(wired, {**body, "sort": [{"by": "issued_value"}], "limit": 5})
    assert [r["item"] for r in ascending["rows"]] == [w["b"], w["a"]]

    in_category = await query(
        wired,
        {"measures": ["issued_quantity", "quantity"], "filters": {**dates(),
         "category": [w["category"]]}},
    )  # fmt: skip
    assert [numbers(r, "issued_quantity", "quantity") for r in in_category["rows"]] == [
        (D(15), D(15))
    ]
    scrapped = await query(
        wired,
        {
            "measures": ["issued_quantity", "movements"],
            "dimensions": ["kind", "item"],
            "filters": {**dates(), "kind": ["scrap"], "location_code": [w["store"]]},
        },
    )
    assert [
        (r["kind"], r["item"], *numbers(r, "issued_quantity", "movements"))
        for r in scrapped["rows"]
    ] == sorted([("scrap", w["a"], D(10), 1), ("scrap", w["b"], D(4), 1)])
    # receipts of pcs and kg: no quantity, but the row is there with its value
    mixed = await query(
        wired,
        {"measures": ["received_quantity", "received_value"], "dimensions": ["kind"],
         "filters": {**dates(), "kind": ["purchase_receipt"]}},
    )  # fmt: skip
    assert mixed["rows"] == [
        {"kind": "purchase_receipt", "received_quantity": None, "received_value": "90"}
    ]
    # a transfer touches two stock locations: counted at each with a location dimension
    moved = await query(
        wired,
        {"measures": ["movements"], "dimensions": ["location"],
         "filters": {**dates(P, P), "item_code": [w["a"]]}},
    )  # fmt: skip
    assert sorted((r["location"], r["movements"]) for r in moved["rows"]) == sorted(
        [(w["store"], 1), (f"{w['wh2']}/T", 1)]
    )
    once = await query(
        wired,
        {"measures": ["movements"], "filters": {**dates(P, P), "item_code": [w["a"]]}},
    )
    assert once["rows"] == [{"movements": 1}]
    raw = await query(
        wired, {"measures": ["quantity"], "filters": {**dates(), "stage": ["finished"]}}
    )
    assert raw["rows"] == [{"quantity": "0"}]


async def test_weeks_days_and_a_reversed_scrap(wired: Slice) -> None:
    item = await make_item(wired, tracking="none")
    _, store = await locations(wired, "S")
    monday = TODAY - timedelta(days=TODAY.weekday() + 7)  # last week's Monday
    sunday = monday + timedelta(days=6)
    await receive(wired, item, store, "7", "10", on(monday, monday.day, 10), "Yageo")
    await accept(wired, item, store, "7", posted_at=on(monday, monday.day, 11))
    await scrap(wired, item, store, "1", posted_at=on(sunday, sunday.day))
    taken = await scrap(wired, item, store, "2")  # today, then taken back
    back = await wired.stock.post(f"/v1/scraps/{taken['id']}/reverse")
    assert back.status_code == 200, back.text
    measures = ["received_quantity", "issued_quantity", "movements", "quantity", "value"]
    year, week, _ = monday.isocalendar()
    weekly = await query(
        wired,
        {"measures": measures, "dimensions": ["week"],
         "filters": {"date_from": monday.isoformat(), "item_code": [item]}},
    )  # fmt: skip
    this_year, this_week, _ = TODAY.isocalendar()
    assert [(r["week"], *numbers(r, *measures)) for r in weekly["rows"]] == [
        (f"{year}-W{week:02d}", D(7), D(1), 3, D(6), D(60)),
        (f"{this_year}-W{this_week:02d}", D(0), D(0), 0, D(6), D(60)),  # the scrap undone
    ]
    daily = await query(
        wired,
        {"measures": measures, "dimensions": ["day"],
         "filters": {"date_from": monday.isoformat(), "date_to": sunday.isoformat()}},
    )  # fmt: skip
    assert [r["day"] for r in daily["rows"]] == [
        (monday + timedelta(days=n)).isoformat() for n in range(7)
    ]
    assert numbers(daily["rows"][0], *measures) == (D(7), D(0), 2, D(7), D(70))
    assert numbers(daily["rows"][3], *measures) == (D(0), D(0), 0, D(7), D(70))
    assert numbers(daily["rows"][6], *measures) == (D(0), D(1), 1, D(6), D(60))


async def test_every_bad_field_in_one_422(wired: Slice) -> None:
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    bad = await wired.stock.post(
        URL,
        json={
            "measures": ["bogus", "value", "value"],
            "dimensions": ["month", "week", "nope", "kind"],
            "filters": {"date_to": tomorrow, "supplier": ["Yageo"]},
            "sort": [{"by": "item"}, {"by": "value", "direction": "desc"}],
        },
    )
    assert bad.status_code == 422, bad.text
    assert bad.headers["content-type"].startswith("application/problem+json")
    found = {(e["field"], e["type"]) for e in bad.json()["errors"]}
    assert found == {
        ("body.measures.0", "unknown_measure"),
        ("body.measures.2", "duplicate"),
        ("body.dimensions.1", "second_time_dimension"),
        ("body.dimensions.2", "unknown_dimension"),
        ("body.dimensions.3", "not_with_stock_measures"),
        ("body.filters.supplier", "not_with_stock_measures"),
        ("body.sort.0.by", "not_in_query"),
        ("body.filters.date_to", "future"),
    }
    backwards = await wired.stock.post(
        URL, json={"measures": ["movements"], "filters": dates(END_P, P)}
    )
    assert [e["field"] for e in backwards.json()["errors"]] == ["body.filters.date_from"]
    too_long = await wired.stock.post(
        URL,
        json={"measures": ["movements"],
              "filters": {"date_from": (TODAY - timedelta(days=3660)).isoformat()}},
    )  # fmt: skip
    assert [e["type"] for e in too_long.json()["errors"]] == ["too_long"]
    schema = await wired.stock.post(URL, json={"measures": [], "limit": 0})
    assert schema.status_code == 422
    assert {e["field"] for e in schema.json()["errors"]} == {"body.measures", "body.limit"}


async def test_value_measures_need_a_cost_role(wired: Slice) -> None:
    w = await world(wired)
    body = {
        "measures": ["issued_quantity", "issued_value", "value"],
        "filters": {**dates(), "item_code": [w["a"]]},
    }
    for role in ("warehouse", "planner"):
        refused = await wired.stock.post(URL, json=body, headers=auth(role))
        assert refused.status_code == 403, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [
            "body.measures.1",
            "body.measures.2",
        ]
        sorted_by = await wired.stock.post(
            URL,
            json={"measures": ["issued_quantity"], "sort": [{"by": "issued_value"}]},
            headers=auth(role),
        )
        assert sorted_by.status_code == 422  # not in the query, and not askable either
        plain = await query(wired, {**body, "measures": ["issued_quantity"]}, auth(role))
        assert numbers(plain["rows"][0], "issued_quantity") == (D(15),)
    allowed = await query(wired, body, auth("finance"))
    assert numbers(allowed["rows"][0], *body["measures"]) == (D(15), D(30), D(30))


async def test_csv_and_xlsx_with_its_chart(wired: Slice) -> None:
    w = await world(wired)
    body = {
        "measures": ["received_quantity", "issued_value"],
        "dimensions": ["month", "category"],
        "filters": dates(),
    }
    response = await wired.stock.post(URL, json=body, params={"format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="report.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [
        {"month": LABEL_P1, "category": w["category"], "received_quantity": "30",
         "issued_value": "20"},
        {"month": LABEL_P, "category": w["category"], "received_quantity": "0",
         "issued_value": "10"},
        {"month": LABEL_P, "category": "", "received_quantity": "10", "issued_value": "12"},
    ]  # fmt: skip

    response = await wired.stock.post(URL, json=body, params={"format": "xlsx"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"] == 'attachment; filename="report.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Data"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [
        ["month", "category", "received_quantity", "issued_value"],
        [LABEL_P1, w["category"], 30, 20],
        [LABEL_P, w["category"], 0, 10],
        [LABEL_P, None, 10, 12],
    ]
    assert len(sheet._charts) == 1
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert "<c:lineChart>" in chart
    assert "'Data'!$C$2:$C$4" in chart and "'Data'!$D$2:$D$4" in chart
    assert "'Data'!$A$2:$B$4" in chart  # month and category: a two-level axis

    columns = await wired.stock.post(
        URL, json={**body, "dimensions": ["category"]}, params={"format": "xlsx"}
    )
    with zipfile.ZipFile(io.BytesIO(columns.content)) as archive:
        assert "<c:barChart>" in archive.read("xl/charts/chart1.xml").decode()
