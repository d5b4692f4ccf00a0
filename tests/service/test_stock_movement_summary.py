"""The inbound/outbound summary by movement kind (收发汇总): periods of whole months and
single days, groupings, filters, reversals, units, who sees values, the tie-out with the
stock overview and bad parameters; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.conftest import auth
from tests.service.test_stock_dead_stock_and_since import accept, locations, receive, scrap
from tests.service.test_thin_slice_inprocess import Slice, make_item

D = Decimal
URL = "/v1/reports/movement-summary"
TODAY = datetime.now(UTC).date()
M0 = TODAY.replace(day=1)  # this month
M1 = (M0 - timedelta(days=1)).replace(day=1)  # last month
M2 = (M1 - timedelta(days=1)).replace(day=1)  # the month before
QUANTITIES = ("received", "issued", "moved_in", "moved_out", "net")


def day(month: date, number: int) -> date:
    return month.replace(day=number)


def noon(of: date) -> str:
    return f"{of.isoformat()}T12:00:00+00:00"


def end_of(of: date) -> str:
    return f"{of.isoformat()}T23:59:59.999999+00:00"


async def summary(s: Slice, headers: dict[str, str] | None = None, **params: Any) -> dict:
    response = await s.stock.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def qty(row: dict) -> tuple[Decimal | None, ...]:
    """received, issued, moved in, moved out, net quantity."""
    return tuple(
        None if row[f"{name}_quantity"] is None else D(row[f"{name}_quantity"])
        for name in QUANTITIES
    )


def money(row: dict) -> tuple[Decimal, Decimal, Decimal]:
    """received, issued, net value."""
    return D(row["received_value"]), D(row["issued_value"]), D(row["net_value"])


def by_key(answer: dict) -> dict[tuple[str, str | None], dict]:
    return {(row["kind"], row["key"]): row for row in answer["rows"]}


async def overview_value(s: Slice, **params: Any) -> Decimal:
    response = await s.stock.get("/v1/stock-overview", params=params)
    assert response.status_code == 200, response.text
    return D(response.json()["total_value"])


async def transfer(s: Slice, item: str, source: str, target: str, quantity: str) -> None:
    body = {
        "from_location_code": source,
        "to_location_code": target,
        "lines": [{"item_code": item, "quantity": quantity}],
    }
    response = await s.stock.post("/v1/transfers", json=body)
    assert response.status_code == 201, response.text


async def world(s: Slice) -> dict[str, str]:
    """Two items over two warehouses:

    pcs (no lot): 10 at 2 into WH1/A on M2-10, 10 at 4 on M1-20 (average 3), all 20
    accepted on M1-21; today 5 moved to WH2/X, 2 scrapped in WH1/A (worth 6), 1 scrapped
    in WH2/X and the scrap reversed;
    kg (no lot): 5 at 10 into WH2/X on M1-20, left pending inspection.
    """
    pcs = await make_item(s, tracking="none")
    kg = await make_item(s, tracking="none", uom="kg")
    wh1, a = await locations(s, "A")
    wh2, x = await locations(s, "X")
    await receive(s, pcs, a, "10", price="2", posted_at=noon(day(M2, 10)))
    await receive(s, pcs, a, "10", price="4", posted_at=noon(day(M1, 20)))
    await receive(s, kg, x, "5", price="10", posted_at=noon(day(M1, 20)))
    await accept(s, pcs, a, "20", posted_at=noon(day(M1, 21)))
    await transfer(s, pcs, a, x, "5")
    await scrap(s, pcs, a, "2")
    taken = await scrap(s, pcs, x, "1")
    back = await s.stock.post(f"/v1/scraps/{taken['id']}/reverse")
    assert back.status_code == 200, back.text
    return {"pcs": pcs, "kg": kg, "wh1": wh1, "a": a, "wh2": wh2, "x": x}


async def test_summary_by_kind_over_months_and_days(wired: Slice) -> None:
    await world(wired)
    whole = await summary(wired, date_from=M2.isoformat(), date_to=TODAY.isoformat())
    assert (whole["date_from"], whole["date_to"]) == (M2.isoformat(), TODAY.isoformat())
    assert whole["group_by"] == "kind"
    assert [(r["kind"], r["key"]) for r in whole["rows"]] == [
        ("inspection", None),
        ("purchase_receipt", None),
        ("scrap", None),
        ("transfer", None),
    ]
    rows = by_key(whole)
    inspection = rows[("inspection", None)]  # pending -> qualified in one location
    assert inspection["uom"] == "pcs" and inspection["movements"] == 2
    assert qty(inspection) == (D(0), D(0), D(20), D(20), D(0))
    assert money(inspection) == (D(0), D(0), D(0))
    receipts = rows[("purchase_receipt", None)]  # pcs and kg: no quantities
    assert receipts["uom"] is None and qty(receipts) == (None,) * 5
    assert money(receipts) == (D(110), D(0), D(110)) and receipts["movements"] == 3
    scrapped = rows[("scrap", None)]  # the reversed scrap is gone
    assert qty(scrapped) == (D(0), D(2), D(0), D(0), D(-2)) and scrapped["movements"] == 1
    assert money(scrapped) == (D(0), D(6), D(-6))
    moved = rows[("transfer", None)]  # one line, counted at both ends
    assert qty(moved) == (D(0), D(0), D(5), D(5), D(0)) and moved["movements"] == 2
    totals = whole["totals"]
    assert totals["uom"] is None and qty(totals) == (None,) * 5
    assert money(totals) == (D(110), D(6), D(104)) and totals["movements"] == 8

    # from the 15th of M2: the receipt of M2-10 is left out (days, then M1 whole)
    later = await summary(wired, date_from=day(M2, 15).isoformat(), date_to=TODAY.isoformat())
    assert money(by_key(later)[("purchase_receipt", None)]) == (D(90), D(0), D(90))
    assert money(later["totals"]) == (D(90), D(6), D(84))
    # M1 alone, a whole month
    last_month = await summary(
        wired, date_from=M1.isoformat(), date_to=(M0 - timedelta(days=1)).isoformat()
    )
    assert [r["kind"] for r in last_month["rows"]] == ["inspection", "purchase_receipt"]
    assert by_key(last_month)[("purchase_receipt", None)]["movements"] == 2
    # M2 alone: only the first receipt, one unit
    (first,) = (await summary(wired, date_from=M2.isoformat(), date_to=day(M2, 28).isoformat()))[
        "rows"
    ]
    assert (first["kind"], first["uom"]) == ("purchase_receipt", "pcs")
    assert qty(first) == (D(10), D(0), D(0), D(0), D(10)) and money(first)[0] == D(20)
    # days on both sides of the month boundary, no whole month
    for start, end, value in (
        (day(M2, 11), day(M1, 20), D(90)),
        (day(M2, 10), day(M1, 19), D(20)),
        (day(M2, 10), day(M1, 20), D(110)),
        (day(M2, 11), day(M1, 19), None),
    ):
        answer = await summary(wired, date_from=start.isoformat(), date_to=end.isoformat())
        found = by_key(answer).get(("purchase_receipt", None))
        assert (found and money(found)[0]) == value, (start, end)
        assert ("inspection", None) not in by_key(answer)

    # default: this month up to today, when the transfer and the scraps happened
    default = await summary(wired)
    assert (default["date_from"], default["date_to"]) == (M0.isoformat(), TODAY.isoformat())
    assert [r["kind"] for r in default["rows"]] == ["scrap", "transfer"]
    # date_from alone ends today; date_to alone starts on the first of its month
    alone = await summary(wired, date_to=day(M1, 25).isoformat())
    assert alone["date_from"] == M1.isoformat()
    assert money(alone["totals"]) == (D(90), D(0), D(90))
    assert (await summary(wired, date_from=M1.isoformat()))["date_to"] == TODAY.isoformat()


async def test_summary_grouped_by_item_warehouse_and_stage(wired: Slice) -> None:
    w = await world(wired)
    period = {"date_from": M2.isoformat(), "date_to": TODAY.isoformat()}
    per_item = by_key(await summary(wired, group_by="kind_item", **period))
    assert set(per_item) == {
        ("inspection", w["pcs"]),
        ("purchase_receipt", w["pcs"]),
        ("purchase_receipt", w["kg"]),
        ("scrap", w["pcs"]),
        ("transfer", w["pcs"]),
    }
    kg = per_item[("purchase_receipt", w["kg"])]
    assert (kg["uom"], kg["item_name"]) == ("kg", "Resistor")
    assert qty(kg) == (D(5), D(0), D(0), D(0), D(5)) and money(kg) == (D(50), D(0), D(50))
    pcs = per_item[("purchase_receipt", w["pcs"])]
    assert qty(pcs) == (D(20), D(0), D(0), D(0), D(20)) and money(pcs)[0] == D(60)

    per_warehouse = await summary(wired, group_by="kind_warehouse", **period)
    rows = by_key(per_warehouse)
    assert set(rows) == {
        ("inspection", w["wh1"]),
        ("purchase_receipt", w["wh1"]),
        ("purchase_receipt", w["wh2"]),
        ("scrap", w["wh1"]),  # the one in WH2 was reversed
        ("transfer", w["wh1"]),
        ("transfer", w["wh2"]),
    }
    assert qty(rows[("transfer", w["wh1"])]) == (D(0), D(0), D(0), D(5), D(0))
    assert qty(rows[("transfer", w["wh2"])]) == (D(0), D(0), D(5), D(0), D(0))
    assert rows[("transfer", w["wh2"])]["movements"] == 1
    assert rows[("purchase_receipt", w["wh2"])]["uom"] == "kg"
    assert money(rows[("purchase_receipt", w["wh1"])]) == (D(60), D(0), D(60))
    assert money(per_warehouse["totals"]) == (D(110), D(6), D(104))

    per_stage = await summary(wired, group_by="kind_stage", **period)
    assert {key for _, key in by_key(per_stage)} == {"raw"}
    raw = by_key(per_stage)[("purchase_receipt", "raw")]
    assert raw["uom"] is None and raw["received_quantity"] is None
    assert money(per_stage["totals"]) == (D(110), D(6), D(104))


async def test_summary_filters(wired: Slice) -> None:
    w = await world(wired)
    period = {"date_from": M2.isoformat(), "date_to": TODAY.isoformat()}
    in_wh1 = await summary(wired, location_code=w["wh1"], subtree="true", **period)
    rows = by_key(in_wh1)
    assert [r["kind"] for r in in_wh1["rows"]] == [
        "inspection",
        "purchase_receipt",
        "scrap",
        "transfer",
    ]
    assert qty(rows[("transfer", None)]) == (D(0), D(0), D(0), D(5), D(0))
    assert rows[("transfer", None)]["movements"] == 1
    totals = in_wh1["totals"]  # one item, one unit
    assert totals["uom"] == "pcs" and qty(totals) == (D(20), D(2), D(20), D(25), D(18))
    assert money(totals) == (D(60), D(6), D(54))
    assert (await summary(wired, location_code=w["wh1"], **period))["rows"] == []
    assert (await summary(wired, location_code="NO/SUCH", **period))["rows"] == []
    at_x = by_key(await summary(wired, location_code=w["x"], **period))
    assert set(at_x) == {("purchase_receipt", None), ("transfer", None)}
    assert at_x[("purchase_receipt", None)]["uom"] == "kg"

    qualified = by_key(await summary(wired, quality_state="qualified", **period))
    assert set(qualified) == {("inspection", None), ("scrap", None), ("transfer", None)}
    assert qty(qualified[("inspection", None)]) == (D(0), D(0), D(20), D(0), D(0))
    pending = by_key(await summary(wired, quality_state="pending_inspection", **period))
    assert set(pending) == {("inspection", None), ("purchase_receipt", None)}
    assert qty(pending[("inspection", None)]) == (D(0), D(0), D(0), D(20), D(0))

    assert (await summary(wired, stage="finished", **period))["rows"] == []
    assert len((await summary(wired, stage="raw", **period))["rows"]) == 4
    only_kg = await summary(wired, item_code=w["kg"], **period)
    assert [r["kind"] for r in only_kg["rows"]] == ["purchase_receipt"]
    assert only_kg["totals"]["uom"] == "kg" and D(only_kg["totals"]["net_quantity"]) == D(5)
    both = await summary(wired, item_code=[w["kg"], w["pcs"], w["kg"]], **period)
    assert money(both["totals"]) == (D(110), D(6), D(104))


async def test_summary_values_for_finance_and_admin_only(wired: Slice) -> None:
    await world(wired)
    period = {"date_from": M2.isoformat(), "date_to": TODAY.isoformat()}
    finance = await summary(wired, headers=auth("finance"), **period)
    assert money(finance["totals"]) == (D(110), D(6), D(104))
    value_fields = {"received_value", "issued_value", "net_value"}
    for role in ("warehouse", "planner"):
        blind = await summary(wired, headers=auth(role), **period)
        for row in [blind["totals"], *blind["rows"]]:
            assert not value_fields & set(row), role
        assert qty(by_key(blind)[("scrap", None)]) == (D(0), D(2), D(0), D(0), D(-2))
    anonymous = await wired.stock.get(URL, headers={"Authorization": ""})
    assert anonymous.status_code == 401


async def test_summary_net_value_ties_out_with_the_stock_value(wired: Slice) -> None:
    """A receipt back-dated before everything revalues a later scrap: the summary follows."""
    w = await world(wired)
    item = await make_item(wired, tracking="none")
    await receive(wired, item, w["a"], "10", price="1", posted_at=noon(day(M1, 5)))
    await accept(wired, item, w["a"], "10", posted_at=noon(day(M1, 6)))
    await scrap(wired, item, w["a"], "5", posted_at=noon(day(M1, 10)))  # worth 5 now
    # 10 at 4 on M2-3: the scrap then took 5 of 20 worth 50, worth 12.5
    await receive(wired, item, w["a"], "10", price="4", posted_at=noon(day(M2, 3)))
    await accept(wired, item, w["a"], "10", posted_at=noon(day(M2, 4)))
    mine = await summary(wired, item_code=item, date_from=M1.isoformat(), date_to=TODAY.isoformat())
    assert money(by_key(mine)[("scrap", None)]) == (D(0), D("12.5"), D("-12.5"))
    assert money(mine["totals"]) == (D(10), D("12.5"), D("-2.5"))

    now = await overview_value(wired)
    for start, end in (
        (M2, TODAY),
        (day(M2, 4), TODAY),
        (M1, TODAY),
        (day(M1, 6), TODAY),
        (day(M2, 11), day(M1, 20)),
        (M1, M0 - timedelta(days=1)),
        (day(M1, 10), day(M1, 10)),
        (M0, TODAY),
    ):
        answer = await summary(wired, date_from=start.isoformat(), date_to=end.isoformat())
        closing = now if end == TODAY else await overview_value(wired, as_of=end_of(end))
        opening = await overview_value(wired, as_of=end_of(start - timedelta(days=1)))
        assert D(answer["totals"]["net_value"]) == closing - opening, (start, end)


async def test_summary_refuses_bad_parameters(wired: Slice) -> None:
    tomorrow = TODAY + timedelta(days=1)

    async def fields(**params: Any) -> list[str]:
        response = await wired.stock.get(URL, params=params)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return [e["field"] for e in response.json()["errors"]]

    assert await fields(date_to=tomorrow.isoformat()) == ["query.date_to"]
    assert await fields(date_from=tomorrow.isoformat()) == ["query.date_from"]
    yesterday = TODAY - timedelta(days=1)
    assert await fields(date_from=TODAY.isoformat(), date_to=yesterday.isoformat()) == [
        "query.date_from"
    ]
    later = tomorrow + timedelta(days=1)
    assert await fields(date_from=later.isoformat(), date_to=tomorrow.isoformat()) == [
        "query.date_to",
        "query.date_from",
    ]
    too_long = TODAY - timedelta(days=3660)  # 3661 days, both included
    assert await fields(date_from=too_long.isoformat()) == ["query.date_from"]
    longest = await summary(wired, date_from=(too_long + timedelta(days=1)).isoformat())
    assert longest["rows"] == [] and longest["totals"]["movements"] == 0
    assert longest["totals"]["received_quantity"] == "0"
    wrong = await fields(
        group_by="item",
        stage="bogus",
        quality_state="ok",
        date_from="2026-02-30",
        date_to="someday",
        subtree="maybe",
    )
    assert sorted(wrong) == [
        "query.date_from",
        "query.date_to",
        "query.group_by",
        "query.quality_state",
        "query.stage",
        "query.subtree",
    ]
    assert await fields(item_code=[f"I-{n}" for n in range(501)]) == ["query.item_code"]
