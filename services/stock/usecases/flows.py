"""Keeping the stock flows (domain/flows.py) current, and reading them back.

The flows follow the ledger after postings commit (usecases/aggregation.py, one upsert
of every touched key per batch of movements, adding to what is there), a back-dated
posting's revaluations adding the value changes of the movements it replayed; so once
caught up the flows equal the ledger summed (tested against `ledger_flows`, which sums
the ledger itself; migration 0026 summed an existing ledger).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, false, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.stock.db.models import Balance, Location, MovementRow, StockFlow, StockRollup
from services.stock.domain.flows import (
    FlowKey,
    FlowMove,
    FlowSums,
    Grain,
    days_in_month,
    flow_deltas,
    month_of,
    span,
)
from shared.db.dialects import upsert_adding
from shared.db.types import utcnow

_KEY = FlowKey._fields  # the key columns, in `FlowKey`'s order
#: The sums of a flow row (`FlowSums`' fields), which the rollups hold too.
SUMS = (
    "qty_in",
    "qty_out",
    "value_in",
    "value_out",
    "moves",
    "qty_days",
    "value_days",
    "used_qty",
    "used_value",
)


def _table() -> Table:
    table = StockFlow.__table__
    assert isinstance(table, Table)
    return table


async def record_flows(session: AsyncSession, deltas: Mapping[FlowKey, FlowSums]) -> None:
    """Add `deltas` to the stored flows, creating the rows that are new (the caller holds
    the aggregation row, usecases/aggregation.py: no two writers, no lock order needed)."""
    if not deltas:
        return
    keys = list(zip(*deltas, strict=True))  # a key is a tuple: one per column
    sums = deltas.values()
    columns = {
        **{name: list(values) for name, values in zip(_KEY, keys, strict=True)},
        **{name: [getattr(row, name) for row in sums] for name in SUMS},
    }
    await upsert_adding(session, _table(), _KEY, SUMS, columns)


#: The stage of an item's stock at a location: (item code, location id) -> stage.
Stages = Mapping[tuple[str, int], str]


def moves_of(
    rows: Iterable[Any],
    virtual_ids: frozenset[int] | set[int],
    stages: Stages,
) -> list[FlowMove]:
    """The flows' view of ledger rows (`MovementRow`s, or rows of the columns it reads).
    A ledger row's `stage` is its physical end's (the arriving one when both are): each
    end takes its own from `stages`."""
    return [
        FlowMove(
            posted_at=row.posted_at,
            item_code=row.item_code,
            kind=row.document_type,
            from_stage=stages.get((row.item_code, row.from_location_id), row.stage),
            to_stage=stages.get((row.item_code, row.to_location_id), row.stage),
            from_location_id=row.from_location_id,
            to_location_id=row.to_location_id,
            from_virtual=row.from_location_id in virtual_ids,
            to_virtual=row.to_location_id in virtual_ids,
            from_state=row.from_state,
            to_state=row.to_state,
            quantity=row.quantity,
            value=row.value,
            reversal=row.reversal_of_id is not None,
            supplier=row.supplier,
            customer=row.customer,
        )
        for row in rows
    ]


async def virtual_location_ids(session: AsyncSession) -> set[int]:
    return set(await session.scalars(select(Location.id).where(Location.is_virtual.is_(True))))


async def balance_stages(session: AsyncSession, item_codes: Iterable[str] | None = None) -> Stages:
    """The stage of each item's stock at each location it ever held (its balance rows')."""
    query = select(Balance.item_code, Balance.location_id, func.min(Balance.stage)).group_by(
        Balance.item_code, Balance.location_id
    )
    if item_codes is not None:
        query = query.where(Balance.item_code.in_(sorted(set(item_codes))))
    return {(item, location): stage for item, location, stage in await session.execute(query)}


async def ledger_flows(session: AsyncSession, batch: int = 5000) -> dict[FlowKey, FlowSums]:
    """The flows summed from the whole ledger (the check, and the rebuild, of the stored)."""
    virtual = await virtual_location_ids(session)
    stages = await balance_stages(session)
    total: dict[FlowKey, FlowSums] = {}
    result = await session.stream_scalars(select(MovementRow).order_by(MovementRow.id))
    async for part in result.partitions(batch):
        for key, sums in flow_deltas(moves_of(part, virtual, stages)).items():
            found = total.get(key)
            if found is None:
                total[key] = sums
            else:
                found.add(sums)
    return {key: sums for key, sums in total.items() if not sums.is_zero()}


async def stored_flows(session: AsyncSession) -> dict[FlowKey, FlowSums]:
    """The stored flows, rows that sum to nothing left out."""
    out: dict[FlowKey, FlowSums] = {}
    for row in await session.scalars(select(StockFlow)):
        sums = FlowSums(**{name: getattr(row, name) for name in SUMS})
        if not sums.is_zero():
            out[FlowKey(**{name: getattr(row, name) for name in _KEY})] = sums
    return out


#: Before any movement: flows from here on are all of them.
BEGINNING = date(1970, 1, 1)


#: How far past the clock a posting time may lie (usecases/backdating.py refuses later ones).
FUTURE_SKEW = timedelta(minutes=5)


def covered(
    first: date,
    last: date,
    months: Grain = Grain.MONTH,
    *,
    to_date: bool = False,
    source: type[StockFlow] | type[StockRollup] = StockFlow,
) -> Any:
    """The flow rows that sum the days `first` .. `last` exactly once, as a stand-in for
    `StockFlow` in a query: whole months from `months` (the month grain, or the item-month
    grain), the other days from the day grain (every day with `months` the day grain).
    `source` StockRollup: the same of the rollups (day and month grains only).

    Each part is one range of the flows' primary key (grain, period, ...), and the parts
    are a UNION ALL: an OR of them in one WHERE makes PostgreSQL scan the whole table of
    every grain instead.

    `to_date`: for sums that do not weight by days (not `qty_days`, `value_days`), a
    `last` from today on takes its month whole, the days after now holding no flows (no
    posting lies later than `FUTURE_SKEW`): a month to date is one row per key, not one
    per key and day.
    """
    if to_date and last >= (utcnow() + FUTURE_SKEW).date():
        month = month_of(last)
        last = month.replace(day=days_in_month(month))
    ranges = span(first, last) if months is not Grain.DAY else [(Grain.DAY, first, last)]
    parts = [
        select(source).where(
            source.grain == (months if grain is Grain.MONTH else grain).value,
            source.period.between(start, end),
        )
        for grain, start, end in ranges
        if start <= end
    ] or [select(source).where(false())]
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("flows")
    return aliased(source, rows, name="flows")
