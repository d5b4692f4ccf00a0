"""The flows, closings and rollups follow the ledger after postings commit
(services/stock/usecases/aggregation.py): postings leave them alone, a catch-up adds
exactly what is new (in batches, in order), a back-dated posting corrects the sums of
the movements it revalues that they already hold and no others, and the background loop
follows postings by itself."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from services.stock.app import follow_ledger
from services.stock.db.models import LedgerCounter, StockAggregation
from services.stock.usecases import aggregation, rollups
from services.stock.usecases.closings import flow_closings, stored_closings
from services.stock.usecases.flows import ledger_flows, stored_flows
from tests.service.test_stock_catalog_copy import catch_up as copy_catalog
from tests.service.test_stock_dead_stock_and_since import accept, locations, receive, scrap
from tests.service.test_stock_turnover_report import P1, P, on
from tests.service.test_thin_slice_inprocess import Slice, make_item


async def positions(s: Slice) -> tuple[int, int]:
    """(the last sequence posted, the last the aggregates hold)."""
    async with s.apps["stock"].state.db.read() as session:
        last = await session.scalar(select(LedgerCounter.last_sequence))
        through = await session.scalar(select(StockAggregation.flows_through))
    assert last is not None and through is not None
    return last, through


async def exact(s: Slice) -> None:
    """The aggregates equal the ledger summed: flows, closings, rollups."""
    async with s.apps["stock"].state.db.read() as session:
        assert await stored_flows(session) == await ledger_flows(session)
        assert await stored_closings(session) == await flow_closings(session)
        assert await rollups.stored(session) == await rollups.expected(session)


async def wait_caught_up(s: Slice, seconds: float) -> bool:
    for _ in range(int(seconds / 0.05)):
        last, through = await positions(s)
        if through == last:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_postings_leave_the_aggregates_to_the_catch_up(wired: Slice) -> None:
    db = wired.apps["stock"].state.db
    item = await make_item(wired, tracking="none")
    _, store = await locations(wired, "S")
    await copy_catalog(wired)  # the item in stock's copy: its flows reach the rollups
    await receive(wired, item, store, "10", price="2", posted_at=on(P1, 5))
    await accept(wired, item, store, "10", posted_at=on(P1, 5, 13))
    await scrap(wired, item, store, "3", posted_at=on(P, 2))
    last, through = await positions(wired)
    assert (last, through) == (3, 0)  # three movements, none summed by the postings
    async with db.read() as session:
        assert await stored_flows(session) == {}
    # in batches of two, in order: all of them, once
    assert await aggregation.catch_up(db, batch=2) == 3
    assert await positions(wired) == (3, 3)
    await exact(wired)
    async with db.read() as session:
        flows = await stored_flows(session)
    assert flows  # not trivially equal: the flows hold the three movements
    assert await aggregation.catch_up(db) == 0  # nothing new: nothing added twice
    await exact(wired)


async def test_a_back_dated_posting_corrects_only_what_is_summed(wired: Slice) -> None:
    """Scrap s1 is summed before the back-dated receipt revalues it, s2 is not: the
    receipt corrects s1's sums itself, and the catch-up reads s2 at its new value."""
    db = wired.apps["stock"].state.db
    item = await make_item(wired, tracking="none")
    _, store = await locations(wired, "S")
    await copy_catalog(wired)
    await receive(wired, item, store, "10", price="2", posted_at=on(P1, 5))
    await accept(wired, item, store, "10", posted_at=on(P1, 5, 13))
    await scrap(wired, item, store, "2", posted_at=on(P1, 10))  # s1
    await aggregation.catch_up(db)  # closes P1 and P too
    await scrap(wired, item, store, "2", posted_at=on(P, 3))  # s2
    summed_before = (await positions(wired))[1]
    await receive(wired, item, store, "10", price="5", posted_at=on(P1, 2))  # revalues both
    last, through = await positions(wired)
    assert through == summed_before < last
    await aggregation.catch_up(db)
    await exact(wired)
    async with db.read() as session:
        flows = await stored_flows(session)
    scrapped = {
        key.period: sums.value_out
        for key, sums in flows.items()
        if key.grain == "m" and key.kind == "scrap" and key.item_code == item
    }
    # after the back-dated receipt the average is (20 + 50) / 20 = 3.5 throughout
    assert scrapped == {P1: 7, P: 7}


async def test_the_background_loop_follows_postings(
    wired: Slice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Woken by a posting's commit (no polling meanwhile), it catches up by itself."""
    monkeypatch.setattr(aggregation, "ROUND_SECONDS", 0.01)
    monkeypatch.setattr(aggregation, "POLL_SECONDS", 600.0)
    item = await make_item(wired, tracking="none")
    _, store = await locations(wired, "S")
    # the stock service's own worker (the app runs here without background tasks)
    loop = asyncio.create_task(follow_ledger(wired.apps["stock"]))
    try:
        await asyncio.sleep(0.1)  # its first round: nothing to do yet
        await receive(wired, item, store, "4", price="1")
        assert 0 < wired.apps["stock"].state.metrics.quiet_for() < 60  # served, now quiet
        assert await wait_caught_up(wired, 10)
        assert await positions(wired) == (1, 1)
        await asyncio.sleep(0.2)  # the round's end reports the lag
        metrics = (await wired.stock.get("/metrics")).text
        assert "stock_aggregation_lag_movements 0.0" in metrics, metrics[-2000:]
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop
    await exact(wired)


async def test_the_background_loop_waits_for_a_quiet_moment(
    wired: Slice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the service serves requests the loop waits (at most `DEFER_SECONDS`)."""
    monkeypatch.setattr(aggregation, "ROUND_SECONDS", 0.01)
    monkeypatch.setattr(aggregation, "POLL_SECONDS", 600.0)
    monkeypatch.setattr(aggregation, "DEFER_SECONDS", 600.0)
    db = wired.apps["stock"].state.db
    item = await make_item(wired, tracking="none")
    _, store = await locations(wired, "S")
    busy = {"serving": True}

    def quiet_for() -> float:
        return 0.0 if busy["serving"] else 1.0

    lags: list[int] = []
    loop = asyncio.create_task(aggregation.follow(db, quiet_for, lags.append))
    try:
        await receive(wired, item, store, "4", price="1")
        assert not await wait_caught_up(wired, 0.5)  # busy: it waits
        assert lags[-1] == 1  # one movement to add, reported before waiting
        busy["serving"] = False
        assert await wait_caught_up(wired, 10)
        await asyncio.sleep(0.2)
        assert lags[-1] == 0
        # never quiet: it still catches up once DEFER_SECONDS have passed
        busy["serving"] = True
        monkeypatch.setattr(aggregation, "DEFER_SECONDS", 0.3)
        await receive(wired, item, store, "1", price="1")
        assert await wait_caught_up(wired, 10)
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop
    await exact(wired)
