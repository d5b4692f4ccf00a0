"""The aggregates follow the ledger: flows, month-end closings and rollups are added after
postings commit, in ledger order, never inside a posting.

A posting only appends its movements, so keeping reports current costs it nothing, and
the time it holds the ledger counter stays short. Then `catch_up` takes the
aggregation row (`stock_aggregation`, one row: every writer of the aggregates locks it)
and, batch by batch in sequence order, adds what the movements after `flows_through` add
to the flows (usecases/flows.py), closes the months now over and adds to the closings of
months already closed (usecases/closings.py), adds to the rollups (usecases/rollups.py),
and moves `flows_through` on, all in one transaction per batch.

* **In order, without gaps.** Postings take their sequences holding the ledger counter
  until they commit, so they commit in sequence order: whoever sees a sequence committed
  sees every earlier one, and a batch is simply the next rows by sequence.
* **Revaluations.** A back-dated posting rewrites the value of later movements in the
  ledger. It takes the aggregation row (after the ledger counter, the only order anyone
  takes both in) and adds the changes of the movements the aggregates already hold
  (`add_revaluations`); the others are read later with their new value. The aggregation
  reads and writes holding the row, so a revaluation is never counted twice or missed.
* **Current for readers.** Every report that reads the aggregates catches up first
  (`catch_up` is cheap when nothing is new), and a background loop (`follow`), woken
  after each posting commits, keeps them close behind so readers rarely have any work.
* **Nothing lost.** A crash between a posting and its aggregation leaves
  `flows_through` behind; the next catch-up adds what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import NamedTuple

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import (
    LedgerCounter,
    MovementRow,
    StockAggregation,
    StockFlow,
)
from services.stock.domain.flows import FlowMove, Grain, flow_deltas
from services.stock.usecases import rollups
from services.stock.usecases.closings import previous_month, settle
from services.stock.usecases.flows import (
    balance_stages,
    moves_of,
    record_flows,
    virtual_location_ids,
)
from shared.db.database import Database
from shared.db.types import utcnow

log = structlog.get_logger(__name__)

#: Movements aggregated per transaction.
BATCH = 5000
#: How often the background loop looks without being woken (postings of other processes).
POLL_SECONDS = 5.0
#: The least time between two rounds of the background loop: under a stream of postings
#: each round adds many at once (readers catch up themselves, so nothing waits for it).
ROUND_SECONDS = 1.0
#: A round waits for the service to have served no request for `QUIET_SECONDS`, but no
#: longer than `DEFER_SECONDS`: requests come first, the aggregates are work that can wait.
QUIET_SECONDS = 0.1
DEFER_SECONDS = 5.0


class Pending(NamedTuple):
    #: Committed movements the aggregates do not hold yet.
    movements: int
    #: A month with flows is over and not closed.
    month_over: bool

    @property
    def due(self) -> bool:
        return self.movements > 0 or self.month_over


async def pending(db: Database) -> Pending:
    """What the aggregates lack (reads only, no lock)."""
    async with db.read() as session:
        last = await session.scalar(
            select(LedgerCounter.last_sequence).where(LedgerCounter.id == 1)
        )
        row = await session.get(StockAggregation, 1)
        assert row is not None
        movements = max(0, (last or 0) - row.flows_through)
        over = previous_month(utcnow().date())
        if row.closed_through is not None:
            return Pending(movements, row.closed_through < over)
        first = await session.scalar(
            select(func.min(StockFlow.period)).where(StockFlow.grain == Grain.MONTH.value)
        )
        return Pending(movements, first is not None and first <= over)


async def catch_up(db: Database, batch: int = BATCH) -> int:
    """Add every committed movement the aggregates do not hold yet; returns how many."""
    if not (await pending(db)).due:
        return 0
    return await _run(db, batch)


async def _run(db: Database, batch: int = BATCH) -> int:
    total = 0
    while True:
        async with db.sessionmaker() as session, session.begin():
            done = await step(session, batch)
        total += done
        if done < batch:
            return total


#: What the flows need of a ledger row (`flows.moves_of`), and its sequence.
_FLOW_COLUMNS = (
    MovementRow.sequence,
    MovementRow.posted_at,
    MovementRow.item_code,
    MovementRow.document_type,
    MovementRow.stage,
    MovementRow.from_location_id,
    MovementRow.to_location_id,
    MovementRow.from_state,
    MovementRow.to_state,
    MovementRow.quantity,
    MovementRow.value,
    MovementRow.reversal_of_id,
    MovementRow.supplier,
    MovementRow.customer,
)


async def step(session: AsyncSession, batch: int = BATCH) -> int:
    """Aggregate the next `batch` movements after `flows_through` (fewer when fewer are
    committed), in the caller's transaction; returns how many."""
    aggregation = await rollups.hold(session)
    rows = (
        await session.execute(
            select(*_FLOW_COLUMNS)
            .where(MovementRow.sequence > aggregation.flows_through)
            .order_by(MovementRow.sequence)
            .limit(batch)
        )
    ).all()
    if rows:
        virtual = await virtual_location_ids(session)
        stages = await balance_stages(session, {row.item_code for row in rows})
        await _add(session, aggregation, moves_of(rows, virtual, stages))
        aggregation.flows_through = rows[-1].sequence
    else:
        await _add(session, aggregation, [])  # a month may be over
    return len(rows)


async def add_revaluations(session: AsyncSession, changes: list[tuple[int, FlowMove]]) -> None:
    """Inside a back-dated posting, holding the ledger counter: add the value changes it
    made to later movements (their sequence, the change as a flow) to the aggregates, for
    the movements they already hold; those they do not hold yet they will read with
    their new value. Holding the aggregation row until the posting commits, so the two
    never cross (nobody takes the ledger counter after the aggregation row)."""
    aggregation = await rollups.hold(session)
    through = aggregation.flows_through
    await _add(session, aggregation, [move for sequence, move in changes if sequence <= through])


async def _add(session: AsyncSession, aggregation: StockAggregation, moves: list[FlowMove]) -> None:
    """Add `moves` to the flows, the closings (closing the months now over) and the
    rollups; the caller holds the aggregation row (`aggregation`)."""
    deltas = flow_deltas(moves)
    await record_flows(session, deltas)
    await settle(session, aggregation.closed_through, deltas)
    await rollups.add(session, deltas)


async def _quiet(quiet_for: Callable[[], float]) -> None:
    """Wait until nothing has been served for `QUIET_SECONDS`, at most `DEFER_SECONDS`."""
    deadline = time.monotonic() + DEFER_SECONDS
    # a poll: quiet is an absence of requests over time, no event marks it
    while quiet_for() < QUIET_SECONDS and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(QUIET_SECONDS / 4)


_WAKE: set[asyncio.Event] = set()


async def wake() -> None:
    """Wake the background loops of this process (after a posting commits)."""
    for event in _WAKE:
        event.set()


async def follow(
    db: Database,
    quiet_for: Callable[[], float],
    report_lag: Callable[[int], None],
) -> None:
    """Keep the aggregates close behind the ledger until cancelled: catch up when a
    posting of this process has committed (at most once every `ROUND_SECONDS`), and
    every `POLL_SECONDS` (other processes' postings, or a month turning over); each
    round first waits for a quiet moment (`quiet_for`: seconds since the service last
    served a request), at most `DEFER_SECONDS`. `report_lag` gets how many movements are
    still to add (a metric) when a round finds work, and when it ends."""
    event = asyncio.Event()
    _WAKE.add(event)
    try:
        while True:
            event.clear()
            try:
                found = await pending(db)
                if found.due:
                    report_lag(found.movements)
                    await _quiet(quiet_for)
                    await _run(db)
                    found = await pending(db)
                report_lag(found.movements)
            except Exception:  # a failed batch rolls back; the next round retries it
                log.exception("stock aggregation failed")
            await asyncio.sleep(ROUND_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), POLL_SECONDS - ROUND_SECONDS)
    finally:
        _WAKE.discard(event)
