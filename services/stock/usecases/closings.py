"""Month-end closings: the stock at the end of each past month, per item, location,
quality state and stage, so that the stock at any day is one month's closings plus the
flows of at most a month (domain/flows.py), not the flows since the beginning.

* **Built** month by month, each from the previous one plus the month's flows, by the
  aggregation (usecases/aggregation.py) once it finds a month over and not yet closed
  (`close_months`, holding the aggregation row), so no job has to run; the aggregation
  row remembers the last month closed (`flows_closed_through`).
* **Kept current.** Movements dated in a closed month (back-dated ones, or the value
  changes of the later movements they revalue) add their flows to that month's closings
  and to every later closed month's as the aggregation reaches them (`settle`), after the
  months it closes first: a month being closed and a movement into it never miss each
  other.
* **Read** by `stock_at_end_of`: the closings of the last closed month ending by then, plus
  the flows after it. Where nothing is closed yet, the flows from the beginning.

The closings always equal the flows summed up to each month's end (tested after random
back-dated postings, with `flow_closings`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import StockAggregation, StockClosing, StockFlow
from services.stock.domain.flows import (
    FlowKey,
    FlowSums,
    Grain,
    days_in_month,
    month_of,
    next_month,
)
from services.stock.usecases.flows import BEGINNING, covered
from shared.db.dialects import upsert_adding
from shared.db.types import utcnow

ZERO = Decimal(0)
#: The flow (and closing) columns a reader may group stock by; item_code always first.
BUCKET = ("item_code", "location_id", "quality_state", "stage")


def _table() -> Table:
    table = StockClosing.__table__
    assert isinstance(table, Table)
    return table


def previous_month(day: date) -> date:
    return month_of(month_of(day) - timedelta(days=1))


def month_end(month: date) -> date:
    return month.replace(day=days_in_month(month))


async def settle(
    session: AsyncSession, closed: date | None, pending: Mapping[FlowKey, FlowSums]
) -> None:
    """Holding the aggregation row (`closed`: the last month closed, as read then): close
    the months now over, then add the flows just recorded (`pending`) that fall in
    months closed before to those months' closings."""
    # months closed now are built from the flows, these included: only the older ones
    # need them added
    await close_months(session, previous_month(utcnow().date()), closed)
    if closed is None or not pending:
        return
    changes: dict[tuple[date, str, int, str, str], list[Decimal]] = defaultdict(
        lambda: [ZERO, ZERO]
    )
    for key, sums in pending.items():
        if key.grain != Grain.DAY.value or key.period > month_end(closed):
            continue
        month = month_of(key.period)
        while month <= closed:
            change = changes[
                (month, key.item_code, key.location_id, key.quality_state, key.stage)
            ]
            change[0] += sums.qty_in - sums.qty_out
            change[1] += sums.value_in - sums.value_out
            month = next_month(month)
    rows = [(key, sums) for key, sums in sorted(changes.items()) if sums[0] or sums[1]]
    names = ("month", *BUCKET)  # the order of the keys of `changes`
    columns: dict[str, list[Any]] = {
        **{name: [key[at] for key, _ in rows] for at, name in enumerate(names)},
        "quantity": [quantity for _, (quantity, _) in rows],
        "value": [value for _, (_, value) in rows],
    }
    await upsert_adding(session, _table(), names, ("quantity", "value"), columns)


async def flows_closed_through(session: AsyncSession) -> date | None:
    """The last month whose closings are built (its first day), None before any."""
    return await session.scalar(
        select(StockAggregation.closed_through).where(StockAggregation.id == 1)
    )


async def close_months(session: AsyncSession, through: date, closed: date | None) -> date | None:
    """Build the closings of every month after `closed` (the last built) up to `through`
    (a month's first day), in order; returns the last month closed (None: nothing was ever
    posted). The caller holds the aggregation row (usecases/aggregation.py)."""
    if closed is not None and closed >= through:
        return closed
    if closed is None:
        first = await session.scalar(
            select(func.min(StockFlow.period)).where(StockFlow.grain == Grain.MONTH.value)
        )
        if first is None or first > through:
            return None
        month = first
    else:
        month = next_month(closed)
    while month <= through:
        await _close(session, month)
        month = next_month(month)
    await session.execute(
        update(StockAggregation).where(StockAggregation.id == 1).values(closed_through=through)
    )
    return through


async def _close(session: AsyncSession, month: date) -> None:
    """The closings of `month`: the previous month's plus the month's flows."""
    before = select(
        *(StockClosing.__table__.c[name] for name in BUCKET),
        StockClosing.quantity.label("quantity"),
        StockClosing.value.label("value"),
    ).where(StockClosing.month == previous_month(month))
    flows = select(
        *(StockFlow.__table__.c[name] for name in BUCKET),
        (StockFlow.qty_in - StockFlow.qty_out).label("quantity"),
        (StockFlow.value_in - StockFlow.value_out).label("value"),
    ).where(StockFlow.grain == Grain.MONTH.value, StockFlow.period == month)
    both = union_all(before, flows).subquery("both")
    summed = (
        select(
            literal(month).label("month"),
            *(both.c[name] for name in BUCKET),
            func.sum(both.c.quantity),
            func.sum(both.c.value),
        )
        .group_by(*(both.c[name] for name in BUCKET))
        .having((func.sum(both.c.quantity) != 0) | (func.sum(both.c.value) != 0))
    )
    await session.execute(
        _table().insert().from_select(["month", *BUCKET, "quantity", "value"], summed)
    )


async def stock_at_end_of(
    session: AsyncSession, day: date, key: Sequence[str], items: Sequence[str]
) -> tuple[dict[tuple[Any, ...], Decimal], dict[str, Decimal]]:
    """The stock at the end of `day`: the quantity per `key` (bucket columns, see `BUCKET`;
    [] for one total) and the value per item, of `items` (every item when empty).

    The month-end closing before `day` plus the flows since; or, when `day` lies nearer
    the end of its own month and that month is closed, that month's closing less the flows
    of the days after `day` (fewer day rows to read)."""
    closed = await flows_closed_through(session)
    own = month_of(day)
    latest: date | None = own  # the last month-end on or before `day`: none in year 1
    if day != month_end(own):
        latest = previous_month(day) if own > date.min else None
    parts: list[Any] = []
    start, end, adding = BEGINNING, day, True
    if closed is not None and latest is not None:
        anchor = min(closed, latest)
        start = month_end(anchor) + timedelta(days=1)
        if own <= closed and own != latest and month_end(own) - day < day - start:
            anchor, start, end, adding = own, day + timedelta(days=1), month_end(own), False
        closing_columns = [StockClosing.__table__.c[name] for name in key]
        query = select(
            *closing_columns,
            StockClosing.item_code.label("item"),
            StockClosing.quantity.label("quantity"),
            StockClosing.value.label("value"),
        ).where(StockClosing.month == anchor)
        if items:
            query = query.where(StockClosing.item_code.in_(items))
        parts.append(query)
    rows = covered(start, end, to_date=adding)
    change = (
        (rows.qty_in - rows.qty_out, rows.value_in - rows.value_out)
        if adding
        else (rows.qty_out - rows.qty_in, rows.value_out - rows.value_in)
    )
    flows = select(
        *(getattr(rows, name) for name in key),
        rows.item_code.label("item"),
        change[0].label("quantity"),
        change[1].label("value"),
    ).select_from(rows)
    if items:
        flows = flows.where(rows.item_code.in_(items))
    parts.append(flows)
    both = union_all(*parts).subquery("both")
    grouped = [both.c[name] for name in key]
    query = select(
        *grouped, both.c.item, func.sum(both.c.quantity), func.sum(both.c.value)
    ).group_by(*grouped, both.c.item)
    quantities: dict[tuple[Any, ...], Decimal] = defaultdict(lambda: ZERO)
    values: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in await session.execute(query):
        *found, item, quantity, value = row
        quantities[tuple(found)] += Decimal(quantity)
        values[item] += Decimal(value)
    return dict(quantities), dict(values)


#: month, item code, location id, quality state, stage -> quantity, value
Closings = dict[tuple[date, str, int, str, str], tuple[Decimal, Decimal]]


async def stored_closings(session: AsyncSession) -> Closings:
    """The closings as stored, rows at zero left out (for the checks)."""
    return {
        (row.month, row.item_code, row.location_id, row.quality_state, row.stage): (
            row.quantity,
            row.value,
        )
        for row in await session.scalars(select(StockClosing))
        if row.quantity or row.value
    }


async def flow_closings(session: AsyncSession) -> Closings:
    """The closings the flows give for every closed month (what `stored_closings` must be)."""
    closed = await flows_closed_through(session)
    if closed is None:
        return {}
    rows = await session.execute(
        select(
            StockFlow.period,
            *(StockFlow.__table__.c[name] for name in BUCKET),
            StockFlow.qty_in - StockFlow.qty_out,
            StockFlow.value_in - StockFlow.value_out,
        ).where(StockFlow.grain == Grain.DAY.value)
    )
    per_month: dict[tuple[str, int, str, str], dict[date, list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [ZERO, ZERO])
    )
    for day, item, location, state, stage, quantity, value in rows:
        cell = per_month[(item, location, state, stage)][month_of(day)]
        cell[0] += quantity
        cell[1] += value
    out: Closings = {}
    for bucket, months in per_month.items():
        quantity, value = ZERO, ZERO
        month = min(months)
        while month <= closed:
            change = months.get(month)
            if change is not None:
                quantity, value = quantity + change[0], value + change[1]
            if quantity or value:
                out[(month, *bucket)] = (quantity, value)
            month = next_month(month)
    return out
