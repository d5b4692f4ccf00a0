"""The stock value report (库存金额): quantity and value by stage x quality state at the end
of a day, from the stock flows, with hand-computed numbers, back-dating and its
revaluation, the exact tie-out with the stock overview, groupings, filters, units, roles
and bad parameters; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.stock.domain.flows import days_in_month
from tests.conftest import auth
from tests.service.test_stock_dead_stock_and_since import accept, locations, receive, scrap
from tests.service.test_stock_turnover_report import P1, P, on, transfer
from tests.service.test_thin_slice_inprocess import Slice, code, make_item

D = Decimal
END_P1 = P1.replace(day=days_in_month(P1))
END_P = P.replace(day=days_in_month(P))
TODAY = datetime.now(UTC).date()


async def report(s: Slice, headers: dict[str, str] | None = None, **params: Any) -> dict:
    response = await s.stock.get("/v1/reports/stock-value", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def overview(s: Slice, day: date, **params: Any) -> dict:
    end = datetime.combine(day, time.max, UTC).isoformat()
    response = await s.stock.get("/v1/stock-overview", params={"as_of": end, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def inspect(
    s: Slice, item: str, location: str, accepted: str, rejected: str, at: str
) -> None:
    body = {
        "item_code": item,
        "location_code": location,
        "accepted_quantity": accepted,
        "rejected_quantity": rejected,
        "sample_size": 1,
        "inspector": "Li",
        "posted_at": at,
    }
    response = await s.stock.post("/v1/inspections", json=body, headers=auth("qc"))
    assert response.status_code == 201, response.text


def cells(row: dict) -> dict[tuple[str, str], tuple[Decimal | None, Decimal]]:
    """A row's cells (a report's totals) by stage and quality state, in their order."""
    return {
        (c["stage"], c["quality_state"]): (
            None if c["quantity"] is None else D(c["quantity"]),
            D(c["value"]),
        )
        for c in (row["cells"] if "cells" in row else row["totals"])
    }


def by_key(answer: dict) -> dict[str | None, dict]:
    return {row["key"]: row for row in answer["rows"]}


def shares(value: Decimal, held: Decimal, quantities: list[Decimal]) -> list[Decimal]:
    """`value` shared over `quantities` (in the report's order) as the overview shares it."""
    out, running, before = [], D(0), D(0)
    for quantity in quantities:
        running += quantity
        upto = (running * value / held).quantize(D("0.000001"), ROUND_HALF_UP)
        out.append(upto - before)
        before = upto
    return out


async def world(s: Slice) -> dict[str, str]:
    """Item a (raw, pcs, category C), fg (finished good, pcs), bulk (raw, kg).

    P1 day 2: a 10 at 2 into WH1/S; day 3 inspected: 6 qualified, 4 defective; day 20: 1
    qualified scrapped. P1 day 5: fg 5 at 10 into WH2/T, day 6 accepted. P day 3: a 2
    qualified to WH2/T; day 4: a 1 qualified to WH1/LINE (a production line: wip); day 10:
    a 10 at 5 into WH1/S (pending). P day 12: bulk 2 kg at 3 into WH2/T (pending).
    Then, back-dated to P1 day 1: a 10 at 4 into WH1/S (pending): the scrap on P1 day 20 is
    revalued from 2 to 3 (60 for 20 then), so a is worth 57 (19) at the end of P1 instead
    of 18 (9), and 107 (29) at the end of P.
    """
    category = code("CAT")
    made = await s.catalog.post("/v1/categories", json={"code": category, "name": "Parts"})
    assert made.status_code == 201, made.text
    a = await make_item(s, tracking="none", category=category)
    fg = await make_item(s, tracking="none", item_type="finished_good")
    bulk = await make_item(s, tracking="none", uom="kg")
    wh1, store = await locations(s, "S")
    wh2, other = await locations(s, "T")
    line = f"{wh1}/LINE"
    body = {"code": line, "name": "Line", "location_type": "production_line", "parent_code": wh1}
    assert (await s.stock.post("/v1/locations", json=body)).status_code == 201

    await receive(s, a, store, "10", price="2", posted_at=on(P1, 2, 10))
    await inspect(s, a, store, "6", "4", on(P1, 3))
    await scrap(s, a, store, "1", posted_at=on(P1, 20))
    await receive(s, fg, other, "5", price="10", posted_at=on(P1, 5, 10))
    await accept(s, fg, other, "5", posted_at=on(P1, 6))
    await transfer(s, a, store, other, "2", on(P, 3))
    await transfer(s, a, store, line, "1", on(P, 4))
    await receive(s, a, store, "10", price="5", posted_at=on(P, 10))
    await receive(s, bulk, other, "2", price="3", posted_at=on(P, 12))
    return {
        "a": a,
        "fg": fg,
        "bulk": bulk,
        "category": category,
        "wh1": wh1,
        "wh2": wh2,
        "store": store,
        "other": other,
        "line": line,
    }


async def back_date(s: Slice, w: dict[str, str]) -> None:
    await receive(s, w["a"], w["store"], "10", price="4", posted_at=on(P1, 1, 9))


async def test_by_warehouse_at_past_days_with_back_dating_and_revaluation(wired: Slice) -> None:
    w = await world(wired)
    before = by_key(await report(wired, as_of_date=END_P1.isoformat()))
    assert set(before) == {w["wh1"], w["wh2"]}
    # a: 9 at 2 = 18 (4 defective, 5 qualified: 8 and 10)
    assert cells(before[w["wh1"]]) == {
        ("raw", "qualified"): (D(5), D(10)),
        ("raw", "defective"): (D(4), D(8)),
    }
    await back_date(wired, w)
    answer = await report(wired, as_of_date=END_P1.isoformat())
    assert answer["as_of_date"] == END_P1.isoformat() and answer["group_by"] == "warehouse"
    rows = by_key(answer)
    # a: 19 worth 57 (3 each): 10 pending, 5 qualified, 4 defective
    wh1 = rows[w["wh1"]]
    assert cells(wh1) == {
        ("raw", "pending_inspection"): (D(10), D(30)),
        ("raw", "qualified"): (D(5), D(15)),
        ("raw", "defective"): (D(4), D(12)),
    }
    assert [(c["stage"], c["quality_state"]) for c in wh1["cells"]] == [
        ("raw", "pending_inspection"),
        ("raw", "qualified"),
        ("raw", "defective"),
    ]
    assert (D(wh1["quantity"]), D(wh1["value"]), wh1["uom"]) == (D(19), D(57), "pcs")
    wh2 = rows[w["wh2"]]
    assert cells(wh2) == {("finished", "qualified"): (D(5), D(50))}
    assert (D(answer["total_quantity"]), D(answer["total_value"])) == (D(24), D(107))

    # end of P: a 29 worth 107; S: 4 defective, 20 pending, 2 qualified; T: 2; LINE: 1 (wip)
    answer = await report(wired, as_of_date=END_P.isoformat())
    rows = by_key(answer)
    held = D(29)
    defective, pending, qualified, at_t, at_line = shares(
        D(107), held, [D(4), D(20), D(2), D(2), D(1)]
    )
    assert cells(rows[w["wh1"]]) == {
        ("raw", "pending_inspection"): (D(20), pending),
        ("raw", "qualified"): (D(2), qualified),
        ("raw", "defective"): (D(4), defective),
        ("wip", "qualified"): (D(1), at_line),
    }
    assert cells(rows[w["wh2"]]) == {
        ("raw", "pending_inspection"): (None, D(6)),
        ("raw", "qualified"): (None, at_t),
        ("finished", "qualified"): (None, D(50)),
    }
    assert rows[w["wh2"]]["quantity"] is None and rows[w["wh2"]]["uom"] is None
    assert D(rows[w["wh2"]]["value"]) == at_t + D(56)
    assert answer["total_quantity"] is None
    assert D(answer["total_value"]) == D(107 + 50 + 6)
    # today's (the default) is the same: nothing was posted after P
    assert (await report(wired))["rows"] == answer["rows"]
    assert (await report(wired))["as_of_date"] == TODAY.isoformat()


async def test_ties_out_with_the_stock_overview(wired: Slice) -> None:
    w = await world(wired)
    await back_date(wired, w)
    # a lot-tracked item in several lots (the overview's buckets are finer), worth 40 for
    # 14: the shares do not divide
    lotted = await make_item(wired, tracking="lot")
    for lot, qty, price, day in (("L1", "3", "1", 2), ("L2", "4", "2", 3), ("L3", "2", "7", 4)):
        await receive(wired, lotted, w["store"], qty, lot=lot, price=price, posted_at=on(P1, day))
    await receive(wired, lotted, w["other"], "5", lot="L4", price="3", posted_at=on(P1, 7))
    # L2 qualified between L1 and L3 pending: one location and state in two runs of lots
    await accept(wired, lotted, w["store"], "4", lot="L2", posted_at=on(P1, 8))
    # month ends; days early in a month (its previous closing plus the days since) and
    # late in one (its own closing less the days after), around the scrap and the moves
    days = [P1.replace(day=n) for n in (3, 19, 20, 21, 27)] + [P.replace(day=n) for n in (4, 25)]
    for day in (END_P1, END_P, TODAY - timedelta(days=1), *days):
        mine = await report(wired, as_of_date=day.isoformat())
        theirs = await overview(wired, day, group_by="warehouse")
        assert D(mine["total_value"]) == D(theirs["total_value"])
        assert len(mine["rows"]) == len(theirs["rows"])
        for row in theirs["rows"]:
            ours = by_key(mine)[row["group"]["warehouse_code"]]
            assert D(ours["value"]) == D(row["value"])
            expected = {
                (c["stage"], c["quality_state"]): (D(c["quantity"]), D(c["value"]))
                for c in row["cells"]
            }
            got = cells(ours)
            assert {k: v[1] for k, v in got.items()} == {k: v[1] for k, v in expected.items()}
            assert list(got) == list(expected)  # the same order
            if ours["quantity"] is not None:
                assert D(ours["quantity"]) == D(row["total"])
                assert got == expected
        total = await report(wired, as_of_date=day.isoformat(), group_by="total")
        (only,) = total["rows"]
        assert only["key"] is None
        assert D(only["value"]) == D(total["total_value"]) == D(theirs["total_value"])
        overall = await overview(wired, day, group_by="total")
        assert {k: v[1] for k, v in cells(total).items()} == {
            (c["stage"], c["quality_state"]): D(c["value"]) for c in overall["totals"]
        }
        # the location filter shares the item's value as the overview's does
        scoped = await report(
            wired, as_of_date=day.isoformat(), location_code=w["wh1"], subtree="true"
        )
        in_wh1 = await overview(wired, day, group_by="total", location_code=w["wh1"])
        assert D(scoped["total_value"]) == D(in_wh1["total_value"])


async def test_groupings_and_filters(wired: Slice) -> None:
    w = await world(wired)
    await back_date(wired, w)
    day = END_P.isoformat()
    defective, pending, qualified, at_t, at_line = shares(
        D(107), D(29), [D(4), D(20), D(2), D(2), D(1)]
    )
    items = by_key(await report(wired, as_of_date=day, group_by="item"))
    assert set(items) == {w["a"], w["fg"], w["bulk"]}
    a = items[w["a"]]
    assert (D(a["quantity"]), D(a["value"]), a["item_name"], a["uom"]) == (
        D(29),
        D(107),
        "Resistor",
        "pcs",
    )
    assert cells(a) == {
        ("raw", "pending_inspection"): (D(20), pending),
        ("raw", "qualified"): (D(4), qualified + at_t),
        ("raw", "defective"): (D(4), defective),
        ("wip", "qualified"): (D(1), at_line),
    }
    bulk = items[w["bulk"]]
    assert (D(bulk["quantity"]), D(bulk["value"]), bulk["uom"]) == (D(2), D(6), "kg")

    categories = by_key(await report(wired, as_of_date=day, group_by="category"))
    assert set(categories) == {w["category"], None}
    assert D(categories[w["category"]]["value"]) == D(107)
    assert D(categories[w["category"]]["quantity"]) == D(29)
    assert categories[None]["quantity"] is None  # fg (pcs) and bulk (kg)
    assert list(categories) == [w["category"], None]  # null last

    places = by_key(await report(wired, as_of_date=day, group_by="location"))
    assert set(places) == {w["store"], w["other"], w["line"]}
    assert cells(places[w["line"]]) == {("wip", "qualified"): (D(1), at_line)}
    assert D(places[w["store"]]["value"]) == defective + pending + qualified

    stages = by_key(await report(wired, as_of_date=day, group_by="stage"))
    assert set(stages) == {"raw", "wip", "finished"}
    assert D(stages["wip"]["value"]) == at_line
    assert cells(stages["finished"]) == {("finished", "qualified"): (D(5), D(50))}

    # filters: location (alone or its subtree), stage, quality state, items
    only_store = await report(wired, as_of_date=day, location_code=w["store"], group_by="total")
    assert D(only_store["total_quantity"]) == D(26)
    assert D(only_store["total_value"]) == defective + pending + qualified
    wh1_alone = await report(wired, as_of_date=day, location_code=w["wh1"])
    assert wh1_alone["rows"] == [] and D(wh1_alone["total_value"]) == D(0)
    wh1 = await report(wired, as_of_date=day, location_code=w["wh1"], subtree="true")
    assert list(by_key(wh1)) == [w["wh1"]]
    nowhere = await report(wired, as_of_date=day, location_code="NO-SUCH-PLACE")
    assert nowhere["rows"] == [] and nowhere["total_quantity"] == "0"
    wip = await report(wired, as_of_date=day, stage="wip", group_by="total")
    assert (D(wip["total_quantity"]), D(wip["total_value"])) == (D(1), at_line)
    bad = await report(wired, as_of_date=day, quality_state="defective", group_by="item")
    assert cells(by_key(bad)[w["a"]]) == {("raw", "defective"): (D(4), defective)}
    some = await report(wired, as_of_date=day, item_code=[w["fg"], w["bulk"]], group_by="total")
    assert D(some["total_value"]) == D(56) and some["total_quantity"] is None
    before_any = await report(wired, as_of_date=(P1 - timedelta(days=1)).isoformat())
    assert before_any["rows"] == [] and before_any["totals"] == []


async def test_hides_values_from_roles_without_cost(wired: Slice) -> None:
    await world(wired)
    for role in ("warehouse", "planner"):
        blind = await report(wired, headers=auth(role), group_by="item")
        assert "total_value" not in blind
        assert blind["totals"] and all("value" not in c for c in blind["totals"])
        assert blind["rows"]
        for row in blind["rows"]:
            assert "value" not in row and row["quantity"] is not None
            assert row["cells"] and all("value" not in c for c in row["cells"])
    finance = await report(wired, headers=auth("finance"))
    assert "total_value" in finance


async def test_refuses_bad_parameters(wired: Slice) -> None:
    future = await wired.stock.get(
        "/v1/reports/stock-value", params={"as_of_date": (TODAY + timedelta(days=1)).isoformat()}
    )
    assert future.status_code == 422
    assert future.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in future.json()["errors"]] == ["query.as_of_date"]
    wrong = await wired.stock.get(
        "/v1/reports/stock-value",
        params={
            "group_by": "lot",
            "stage": "bogus",
            "quality_state": "fine",
            "as_of_date": "yesterday",
            "item_code": ["x"] * 501,
        },
    )
    assert wrong.status_code == 422
    assert sorted(e["field"] for e in wrong.json()["errors"]) == [
        "query.as_of_date",
        "query.group_by",
        "query.item_code",
        "query.quality_state",
        "query.stage",
    ]


async def test_a_day_in_the_first_month_of_the_calendar_holds_nothing(wired: Slice) -> None:
    await world(wired)
    for day in ("0001-01-05", "0001-01-31"):
        answer = await report(wired, as_of_date=day)
        assert answer["rows"] == [] and D(answer["total_value"]) == 0
