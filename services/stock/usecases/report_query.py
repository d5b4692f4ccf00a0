"""The report engine (`POST /v1/reports/query`): measures per combination of dimensions,
read from the stock flows (domain/flows.py), never from the ledger.

Flow measures (received, issued, movements) sum the flow rows that cover the date range
exactly once (`covered`): whole months from the month grain, or from the item-month grain
when nothing asks for a location, stage or quality state (far fewer rows), the other days
from the day grain; a week or day dimension reads day rows. External sides (the other end
was virtual) are received and issued; item-month rows hold only those. Movements: the
external sides count once each and an internal movement's two sides once together; with
a location-level dimension or filter every side counts (a transfer at both ends). A query
that looks at no single item, supplier or customer reads the same sums from the rollups
(usecases/rollups.py: per category, item type and unit), a few thousand rows a year, once
they hold every item.

Stock measures (quantity, value) are the stock at the end of the range (of each time
bucket): the opening, the stock at the end of the day before the first day
(`closings.stock_at_end_of`: the last month-end closing plus the flows since, not every
flow since the beginning), then each bucket's net change. Quantities are per stock key,
values per item (the moving average is the item's). Below the item (location, warehouse,
stage, quality state) an item's value is shared among its stock by quantity exactly as
the stock overview shares it (`overview.bucket_values`), from the item's value over all
its stock, whatever the filters keep.

Reading is split from shaping: `read_report` runs the queries in one snapshot; `shape`
then asks the catalog (outside any transaction) for categories, item types and units.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import Location, StockFlow, StockRollup
from services.stock.domain.flows import Grain
from services.stock.report_query_schemas import Dimension, Measure
from services.stock.usecases import aggregation, rollups
from services.stock.usecases.aging import single_unit, warehouses
from services.stock.usecases.closings import stock_at_end_of
from services.stock.usecases.flows import BEGINNING, covered
from services.stock.usecases.overview import bucket_values
from services.stock.usecases.report_items import catalog_table, items_for_database, report_items
from services.stock.usecases.report_query_plan import (
    FLOWS,
    QUANTITIES,
    STOCK,
    TIME,
    Plan,
    natural_start,
)
from shared.db.database import Database
from shared.db.filters import one_of

ZERO = Decimal(0)

# --- reading -----------------------------------------------------------------------------


#: A stock key: (item, location id, quality state, stage), or (item,) at item level.
StockKey = tuple[Any, ...]
#: The stock columns of a location-level stock key, in its order.
_STOCK_NAMES = ("item_code", "location_id", "quality_state", "stage")


@dataclass
class StockChange:
    """Stock, or a change to it: the quantity per stock key, the value per item."""

    quantities: dict[StockKey, Decimal] = field(default_factory=dict)
    values: dict[str, Decimal] = field(default_factory=dict)

    def add(self, key: StockKey, quantity: Decimal, value: Decimal) -> None:
        self.quantities[key] = self.quantities.get(key, ZERO) + quantity
        self.values[key[0]] = self.values.get(key[0], ZERO) + value


@dataclass
class ReadFlows:
    """What the queries gave, in one snapshot; `shape` names and groups it."""

    plan: Plan
    #: flow rows: (group columns..., received qty, received value, issued qty, issued
    #: value, external moves, internal moves); the group columns as `flow_columns` names
    flow_columns: list[str] = field(default_factory=list)
    flow_rows: list[tuple[Any, ...]] = field(default_factory=list)
    #: the stock at the end of the day before the first day
    opening: StockChange = field(default_factory=StockChange)
    #: bucket index -> the bucket's net change
    changes: dict[int, StockChange] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)
    #: the flow rows are grouped by the catalog's fields already, their units summed up
    by_catalog: bool = False


def _months(plan: Plan) -> Grain:
    # kinds and partners are only in the location grains; else one row per item and month
    return Grain.MONTH if plan.location_level or plan.partner_level else Grain.ITEM_TOTAL


def _flows(plan: Plan, source: type[StockFlow] | type[StockRollup] = StockFlow) -> Any:
    """The flow rows (or rollups) summing the plan's range once, fine enough for its time
    dimension (`covered`; no measure weights by days, so a range to today takes the month
    whole)."""
    if plan.time in (Dimension.DAY, Dimension.WEEK):
        months = Grain.DAY
    else:
        months = Grain.MONTH if source is StockRollup else _months(plan)
    return covered(plan.first, plan.last, months, to_date=True, source=source)


def _external(flows: Any) -> ColumnElement[bool]:
    """Sides that changed the item's stock: the item grains' rows hold only those."""
    return or_(flows.grain == Grain.ITEM_TOTAL.value, flows.external.is_(True))


async def run_report(db: Database, catalog: CatalogClient, plan: Plan) -> QueryResult:
    """Read the plan's flows in one snapshot and shape them with the catalog's help.

    Flow measures of a plan that looks at no single item or partner (`Plan.rollable`) come
    from the rollups when they hold every item (`rollups.complete`). Else on PostgreSQL,
    flow measures grouped by category or item type but not by item are summed by the
    database per group: the catalog's items (`items_for_database`) join the flows as an
    array parameter, so a year of twenty thousand items comes back as a few hundred rows.
    """
    await aggregation.catch_up(db)  # every posting so far in the flows and rollups
    read: ReadFlows | None = None
    if plan.rollable:
        async with db.snapshot() as session:
            if await rollups.complete(session):
                read = await read_report(session, plan, rolled=True)
    if read is None:
        items: dict[str, CatalogItem] | None = None
        if plan.groups_in_database:
            items = await items_for_database(db, catalog, plan.filters.get("item_code", ()))
        async with db.snapshot() as session:
            read = await read_report(session, plan, items)
    return await shape(read, catalog)  # asks the catalog: outside the snapshot


async def read_report(
    session: AsyncSession,
    plan: Plan,
    items: dict[str, CatalogItem] | None = None,
    *,
    rolled: bool = False,
) -> ReadFlows:
    """Run the plan's queries (in the caller's snapshot); with `items` (PostgreSQL) the
    flows are grouped by their catalog fields in the database; `rolled`, the flow
    measures are read from the rollups (`Plan.rollable`, `rollups.complete`)."""
    read = ReadFlows(plan)
    read.locations = {loc.id: loc for loc in await session.scalars(select(Location))}
    if any(m in FLOWS for m in plan.measures):
        if items is not None or rolled:
            await _read_flows_by_catalog(session, read, items)
        else:
            await _read_flows(session, read)
    if any(m in STOCK for m in plan.measures):
        await _read_stock(session, read)
    return read


_FLOW_COLUMNS: dict[Dimension, str] = {
    Dimension.STAGE: "stage",
    Dimension.QUALITY_STATE: "quality_state",
    Dimension.LOCATION: "location_id",
    Dimension.WAREHOUSE: "location_id",
    Dimension.SUPPLIER: "supplier",
    Dimension.CUSTOMER: "customer",
    Dimension.KIND: "kind",
}


async def _read_flows(session: AsyncSession, read: ReadFlows) -> None:
    plan = read.plan
    names = ["item_code"] if plan.needs_item else []
    names += [_FLOW_COLUMNS[d] for d in plan.dimensions if d in _FLOW_COLUMNS]
    if plan.time is not None:
        names.append("period")
    names = list(dict.fromkeys(names))
    flows = _flows(plan)
    columns = [getattr(flows, name) for name in names]
    query = select(*columns, *_flow_sums(flows)).select_from(flows)
    query = _where_flows(session, query, flows, plan, read.locations)
    if columns:
        query = query.group_by(*columns)
    read.flow_columns = names
    read.flow_rows = [tuple(row) for row in await session.execute(query)]


def _flow_sums(flows: Any) -> list[Any]:
    """received qty, received value, issued qty, issued value, external and internal moves"""
    external = _external(flows)
    return [
        func.sum(case((external, flows.qty_in), else_=ZERO)),
        func.sum(case((external, flows.value_in), else_=ZERO)),
        func.sum(case((external, flows.qty_out), else_=ZERO)),
        func.sum(case((external, flows.value_out), else_=ZERO)),
        func.sum(case((external, flows.moves), else_=0)),
        func.sum(case((external, 0), else_=flows.moves)),
    ]


async def _read_flows_by_catalog(
    session: AsyncSession, read: ReadFlows, items: dict[str, CatalogItem] | None
) -> None:
    """`_read_flows` grouped by category / item type in PostgreSQL, the items' fields
    joined from arrays; and by the items' unit (null: unknown to the catalog) when the plan
    shows quantities, the rows of one group merged when shaped (a hash per unit is much
    cheaper than counting distinct units per group). Without `items`, the same from the
    rollups, which hold those fields (any database)."""
    plan = read.plan
    if items is None:
        flows = _flows(plan, StockRollup)
        fields = {
            "category": func.nullif(flows.category, ""),
            "item_type": flows.item_type,
            "uom": flows.uom,
        }
        query = select().select_from(flows)
    else:
        catalog = catalog_table(items)
        flows = _flows(plan)
        fields = {name: catalog.c[name] for name in ("category", "item_type", "uom")}
        query = (
            select()
            .select_from(flows)
            .outerjoin(catalog, catalog.c.item_code == flows.item_code)
        )
    names: list[str] = []
    columns: list[Any] = []
    for dimension in plan.dimensions:
        if dimension in (Dimension.CATEGORY, Dimension.ITEM_TYPE):
            names.append(dimension.value)
            columns.append(fields[dimension.value])
        elif dimension in _FLOW_COLUMNS and _FLOW_COLUMNS[dimension] not in names:
            names.append(_FLOW_COLUMNS[dimension])
            columns.append(getattr(flows, _FLOW_COLUMNS[dimension]))
    if plan.time is not None:
        names.append("period")
        columns.append(flows.period)
    units = [fields["uom"]] if plan.needs_units else []
    query = query.add_columns(*columns, *_flow_sums(flows), *units)
    query = _where_flows(session, query, flows, plan, read.locations)
    for name in ("category", "item_type"):
        if name in plan.filters:
            query = query.where(fields[name].in_(plan.filters[name]))
    if columns or units:
        query = query.group_by(*columns, *units)
    read.flow_columns = names
    read.by_catalog = True
    read.flow_rows = [tuple(row) for row in await session.execute(query)]


def _where_flows(
    session: AsyncSession, query: Any, flows: Any, plan: Plan, locations: dict[int, Location]
) -> Any:
    """The flow measures' filters: item, location level, movement kind and partner."""
    query = _where_items(session, query, flows, plan)
    query = _where_locations(query, flows, plan, locations)
    for name in ("kind", "supplier", "customer"):
        if name in plan.filters:
            query = query.where(getattr(flows, name).in_(plan.filters[name]))
    return query


def _where_items(session: AsyncSession, query: Any, flows: Any, plan: Plan) -> Any:
    if "item_code" in plan.filters:
        query = query.where(one_of(session, flows.item_code, list(plan.filters["item_code"])))
    return query


def location_ids(plan: Plan, locations: dict[int, Location]) -> set[int] | None:
    """The locations the warehouse and location filters keep (None: every one)."""
    kept: set[int] | None = None
    if "warehouse" in plan.filters:
        homes = warehouses(locations)
        wanted = set(plan.filters["warehouse"])
        kept = {loc_id for loc_id, home in homes.items() if home.code in wanted}
    if "location_code" in plan.filters:
        wanted = set(plan.filters["location_code"])
        named = {loc.id for loc in locations.values() if loc.code in wanted}
        kept = named if kept is None else kept & named
    return kept


def _where_locations(
    query: Any, flows: Any, plan: Plan, locations: dict[int, Location]
) -> Any:
    kept = location_ids(plan, locations)
    if kept is not None:
        query = query.where(flows.location_id.in_(sorted(kept) or [-1]))
    for name in ("stage", "quality_state"):
        if name in plan.filters:
            query = query.where(getattr(flows, name).in_(plan.filters[name]))
    return query


async def _read_stock(session: AsyncSession, read: ReadFlows) -> None:
    """The opening stock (at the end of the day before the first day, from the month-end
    closings) and each bucket's net change. No location filter here: an item's value is
    shared over all of its stock."""
    plan = read.plan
    names = _STOCK_NAMES if plan.location_level else _STOCK_NAMES[:1]
    if plan.first > BEGINNING:
        quantities, values = await stock_at_end_of(
            session, plan.first - timedelta(days=1), names, plan.filters.get("item_code", ())
        )
        read.opening = StockChange(quantities, values)
    flows = _flows(plan)
    keys = [getattr(flows, name) for name in names]
    net = (
        func.sum(flows.qty_in - flows.qty_out),
        func.sum(flows.value_in - flows.value_out),
    )
    period = [flows.period] if plan.time is not None else []
    query = select(*keys, *period, *net).select_from(flows)
    query = _where_items(session, query, flows, plan).group_by(*keys, *period)
    index = _bucket_index(plan)
    width = len(keys)
    for row in await session.execute(query):
        at = index(row[width]) if plan.time is not None else 0
        change = read.changes.setdefault(at, StockChange())
        change.add(tuple(row[:width]), Decimal(row[-2]), Decimal(row[-1]))


def _bucket_index(plan: Plan) -> Any:
    """A function from a flow row's period to the index of its time bucket."""
    starts = {natural_start(plan.time, b.start): i for i, b in enumerate(plan.buckets())}
    time = plan.time

    def index(period: date) -> int:
        return starts[natural_start(time, period)]

    return index


# --- shaping -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Sums:
    received_quantity: Decimal = ZERO
    received_value: Decimal = ZERO
    issued_quantity: Decimal = ZERO
    issued_value: Decimal = ZERO
    external_moves: int = 0
    internal_moves: int = 0
    quantity: Decimal = ZERO
    value: Decimal = ZERO
    units: set[str | None] = field(default_factory=set)


@dataclass
class QueryResult:
    """Rows of typed values (Decimal, int, str, None), sorted and cut to the limit."""

    measures: list[str]
    dimensions: list[str]
    date_from: date
    date_to: date
    rows: list[dict[str, Any]]
    total_rows: int

    @property
    def columns(self) -> list[str]:
        return self.dimensions + self.measures

    @property
    def time(self) -> str | None:
        return next((d for d in self.dimensions if d in {t.value for t in TIME}), None)


class _Grouper:
    """Turns read rows into group keys (the dimensions' values, in the plan's order)."""

    def __init__(
        self, plan: Plan, items: dict[str, CatalogItem], locations: dict[int, Location]
    ) -> None:
        self.plan = plan
        self.items = items
        self.locations = locations
        self.homes = warehouses(locations) if Dimension.WAREHOUSE in plan.dimensions else {}
        self.labels = [b.label for b in plan.buckets()]
        self.category = set(plan.filters.get("category", ()))
        self.item_type = set(plan.filters.get("item_type", ()))
        self.time_at = next((i for i, d in enumerate(plan.dimensions) if d in TIME), None)
        #: per shape of the values read: the values -> their key without the time label
        self._templates: dict[tuple[str, ...], dict[tuple[Any, ...], tuple[Any, ...]]] = {}
        self._kept: dict[str, bool] = {}

    def keeps_item(self, item: str) -> bool:
        """Whether the category and item type filters keep `item`."""
        kept = self._kept.get(item)
        if kept is None:
            info = self.items.get(item)
            kept = self._kept[item] = (not self.category and not self.item_type) or (
                info is not None
                and (not self.category or info.category in self.category)
                and (not self.item_type or info.item_type in self.item_type)
            )
        return kept

    def template(self, names: tuple[str, ...], values: tuple[Any, ...]) -> tuple[Any, ...]:
        """The group of `values` (named by `names`) without its time label (None there):
        worked out once per distinct values."""
        cache = self._templates.setdefault(names, {})
        found = cache.get(values)
        if found is None:
            named = dict(zip(names, values, strict=True))
            found = tuple(
                None if d in TIME else self._value(d, named) for d in self.plan.dimensions
            )
            cache[values] = found
        return found

    def key(self, template: tuple[Any, ...], bucket: int) -> tuple[Any, ...]:
        """A template's group in time bucket `bucket`."""
        at = self.time_at
        if at is None:
            return template
        return (*template[:at], self.labels[bucket], *template[at + 1 :])

    def _value(self, dimension: Dimension, values: dict[str, Any]) -> Any:
        if dimension in (Dimension.CATEGORY, Dimension.ITEM_TYPE) and dimension.value in values:
            return values[dimension.value]  # grouped by the database already
        if dimension is Dimension.ITEM:
            return values["item_code"]
        if dimension in (Dimension.CATEGORY, Dimension.ITEM_TYPE):
            info = self.items.get(values["item_code"])
            if info is None:
                return None
            return info.category if dimension is Dimension.CATEGORY else info.item_type
        if dimension is Dimension.LOCATION:
            location = self.locations.get(values["location_id"])
            return location.code if location is not None else None
        if dimension is Dimension.WAREHOUSE:
            home = self.homes.get(values["location_id"])
            return home.code if home is not None else None
        found = values[_FLOW_COLUMNS[dimension]]
        return found or None  # no partner: null

    def unit(self, item: str) -> str | None:
        info = self.items.get(item)
        return info.uom if info is not None else None


async def shape(read: ReadFlows, catalog: CatalogClient) -> QueryResult:
    """Group, name, sort and cut what `read_report` read, asking the catalog (outside any
    transaction) for what the plan needs of the items."""
    plan = read.plan
    items: dict[str, CatalogItem] = {}
    if plan.needs_catalog:
        codes: set[str] = set()
        if plan.needs_item and not read.by_catalog:
            codes.update(row[0] for row in read.flow_rows)
        for stock in (read.opening, *read.changes.values()):
            codes.update(key[0] for key in stock.quantities)
        items = await report_items(catalog, codes)
    grouper = _Grouper(plan, items, read.locations)
    groups: dict[tuple[Any, ...], _Sums] = defaultdict(_Sums)
    _group_flows(read, grouper, groups)
    if any(m in STOCK for m in plan.measures):
        _group_stock(read, grouper, groups)
    # a row with nothing to show is left out, but a trend shows every bucket and a query
    # without dimensions its one total row
    rows = [_row(plan, key, sums) for key, sums in groups.items() if _shows(plan, sums)]
    shown = {tuple(row[d.value] for d in plan.dimensions) for row in rows}
    empty: list[tuple[Any, ...]] = []
    if plan.time is not None and len(plan.dimensions) == 1:
        empty = [(label,) for label in grouper.labels if (label,) not in shown]
    elif not plan.dimensions and not rows:
        empty = [()]
    rows += [_row(plan, key, _Sums()) for key in empty]
    rows = _sorted(rows, plan)
    return QueryResult(
        measures=[m.value for m in plan.measures],
        dimensions=[d.value for d in plan.dimensions],
        date_from=plan.first,
        date_to=plan.last,
        rows=rows[: plan.limit],
        total_rows=len(rows),
    )


def _group_flows(read: ReadFlows, grouper: _Grouper, groups: dict[tuple[Any, ...], _Sums]) -> None:
    plan = read.plan
    width = len(read.flow_columns)
    index = _bucket_index(plan) if plan.time is not None else None
    # the period, when read, is the last column of the group
    names = tuple(read.flow_columns[: width - 1] if index is not None else read.flow_columns)
    static = len(names)
    by_item = plan.needs_item and not read.by_catalog  # the item is then the first column
    units = plan.needs_units
    for row in read.flow_rows:
        item = row[0] if by_item else None
        if item is not None and not grouper.keeps_item(item):
            continue
        bucket = index(row[static]) if index is not None else 0
        sums = groups[grouper.key(grouper.template(names, tuple(row[:static])), bucket)]
        received_qty, received_value, issued_qty, issued_value, ext, internal = row[
            width : width + 6
        ]
        sums.received_quantity += received_qty or ZERO
        sums.received_value += received_value or ZERO
        sums.issued_quantity += issued_qty or ZERO
        sums.issued_value += issued_value or ZERO
        sums.external_moves += int(ext or 0)  # PostgreSQL sums BIGINT as NUMERIC
        sums.internal_moves += int(internal or 0)
        if units and item is not None:
            sums.units.add(grouper.unit(item))
        elif units and read.by_catalog:  # the unit of this part of the group
            sums.units.add(row[width + 6])


@dataclass(slots=True)
class _Held:
    """A group's closing stock: what its stock keys add up to, and their units."""

    quantity: Decimal = ZERO
    value: Decimal = ZERO
    #: unit -> how many of its stock keys hold something
    units: dict[str | None, int] = field(default_factory=dict)


class _StockWalk:
    """The stock keys' closing quantity and value bucket after bucket, kept summed per
    group: a bucket's changes touch only their items (whose shares of value are worked
    out again), so a long trend over many items costs its changes, not items x buckets."""

    def __init__(self, read: ReadFlows, grouper: _Grouper) -> None:
        plan = read.plan
        self.grouper = grouper
        self.location_level = plan.location_level
        self.names = _STOCK_NAMES if plan.location_level else ("item_code",)
        self.kept = location_ids(plan, read.locations) if plan.location_level else None
        self.states = set(plan.filters.get("quality_state", ()))
        self.stages = set(plan.filters.get("stage", ()))
        self.units = plan.needs_units
        self.held: dict[StockKey, Decimal] = {}  # quantity
        self.worth: dict[str, Decimal] = defaultdict(lambda: ZERO)  # the item's value
        self.shown: dict[StockKey, tuple[Decimal, Decimal]] = {}  # quantity, (shared) value
        self.by_item: dict[str, list[StockKey]] = defaultdict(list)
        self.places: dict[StockKey, tuple[Any, ...] | None] = {}
        self.groups: dict[tuple[Any, ...], _Held] = defaultdict(_Held)
        self.change(read.opening)

    def change(self, change: StockChange) -> None:
        """Add a bucket's changes; refresh the shown stock of every item they touch."""
        for key, quantity in change.quantities.items():
            found = self.held.get(key)
            if found is None:
                self.by_item[key[0]].append(key)
            self.held[key] = quantity if found is None else found + quantity
        for item, value in change.values.items():
            self.worth[item] += value
        for item in {key[0] for key in change.quantities}:
            keys = self.by_item[item]
            worth = self.worth[item]
            shares = (
                _shared_values(item, {k: self.held[k] for k in keys}, worth)
                if self.location_level
                else {}
            )
            for key in keys:
                quantity = self.held[key]
                value = worth
                if self.location_level:
                    value = shares[_as_bucket(key)] if quantity else ZERO
                self._show(key, quantity, value)

    def _show(self, key: StockKey, quantity: Decimal, value: Decimal) -> None:
        place = self._place(key)
        if place is None:
            return
        before = self.shown.get(key, (ZERO, ZERO))
        if before == (quantity, value):
            return
        self.shown[key] = (quantity, value)
        held = self.groups[place]
        held.quantity += quantity - before[0]
        held.value += value - before[1]
        if self.units and bool(before[0] or before[1]) != bool(quantity or value):
            unit = self.grouper.unit(key[0])
            held.units[unit] = held.units.get(unit, 0) + (1 if quantity or value else -1)

    def _place(self, key: StockKey) -> tuple[Any, ...] | None:
        """The group template of a stock key, None when the filters leave it out."""
        if key in self.places:
            return self.places[key]
        place: tuple[Any, ...] | None = self.grouper.template(self.names, key)
        if not self.grouper.keeps_item(key[0]):
            place = None
        elif self.location_level:
            _item, location_id, state, stage = key
            if (
                (self.kept is not None and location_id not in self.kept)
                or (self.states and state not in self.states)
                or (self.stages and stage not in self.stages)
            ):
                place = None
        self.places[key] = place
        return place


def _group_stock(read: ReadFlows, grouper: _Grouper, groups: dict[tuple[Any, ...], _Sums]) -> None:
    """Each bucket's closing stock per group, its value shared below the item."""
    walk = _StockWalk(read, grouper)
    for index in range(len(grouper.labels)):
        walk.change(read.changes.get(index, StockChange()))
        for place, held in walk.groups.items():
            if not (held.quantity or held.value):
                continue
            sums = groups[grouper.key(place, index)]
            sums.quantity += held.quantity
            sums.value += held.value
            sums.units.update(unit for unit, count in held.units.items() if count)


def _as_bucket(key: StockKey) -> tuple[str, int, None, str, str]:
    """A location-level stock key in the overview's bucket shape, so `bucket_values`
    shares values exactly as the overview does (the stage in the serial's place: it only
    orders an item's buckets there)."""
    item, location_id, state, stage = key
    return (item, location_id, None, state, stage)


def _shared_values(item: str, held: dict[StockKey, Decimal], worth: Decimal) -> dict[Any, Decimal]:
    """Each of `item`'s location-level keys' share of its value `worth`, by quantity."""
    buckets: dict[Any, tuple[Decimal, str]] = {
        _as_bucket(key): (quantity, key[3]) for key, quantity in held.items() if quantity
    }
    total = {item: (sum(held.values(), ZERO), worth)}
    return defaultdict(lambda: ZERO, bucket_values(buckets, total))


def _shows(plan: Plan, sums: _Sums) -> bool:
    """Whether any measure asked is not zero (a null quantity of mixed units may be)."""
    moved = sums.external_moves or sums.internal_moves
    return any(moved if m is Measure.MOVEMENTS else getattr(sums, m.value) for m in plan.measures)


def _row(plan: Plan, key: tuple[Any, ...], sums: _Sums) -> dict[str, Any]:
    row: dict[str, Any] = {d.value: value for d, value in zip(plan.dimensions, key, strict=True)}
    # one unit, or nothing counted (zeros, whatever the unit)
    quantities = not plan.needs_units or not sums.units or single_unit(sums.units) is not None
    moves = sums.external_moves + (
        sums.internal_moves if plan.location_level else sums.internal_moves // 2
    )
    measured: dict[Measure, Any] = {
        Measure.QUANTITY: sums.quantity,
        Measure.VALUE: sums.value,
        Measure.MOVEMENTS: moves,
        Measure.RECEIVED_QUANTITY: sums.received_quantity,
        Measure.RECEIVED_VALUE: sums.received_value,
        Measure.ISSUED_QUANTITY: sums.issued_quantity,
        Measure.ISSUED_VALUE: sums.issued_value,
    }
    for measure in plan.measures:
        value = measured[measure]
        row[measure.value] = None if measure in QUANTITIES and not quantities else value
    return row


def _sorted(rows: list[dict[str, Any]], plan: Plan) -> list[dict[str, Any]]:
    """By the dimensions ascending, then by the sort keys (most significant first); nulls
    last either way."""
    keys = [(d.value, False) for d in plan.dimensions][::-1] + list(plan.sort[::-1])
    for column, descending in keys:
        present = [r for r in rows if r.get(column) is not None]
        missing = [r for r in rows if r.get(column) is None]
        present.sort(key=itemgetter(column), reverse=descending)
        rows = present + missing
    return rows
