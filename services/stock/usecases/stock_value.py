"""Stock value by stage x quality state at the end of any day, per warehouse (or total,
item, category, location, stage), read from the stock flows (domain/flows.py), never from
the ledger.

The stock at the end of day D per item, location and quality state is the last month-end
closing before it plus the flows since (usecases/closings.py), in minus out; an item's
value at D is the same over every location (moves between locations cancel out).
Back-dated postings and the revaluations they cause are in both, so a later day shows the
revalued values.

A bucket's stage is its flows' and closings', set per side by posting exactly as the
balance's (the item type at the location's type), which `GET /v1/stock-overview` shows.

Each bucket's value is its share of its item's value by quantity, rounded cumulatively in
the order of `overview.share_value` (location, then quality state): the per location and
state sums are exactly the overview's at the end of that day, whose buckets also have lots
and serials. The location filter chooses the buckets that share the item's value (as the
overview and the aging report do); the stage and quality-state filters then choose among
them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import Location
from services.stock.domain.model import QualityState, Stage
from services.stock.stock_value_schemas import StockValueCell, StockValueReport, StockValueRow
from services.stock.usecases.aging import single_unit, warehouses
from services.stock.usecases.closings import BUCKET, stock_at_end_of
from services.stock.usecases.overview import share_value
from services.stock.usecases.report_items import report_items
from services.stock.usecases.reports import StockScope, scope_location_ids

ZERO = Decimal(0)

#: item code, location id, quality state
Bucket = tuple[str, int, str]


class StockValueGroup(StrEnum):
    WAREHOUSE = "warehouse"
    TOTAL = "total"
    ITEM = "item"
    CATEGORY = "category"
    LOCATION = "location"
    STAGE = "stage"


@dataclass(frozen=True, slots=True)
class Held:
    """A bucket as the report sees it."""

    quantity: Decimal
    stage: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class StockAtDay:
    """What the report reads from the database, in one snapshot."""

    day: date
    held: dict[Bucket, Held]
    locations: dict[int, Location]
    warehouses: dict[int, Location]


async def read_stock_value(
    session: AsyncSession, *, day: date, scope: StockScope, quality_state: QualityState | None
) -> StockAtDay:
    """The stock `scope` (and `quality_state`) selects at the end of `day`, with values."""
    held_at, item_values = await stock_at_end_of(session, day, BUCKET, scope.item_codes)
    quantities: dict[Bucket, Decimal] = defaultdict(lambda: ZERO)
    stages: dict[tuple[str, int], str] = {}
    item_quantities: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (item, location_id, state, stage), quantity in held_at.items():
        quantities[(item, location_id, state)] += quantity
        item_quantities[item] += quantity
        stages.setdefault((item, location_id), stage)
    worth = {item: (item_quantities[item], value) for item, value in item_values.items()}
    allowed = await scope_location_ids(session, scope)
    in_scope = {
        key: quantity
        for key, quantity in quantities.items()
        if quantity != 0 and (allowed is None or key[1] in allowed)
    }
    values = share_value(in_scope, worth, item=lambda key: key[0], order=lambda key: key[1:])
    held: dict[Bucket, Held] = {}
    for key, quantity in in_scope.items():
        item, location_id, state = key
        stage = stages[(item, location_id)]
        if scope.stage is not None and stage != scope.stage.value:
            continue
        if quality_state is not None and state != quality_state.value:
            continue
        held[key] = Held(quantity, stage, values[key])
    locations = {loc.id: loc for loc in await session.scalars(select(Location))}
    return StockAtDay(day=day, held=held, locations=locations, warehouses=warehouses(locations))


@dataclass(slots=True)
class _Sums:
    cells: dict[tuple[str, str], list[Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: [ZERO, ZERO])
    )
    units: set[str | None] = field(default_factory=set)

    def add(self, stage: str, state: str, quantity: Decimal, value: Decimal) -> None:
        cell = self.cells[(stage, state)]
        cell[0] += quantity
        cell[1] += value


async def stock_value(
    stock: StockAtDay, catalog: CatalogClient, *, group_by: StockValueGroup
) -> StockValueReport:
    """The report of `stock`, asking the catalog (outside any transaction) for the items'
    units, names and categories."""
    items = await report_items(catalog, sorted({key[0] for key in stock.held}))
    groups: dict[str | None, _Sums] = defaultdict(_Sums)
    for key, held in stock.held.items():
        info = items.get(key[0])
        sums = groups[_group(group_by, key, held, info, stock)]
        sums.units.add(info.uom if info is not None else None)
        sums.add(held.stage, key[2], held.quantity, held.value)
    rows = []
    total = _Sums()
    for group in sorted(groups, key=lambda g: (g is None, g or "")):
        sums = groups[group]
        total.units |= sums.units
        for (stage, state), (quantity, value) in sums.cells.items():
            total.add(stage, state, quantity, value)
        single = single_unit(sums.units)
        # an item has one stock unit, even one the catalog no longer knows
        counted = single is not None or group_by is StockValueGroup.ITEM
        info = items.get(group) if group_by is StockValueGroup.ITEM and group else None
        rows.append(
            StockValueRow(
                key=group,
                item_name=info.name if info is not None else None,
                uom=single,
                cells=_cells(sums, counted),
                quantity=_quantity(sums) if counted else None,
                value=sum((cell[1] for cell in sums.cells.values()), ZERO),
            )
        )
    counted_total = single_unit(total.units) is not None or not rows
    return StockValueReport(
        as_of_date=stock.day,
        group_by=group_by.value,
        rows=rows,
        totals=_cells(total, counted_total),
        total_quantity=_quantity(total) if counted_total else None,
        total_value=sum((cell[1] for cell in total.cells.values()), ZERO),
    )


def _group(
    group_by: StockValueGroup,
    key: Bucket,
    held: Held,
    info: CatalogItem | None,
    stock: StockAtDay,
) -> str | None:
    item, location_id, _state = key
    if group_by is StockValueGroup.TOTAL:
        return None
    if group_by is StockValueGroup.ITEM:
        return item
    if group_by is StockValueGroup.CATEGORY:
        return info.category if info is not None else None
    if group_by is StockValueGroup.LOCATION:
        return stock.locations[location_id].code
    if group_by is StockValueGroup.STAGE:
        return held.stage
    return stock.warehouses[location_id].code


def _quantity(sums: _Sums) -> Decimal:
    return sum((cell[0] for cell in sums.cells.values()), ZERO)


_STAGE_ORDER = {stage.value: i for i, stage in enumerate(Stage)}
_STATE_ORDER = {state.value: i for i, state in enumerate(QualityState)}


def _cells(sums: _Sums, quantities: bool) -> list[StockValueCell]:
    """Non-zero cells by stage, then quality state (the stock overview's order)."""
    return [
        StockValueCell(
            stage=Stage(stage),
            quality_state=QualityState(state),
            quantity=quantity if quantities else None,
            value=value,
        )
        for (stage, state), (quantity, value) in sorted(
            sums.cells.items(), key=lambda kv: (_STAGE_ORDER[kv[0][0]], _STATE_ORDER[kv[0][1]])
        )
        if quantity != 0
    ]
