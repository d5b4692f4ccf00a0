"""The stock rollups (flows summed by category, item type and unit): they always equal the
flows summed over the copy of the catalog's items, through postings, reversals, back-dated
postings, items arriving in the copy late and changing category or unit; and the in/out
summary and the report query answer from them exactly what they answer from the flows
item by item (whose numbers the summary and query tests compute by hand); SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from services.stock.usecases import aggregation, report_items, rollups
from tests.service import test_stock_movement_summary as summary_tests
from tests.service import test_stock_report_query as query_tests
from tests.service import test_stock_turnover_report as turnover_tests
from tests.service.test_stock_catalog_copy import catch_up
from tests.service.test_stock_dead_stock_and_since import receive, scrap
from tests.service.test_thin_slice_inprocess import Slice


async def consistent(s: Slice) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The stored rollups (once they follow every posting), checked against the flows
    and the copy."""
    await aggregation.catch_up(s.apps["stock"].state.db)
    async with s.apps["stock"].state.db.read() as session:
        stored = await rollups.stored(session)
        assert stored == await rollups.expected(session)
        return stored


async def complete(s: Slice) -> bool:
    async with s.apps["stock"].state.db.read() as session:
        return await rollups.complete(session)


async def both_ways(monkeypatch: pytest.MonkeyPatch, ask: Callable[[], Awaitable[dict]]) -> dict:
    """The answer from the rollups, after checking the flows item by item answer the same."""
    rolled = await ask()
    with monkeypatch.context() as patch:

        async def never(session: Any) -> bool:
            return False

        patch.setattr(rollups, "complete", never)
        report_items._CACHES.clear()  # the item path reads the catalog as it is now
        by_item = await ask()
    assert rolled == by_item
    return rolled


SUMMARIES = [
    {"group_by": group, "date_from": first, "date_to": last}
    for group in ("kind", "kind_warehouse", "kind_stage")
    for first, last in (
        (summary_tests.M2, summary_tests.TODAY),
        (summary_tests.day(summary_tests.M2, 15), summary_tests.TODAY),
        (summary_tests.M1, summary_tests.day(summary_tests.M1, 20)),
        (summary_tests.M0, summary_tests.TODAY),
    )
]


async def test_the_summary_from_the_rollups(wired: Slice, monkeypatch: pytest.MonkeyPatch) -> None:
    s = wired
    made = await summary_tests.world(s)
    assert not await complete(s)  # posted before the copy had the items
    assert await consistent(s) == {}
    await catch_up(s)  # the items arrive: their flows join the rollups
    assert await complete(s)
    assert await consistent(s) != {}
    for params in SUMMARIES:
        answer = await both_ways(
            monkeypatch,
            lambda p=params: summary_tests.summary(  # type: ignore[misc]
                s, **{k: str(v) for k, v in p.items()}
            ),
        )
        assert answer["rows"], params
    # the hand-computed year (test_summary_by_kind_over_months_and_days), from the rollups
    whole = await summary_tests.summary(
        s, date_from=summary_tests.M2.isoformat(), date_to=summary_tests.TODAY.isoformat()
    )
    assert summary_tests.money(whole["totals"]) == (110, 6, 104)  # Decimal == int
    assert whole["totals"]["movements"] == 8
    filtered = await both_ways(
        monkeypatch,
        lambda: summary_tests.summary(
            s, location_code=made["wh1"], subtree="true", quality_state="qualified"
        ),
    )
    assert filtered["rows"]

    # postings after the items arrived add to the rollups; a reversal takes away
    await receive(s, made["kg"], made["x"], "2", price="7")
    # back-dated before today's moves: their values change (revaluations) with the average
    late = summary_tests.noon(summary_tests.day(summary_tests.M1, 25))
    await receive(s, made["pcs"], made["a"], "10", price="9", posted_at=late)
    await scrap(s, made["pcs"], made["a"], "1")
    taken = await scrap(s, made["pcs"], made["a"], "1")
    back = await s.stock.post(f"/v1/scraps/{taken['id']}/reverse")
    assert back.status_code == 200, back.text
    await consistent(s)
    for params in SUMMARIES[:4]:
        await both_ways(
            monkeypatch,
            lambda p=params: summary_tests.summary(  # type: ignore[misc]
                s, **{k: str(v) for k, v in p.items()}
            ),
        )


QUERIES: list[dict[str, Any]] = [
    {"measures": query_tests.ALL, "dimensions": ["month", "category"]},
    {"measures": query_tests.ALL, "dimensions": ["item_type", "warehouse"]},
    {"measures": ["issued_value", "movements"], "dimensions": ["kind", "quality_state"]},
    {"measures": query_tests.ALL, "dimensions": ["week", "stage"]},
    {"measures": ["received_quantity", "movements"], "dimensions": ["day"]},
    {"measures": query_tests.ALL, "dimensions": ["location"]},
    {"measures": ["movements", "issued_value"], "dimensions": []},
]


async def test_the_query_from_the_rollups_and_a_change_of_category(
    wired: Slice, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = wired
    made = await query_tests.world(s)
    await catch_up(s)
    assert await complete(s)
    await consistent(s)
    for body in QUERIES:
        for filters in ({}, {"category": [made["category"]]}, {"warehouse": [made["wh1"]]}):
            full = {**body, "filters": {**query_tests.dates(), **filters}}
            await both_ways(monkeypatch, lambda b=full: query_tests.query(s, b))  # type: ignore[misc]

    # A leaves its category and B joins it: their flows move in the rollups
    for code, category in ((made["a"], None), (made["b"], made["category"])):
        item = (await s.catalog.get(f"/v1/items/by-code/{code}")).json()
        changed = await s.catalog.patch(
            f"/v1/items/{item['id']}",
            json={"category": category},
            headers={"If-Match": f'W/"{item["version"]}"'},
        )
        assert changed.status_code == 200, changed.text
    await catch_up(s)
    await consistent(s)
    body = {
        "measures": ["received_value", "issued_value", "movements"],
        "dimensions": ["category"],
        "filters": query_tests.dates(),
    }
    answer = await both_ways(monkeypatch, lambda: query_tests.query(s, body))
    # P1 and P: A received 60 and issued 20 + 10; B received 30 and issued 12
    rows = {row["category"]: row for row in answer["rows"]}
    assert set(rows) == {made["category"], None}
    assert query_tests.numbers(rows[made["category"]], "received_value", "issued_value") == (
        30,
        12,
    )
    assert query_tests.numbers(rows[None], "received_value", "issued_value") == (60, 30)


async def test_turnover_from_the_rollups(wired: Slice, monkeypatch: pytest.MonkeyPatch) -> None:
    """The total and per category: the changes from the rollups, the opening from the
    closings, the same answer as item by item (whose numbers the turnover tests compute by
    hand), over months and weeks, also with a back-dated scrap posted after the copy."""
    s = wired
    made = await turnover_tests.world(s)
    await catch_up(s)
    assert await complete(s)
    await scrap(s, made["a"], made["store"], "2", posted_at=turnover_tests.on(turnover_tests.P, 20))
    await consistent(s)
    for params in (
        {"periods": "3"},
        {"periods": "3", "group_by": "category"},
        {"periods": "10", "period": "week", "group_by": "category"},
        {"periods": "2", "group_by": "category", "date_to": turnover_tests.P.isoformat()},
    ):
        answer = await both_ways(
            monkeypatch,
            lambda p=params: turnover_tests.report(s, **p),  # type: ignore[misc]
        )
        assert answer["rows"], params
