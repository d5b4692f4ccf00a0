"""The turnover report (库存周转): issued value, average of daily closing values, ratio and
days of supply per month or week, per group, with hand-computed numbers; the stock flows
it reads, their migration from an existing ledger; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, update

from services.stock.db.models import StockAggregation, StockClosing
from services.stock.domain.flows import days_in_month, month_of
from services.stock.usecases import aggregation
from services.stock.usecases.closings import flow_closings, flows_closed_through, stored_closings
from services.stock.usecases.flows import ledger_flows, stored_flows
from shared.db.migrate import alembic_config
from tests.conftest import auth
from tests.service.test_stock_dead_stock_and_since import accept, locations, receive, scrap
from tests.service.test_thin_slice_inprocess import Slice, code, make_item

D = Decimal
TODAY = datetime.now(UTC).date()
#: The last whole month (P) and the one before it (P1).
P = month_of(month_of(TODAY) - timedelta(days=1))
P1 = month_of(P - timedelta(days=1))
N, N1 = days_in_month(P), days_in_month(P1)
END_P = P.replace(day=N)


def on(month: date, day: int, hour: int = 12) -> str:
    return datetime.combine(month.replace(day=day), time(hour), UTC).isoformat()


def money(value: Fraction) -> Decimal:
    return (D(value.numerator) / D(value.denominator)).quantize(D("0.000001"), ROUND_HALF_UP)


def ratio(issued: Fraction, average: Fraction) -> Decimal:
    exact = issued / average
    return (D(exact.numerator) / D(exact.denominator)).quantize(D("0.0001"), ROUND_HALF_UP)


def supply(days: int, average: Fraction, issued: Fraction) -> Decimal:
    exact = days * average / issued
    return (D(exact.numerator) / D(exact.denominator)).quantize(D("0.1"), ROUND_HALF_UP)


async def report(s: Slice, headers: dict[str, str] | None = None, **params: Any) -> dict:
    response = await s.stock.get("/v1/reports/turnover", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def transfer(s: Slice, item: str, source: str, target: str, qty: str, posted_at: str) -> None:
    body = {
        "from_location_code": source,
        "to_location_code": target,
        "posted_at": posted_at,
        "lines": [{"item_code": item, "quantity": qty, "quality_state": "qualified"}],
    }
    response = await s.stock.post("/v1/transfers", json=body)
    assert response.status_code == 201, response.text


async def world(s: Slice) -> dict[str, str]:
    """Month P1: A 30 at 2 into WH1/S (day 1), 10 scrapped (day 11): value 60 for 10 days,
    then 40. Month P: A 10 of its 20 moved to WH2/T (day 1), 5 scrapped there (day 16): 40 for 15
    days, then 30; B (other category) 10 at 3 into WH1/S (day 5), 4 scrapped (day 25):
    nothing for 4 days, 30 for 20 days, then 18."""
    category = code("CAT")
    made = await s.catalog.post("/v1/categories", json={"code": category, "name": "Parts"})
    assert made.status_code == 201, made.text
    a = await make_item(s, tracking="none", category=category)
    b = await make_item(s, tracking="none")
    wh1, store = await locations(s, "S")
    wh2, other = await locations(s, "T")
    await receive(s, a, store, "30", price="2", posted_at=on(P1, 1, 10))
    await accept(s, a, store, "30", posted_at=on(P1, 1, 11))
    await scrap(s, a, store, "10", posted_at=on(P1, 11))
    await transfer(s, a, store, other, "10", on(P, 1))
    await scrap(s, a, other, "5", posted_at=on(P, 16))
    await receive(s, b, store, "10", price="3", posted_at=on(P, 5, 10))
    await accept(s, b, store, "10", posted_at=on(P, 5, 11))
    await scrap(s, b, store, "4", posted_at=on(P, 25))
    return {"a": a, "b": b, "category": category, "wh1": wh1, "wh2": wh2, "store": store}


# the hand-computed averages (exact) and issues
A_P1 = Fraction(60 * 10 + 40 * (N1 - 10), N1)
A_P = Fraction(40 * 15 + 30 * (N - 15), N)
B_P = Fraction(30 * 20 + 18 * (N - 24), N)


def cell(c: dict) -> tuple[Decimal, Decimal, Decimal | None, Decimal | None]:
    return (
        D(c["issued_value"]),
        D(c["average_inventory_value"]),
        None if c["turnover"] is None else D(c["turnover"]),
        None if c["days_of_supply"] is None else D(c["days_of_supply"]),
    )


def expect(days: int, issued: Fraction, average: Fraction) -> tuple:
    return (
        money(issued),
        money(average),
        ratio(issued, average) if average else None,
        supply(days, average, issued) if issued else None,
    )


async def test_monthly_turnover_by_total_item_and_category(wired: Slice) -> None:
    w = await world(wired)
    answer = await report(wired, periods=2, date_to=END_P.isoformat())
    assert answer["period"] == "month" and answer["group_by"] == "total"
    assert answer["date_from"] == P1.isoformat() and answer["date_to"] == END_P.isoformat()
    assert [p["label"] for p in answer["periods"]] == [P1.strftime("%Y-%m"), P.strftime("%Y-%m")]
    assert [p["days"] for p in answer["periods"]] == [N1, N]
    # other tests' items live in other databases: the totals are this world's
    total_p1 = expect(N1, Fraction(20), A_P1)
    total_p = expect(N, Fraction(10 + 12), A_P + B_P)
    assert [cell(c) for c in answer["totals"]] == [total_p1, total_p]
    assert cell(answer["overall"]) == expect(
        N1 + N, Fraction(42), (A_P1 * N1 + (A_P + B_P) * N) / (N1 + N)
    )
    assert answer["total_rows"] == 1 and answer["rows"][0]["key"] is None

    by_item = await report(wired, periods=2, date_to=END_P.isoformat(), group_by="item")
    rows = {row["key"]: row for row in by_item["rows"]}
    assert [row["key"] for row in by_item["rows"]] == [w["a"], w["b"]]  # by issued value
    assert rows[w["a"]]["item_name"] == "Resistor"
    assert [cell(c) for c in rows[w["a"]]["periods"]] == [
        expect(N1, Fraction(20), A_P1),
        expect(N, Fraction(10), A_P),
    ]
    assert [cell(c) for c in rows[w["b"]]["periods"]] == [
        (D(0), D(0), None, None),
        expect(N, Fraction(12), B_P),
    ]
    only_b = await report(
        wired, periods=2, date_to=END_P.isoformat(), group_by="item", limit=1, item_code=[w["b"]]
    )
    assert [row["key"] for row in only_b["rows"]] == [w["b"]] and only_b["total_rows"] == 1

    by_category = await report(wired, periods=2, date_to=END_P.isoformat(), group_by="category")
    assert [row["key"] for row in by_category["rows"]] == [w["category"], None]
    assert cell(by_category["rows"][1]["periods"][1]) == expect(N, Fraction(12), B_P)


async def test_warehouse_and_stage_groups_share_the_average_by_quantity(wired: Slice) -> None:
    w = await world(wired)
    answer = await report(
        wired, periods=1, date_to=END_P.isoformat(), group_by="warehouse", item_code=[w["a"]]
    )
    rows = {row["key"]: row for row in answer["rows"]}
    # unit cost stays 2: WH1 holds 10 all month, WH2 10 for 15 days then 5
    wh2 = 2 * Fraction(10 * 15 + 5 * (N - 15), N)
    assert cell(rows[w["wh1"]]["periods"][0]) == expect(N, Fraction(0), Fraction(20))
    assert cell(rows[w["wh2"]]["periods"][0]) == expect(N, Fraction(10), wh2)
    assert cell(answer["totals"][0]) == expect(N, Fraction(10), A_P)
    assert [row["key"] for row in answer["rows"]] == [w["wh2"], w["wh1"]]

    in_wh2 = await report(
        wired, periods=1, date_to=END_P.isoformat(), location_code=w["wh2"], subtree="true"
    )
    assert cell(in_wh2["totals"][0]) == expect(N, Fraction(10), wh2)
    nowhere = await report(wired, periods=1, date_to=END_P.isoformat(), location_code=code("NO"))
    assert cell(nowhere["totals"][0]) == (D(0), D(0), None, None)

    stages = await report(wired, periods=1, date_to=END_P.isoformat(), group_by="stage")
    assert [row["key"] for row in stages["rows"]] == ["raw"]
    raw = await report(wired, periods=1, date_to=END_P.isoformat(), stage="raw")
    finished = await report(wired, periods=1, date_to=END_P.isoformat(), stage="finished")
    assert cell(raw["totals"][0]) == expect(N, Fraction(22), A_P + B_P)
    assert cell(finished["totals"][0]) == (D(0), D(0), None, None)


async def test_weeks_partial_periods_reversals_and_roles(wired: Slice) -> None:
    item = await make_item(wired, tracking="none")
    _, store = await locations(wired, "S")
    monday = TODAY - timedelta(days=TODAY.weekday() + 7)  # last week's Monday
    await receive(wired, item, store, "7", price="10", posted_at=on(monday, monday.day, 10))
    await accept(wired, item, store, "7", posted_at=on(monday, monday.day, 11))
    sunday = monday + timedelta(days=6)
    await scrap(wired, item, store, "1", posted_at=on(sunday, sunday.day))
    taken = await scrap(wired, item, store, "2")  # today, then taken back
    back = await wired.stock.post(f"/v1/scraps/{taken['id']}/reverse")
    assert back.status_code == 200, back.text

    answer = await report(wired, period="week", periods=2, item_code=[item])
    assert [p["start"] for p in answer["periods"]] == [
        monday.isoformat(),
        (monday + timedelta(days=7)).isoformat(),
    ]
    assert answer["periods"][1]["end"] == TODAY.isoformat()
    this_week = TODAY.weekday() + 1
    assert answer["periods"][1]["days"] == this_week
    last, current = answer["totals"]
    assert cell(last) == expect(7, Fraction(10), Fraction(70 * 6 + 60, 7))
    assert cell(current) == expect(this_week, Fraction(0), Fraction(60))  # the scrap undone
    label = answer["periods"][1]["label"]
    year, week, _ = (monday + timedelta(days=7)).isocalendar()
    assert label == f"{year}-W{week:02d}"

    for role in ("warehouse", "planner"):
        blind = await report(wired, headers=auth(role), period="week", periods=2, item_code=[item])
        for c in [*blind["totals"], blind["overall"], *blind["rows"][0]["periods"]]:
            assert "issued_value" not in c and "average_inventory_value" not in c
        assert D(blind["totals"][0]["turnover"]) == cell(last)[2]


async def test_turnover_refuses_bad_parameters(wired: Slice) -> None:
    bad = await wired.stock.get(
        "/v1/reports/turnover",
        params={
            "period": "year",
            "periods": "0",
            "group_by": "lot",
            "date_to": (TODAY + timedelta(days=1)).isoformat(),
            "limit": "0",
        },
    )
    assert bad.status_code == 422, bad.text
    named = {error["field"] for error in bad.json()["errors"]}
    assert {"query.period", "query.periods", "query.group_by", "query.limit"} <= named
    future = await wired.stock.get(
        "/v1/reports/turnover", params={"date_to": (TODAY + timedelta(days=1)).isoformat()}
    )
    assert future.status_code == 422
    assert [e["field"] for e in future.json()["errors"]] == ["query.date_to"]


async def test_the_migration_sums_an_existing_ledger_into_the_flows(
    wired: Slice, database_factory
) -> None:
    """Dropping the flows and migrating again gives what posting kept (0026's SQL equals
    domain/flows.py), on a ledger with back-dated postings, moves and a reversal."""
    await world(wired)
    item = await make_item(wired, tracking="none")
    _, store = await locations(wired, "S")
    body = {"item_code": item, "location_code": store, "quantity": "3", "supplier": "Yageo"}
    assert (await wired.stock.post("/v1/receipts", json=body)).status_code == 201
    await accept(wired, item, store, "3")
    taken = await scrap(wired, item, store, "1")
    assert (await wired.stock.post(f"/v1/scraps/{taken['id']}/reverse")).status_code == 200
    line = code("LINE")
    body = {"code": line, "name": "SMT line", "location_type": "production_line"}
    assert (await wired.stock.post("/v1/locations", json=body)).status_code == 201
    await transfer(wired, item, store, line, "1", datetime.now(UTC).isoformat())
    db = wired.apps["stock"].state.db
    await aggregation.catch_up(db)
    async with db.read() as session:
        kept = await stored_flows(session)
        assert kept == await ledger_flows(session)
    # each end of the move to the line has its own stage: raw leaves, wip arrives
    moved = {
        (key.stage, sums.qty_in, sums.qty_out)
        for key, sums in kept.items()
        if key.grain == "d" and key.kind == "transfer" and key.item_code == item
    }
    assert moved == {("raw", D(0), D(1)), ("wip", D(1), D(0))}
    url = str(db.engine.url.render_as_string(hide_password=False))
    config = alembic_config("stock", url)
    await asyncio.to_thread(command.downgrade, config, "0025")
    await asyncio.to_thread(command.upgrade, config, "head")
    async with db.read() as session:
        assert await stored_flows(session) == kept


async def test_month_end_closings_follow_back_dated_postings(
    wired: Slice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The aggregation closes the months that are over; back-dated postings (and the
    revaluations they cause) reach the closed months; reports read the same with and
    without the closings."""
    w = await world(wired)
    db = wired.apps["stock"].state.db
    await aggregation.catch_up(db)
    async with db.read() as session:
        closed = await flows_closed_through(session)
        kept = await stored_closings(session)
    assert closed == P  # the last month over
    assert kept and kept == await _flow_closings(wired)
    assert {month for month, *_ in kept} == {P1, P}
    # a receipt back in P1 at another price revalues everything after it
    await receive(wired, w["a"], w["store"], "10", price="5", posted_at=on(P1, 2))
    await aggregation.catch_up(db)
    async with db.read() as session:
        assert await stored_closings(session) == await flow_closings(session)
    params = {"periods": "3", "group_by": "warehouse"}
    with_closings = await report(wired, **params)
    at_end = {"as_of_date": END_P.isoformat()}
    value = await wired.stock.get("/v1/reports/stock-value", params=at_end)
    assert value.status_code == 200, value.text
    async with db.sessionmaker() as session, session.begin():  # forget them: flows only
        await session.execute(delete(StockClosing))
        await session.execute(update(StockAggregation).values(closed_through=None))

    async def held_back(_: Any) -> int:  # and keep them forgotten (no months closed)
        return 0

    monkeypatch.setattr(aggregation, "catch_up", held_back)
    assert await report(wired, **params) == with_closings
    again = await wired.stock.get("/v1/reports/stock-value", params=at_end)
    assert again.json() == value.json()


async def _flow_closings(s: Slice) -> Any:
    async with s.apps["stock"].state.db.read() as session:
        return await flow_closings(session)
