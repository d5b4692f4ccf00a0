"""Stock reports: inbound and outbound by movement kind over a period (收发汇总).

Read from the stock flows (domain/flows.py), never from the ledger: `covered` picks the
flow rows that sum the period's days exactly once (whole months from the month grain, the
days around them from the day grain), so the report costs the same for a day or ten years.

*External* flow sides (the other end was a virtual location: a supplier, a customer,
production, scrap, a count) changed the item's stock: arrivals are *received*, departures
*issued*, with their values. *Internal* sides only moved stock between physical locations
or quality states (transfers, inspections): *moved in* and *moved out*, quantities only (an
internal move carries the item's average cost both ways). A reversal books against its
original's side with the opposite sign, so a document reversed within the period is gone.

Quantities are given only where a row holds one stock unit: per item always, otherwise
when the catalog gives every item of the row the same unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import Location, StockFlow, StockRollup
from services.stock.db.queries import location_by_code, location_subtree_ids
from services.stock.domain.model import QualityState
from services.stock.movement_summary_schemas import (
    MovementMeasures,
    MovementSummaryReport,
    MovementSummaryRow,
)
from services.stock.usecases import aggregation, rollups
from services.stock.usecases.aging import single_unit, warehouses
from services.stock.usecases.flows import covered
from services.stock.usecases.report_items import catalog_table, items_for_database, report_items
from services.stock.usecases.reports import StockScope
from shared.db.database import Database
from shared.db.filters import one_of

ZERO = Decimal(0)


class SummaryGroup(StrEnum):
    KIND = "kind"
    KIND_ITEM = "kind_item"
    KIND_WAREHOUSE = "kind_warehouse"
    KIND_STAGE = "kind_stage"


@dataclass(frozen=True, slots=True)
class FlowLine:
    """The period's flows of one kind, item and key, on one side (external or not); or,
    summed in the database (PostgreSQL), of one kind, unit and key (`item_code` None)."""

    kind: str
    key: str | None
    item_code: str | None
    external: bool
    qty_in: Decimal
    qty_out: Decimal
    value_in: Decimal
    value_out: Decimal
    moves: int
    #: The items' unit, when summed per unit in the database (None: unknown there).
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class PeriodFlows:
    """What the report reads from the database, in one snapshot."""

    date_from: date
    date_to: date
    group_by: SummaryGroup
    lines: list[FlowLine]


@dataclass(slots=True)
class _Sums:
    received_quantity: Decimal = ZERO
    received_value: Decimal = ZERO
    issued_quantity: Decimal = ZERO
    issued_value: Decimal = ZERO
    moved_in_quantity: Decimal = ZERO
    moved_out_quantity: Decimal = ZERO
    movements: int = 0
    units: set[str | None] = field(default_factory=set)

    def add_line(self, line: FlowLine) -> None:
        if line.external:
            self.received_quantity += line.qty_in
            self.received_value += line.value_in
            self.issued_quantity += line.qty_out
            self.issued_value += line.value_out
        else:
            self.moved_in_quantity += line.qty_in
            self.moved_out_quantity += line.qty_out
        self.movements += line.moves

    def add(self, other: _Sums) -> None:
        self.received_quantity += other.received_quantity
        self.received_value += other.received_value
        self.issued_quantity += other.issued_quantity
        self.issued_value += other.issued_value
        self.moved_in_quantity += other.moved_in_quantity
        self.moved_out_quantity += other.moved_out_quantity
        self.movements += other.movements
        self.units |= other.units

    def is_empty(self) -> bool:
        return not (
            self.received_quantity
            or self.received_value
            or self.issued_quantity
            or self.issued_value
            or self.moved_in_quantity
            or self.moved_out_quantity
            or self.movements
        )


async def summarize(
    db: Database,
    catalog: CatalogClient,
    *,
    date_from: date,
    date_to: date,
    group_by: SummaryGroup,
    scope: StockScope,
    quality_state: QualityState | None,
) -> MovementSummaryReport:
    """The summary report: the flows read in one snapshot, then shaped.

    Unless per item or of some items, it reads the rollups (usecases/rollups.py: the flows
    summed by unit, among others), a few thousand rows a year, when they hold every item.
    Else on PostgreSQL, unless per item, the database sums the flows per kind, side, key
    and the items' unit: the catalog's items (`items_for_database`) join the flows as an
    array parameter, so a year of twenty thousand items comes back as a few rows instead of
    one per kind and item.
    """

    async def read(session: AsyncSession, **source: Any) -> PeriodFlows:
        return await read_flows(
            session,
            date_from=date_from,
            date_to=date_to,
            group_by=group_by,
            scope=scope,
            quality_state=quality_state,
            **source,
        )

    await aggregation.catch_up(db)  # every posting so far in the flows and rollups
    flows: PeriodFlows | None = None
    if group_by is not SummaryGroup.KIND_ITEM and not scope.item_codes:
        async with db.snapshot() as session:
            if await rollups.complete(session):
                flows = await read(session, rolled=True)
    if flows is None:
        items: dict[str, CatalogItem] | None = None
        if group_by is not SummaryGroup.KIND_ITEM:
            items = await items_for_database(db, catalog, scope.item_codes)
        async with db.snapshot() as session:
            flows = await read(session, items=items)
    return await movement_summary(flows, catalog)  # asks the catalog: outside the snapshot


async def read_flows(
    session: AsyncSession,
    *,
    date_from: date,
    date_to: date,
    group_by: SummaryGroup,
    scope: StockScope,
    quality_state: QualityState | None,
    items: dict[str, CatalogItem] | None = None,
    rolled: bool = False,
) -> PeriodFlows:
    """The flows of the days `date_from` .. `date_to` that `scope` (and `quality_state`)
    selects, summed per kind, item, side and the key `group_by` adds; with `items` (the
    catalog's, PostgreSQL) per kind, the items' unit, side and key; `rolled`, the same from
    the rollups (no item scope there)."""
    catalog = catalog_table(items) if items is not None else None
    flows = covered(
        date_from, date_to, to_date=True, source=StockRollup if rolled else StockFlow
    )
    # per unit from the rollups or the catalog joined, else per item
    unit = flows.uom if rolled else None if catalog is None else catalog.c.uom
    columns: list[Any] = [flows.kind, flows.item_code if unit is None else unit, flows.external]
    if group_by is SummaryGroup.KIND_WAREHOUSE:
        columns.append(flows.location_id)
    elif group_by is SummaryGroup.KIND_STAGE:
        columns.append(flows.stage)
    sums = [
        func.sum(flows.qty_in),
        func.sum(flows.qty_out),
        func.sum(flows.value_in),
        func.sum(flows.value_out),
        func.sum(flows.moves),
    ]
    query = select(*columns, *sums).select_from(flows).group_by(*columns)
    if catalog is not None:
        query = query.outerjoin(catalog, catalog.c.item_code == flows.item_code)
    query = await _filtered(session, query, flows, scope, quality_state)
    rows = (await session.execute(query)).all()
    homes: dict[int, Location] = {}
    if group_by is SummaryGroup.KIND_WAREHOUSE:
        homes = warehouses({loc.id: loc for loc in await session.scalars(select(Location))})
    by_unit = catalog is not None or rolled
    lines = [_line(row, group_by, homes, by_unit) for row in rows]
    return PeriodFlows(date_from, date_to, group_by, lines)


def _line(
    row: Any, group_by: SummaryGroup, homes: dict[int, Location], by_unit: bool
) -> FlowLine:
    """A summed row of `read_flows`'s query, its group key resolved."""
    kind, item_or_unit, external, *rest = row
    item, unit = (None, item_or_unit) if by_unit else (item_or_unit, None)
    key: str | None = None
    if group_by is SummaryGroup.KIND_ITEM:
        key = item
    elif group_by is SummaryGroup.KIND_WAREHOUSE:
        location_id, *rest = rest
        key = homes[location_id].code
    elif group_by is SummaryGroup.KIND_STAGE:
        key, *rest = rest
    qty_in, qty_out, value_in, value_out, moves = rest
    return FlowLine(
        kind=kind,
        key=key,
        item_code=item,
        unit=unit,
        external=bool(external),
        qty_in=_decimal(qty_in),
        qty_out=_decimal(qty_out),
        value_in=_decimal(value_in),
        value_out=_decimal(value_out),
        moves=int(moves or 0),
    )


def _decimal(number: Any) -> Decimal:
    return ZERO if number is None else Decimal(number)


async def _filtered(
    session: AsyncSession,
    query: Any,
    flows: Any,
    scope: StockScope,
    quality_state: QualityState | None,
) -> Any:
    """`query` on `flows` (see `covered`) narrowed to `scope` and `quality_state`; an
    unknown location code selects nothing, as in the other reports."""
    if scope.location_code is not None:
        root = await location_by_code(session, scope.location_code)
        root_id = root.id if root is not None else -1
        query = query.where(
            flows.location_id.in_(location_subtree_ids(root_id))
            if scope.subtree
            else flows.location_id == root_id
        )
    if scope.stage is not None:
        query = query.where(flows.stage == scope.stage.value)
    if quality_state is not None:
        query = query.where(flows.quality_state == quality_state.value)
    if scope.item_codes:
        query = query.where(one_of(session, flows.item_code, scope.item_codes))
    return query


async def movement_summary(flows: PeriodFlows, catalog: CatalogClient) -> MovementSummaryReport:
    """The summary report of `flows`, asking the catalog (outside any transaction) for the
    items' units and names."""
    codes = sorted({line.item_code for line in flows.lines if line.item_code is not None})
    items = await report_items(catalog, codes)
    groups: dict[tuple[str, str | None], _Sums] = {}
    for line in flows.lines:
        sums = groups.setdefault((line.kind, line.key), _Sums())
        sums.add_line(line)
        if line.item_code is None:
            sums.units.add(line.unit)
        else:
            info = items.get(line.item_code)
            sums.units.add(info.uom if info is not None else None)
    per_item = flows.group_by is SummaryGroup.KIND_ITEM
    rows, total = [], _Sums()
    for kind, key in sorted(groups, key=lambda g: (g[0], g[1] is None, g[1] or "")):
        sums = groups[(kind, key)]
        if sums.is_empty():
            continue
        total.add(sums)
        info = items.get(key) if per_item and key is not None else None
        # an item has one stock unit, even one the catalog no longer knows
        measures = _measures(sums, counted=per_item or single_unit(sums.units) is not None)
        rows.append(
            MovementSummaryRow(
                kind=kind,
                key=key,
                item_name=info.name if info is not None else None,
                **measures,
            )
        )
    counted = single_unit(total.units) is not None or not rows
    return MovementSummaryReport(
        date_from=flows.date_from,
        date_to=flows.date_to,
        group_by=flows.group_by.value,
        rows=rows,
        totals=MovementMeasures(**_measures(total, counted=counted)),
    )


def _measures(sums: _Sums, *, counted: bool) -> dict[str, Any]:
    """A row's fields from its sums; quantities only when `counted` (one unit)."""

    def quantity(value: Decimal) -> Decimal | None:
        return value if counted else None

    return {
        "uom": single_unit(sums.units),
        "received_quantity": quantity(sums.received_quantity),
        "received_value": sums.received_value,
        "issued_quantity": quantity(sums.issued_quantity),
        "issued_value": sums.issued_value,
        "moved_in_quantity": quantity(sums.moved_in_quantity),
        "moved_out_quantity": quantity(sums.moved_out_quantity),
        "net_quantity": quantity(sums.received_quantity - sums.issued_quantity),
        "net_value": sums.received_value - sums.issued_value,
        "movements": sums.movements,
    }
