"""Inventory turnover (库存周转): issued value against average inventory, per period.

For each calendar month or ISO week (Monday to Sunday) of the trend, the last one ending
at the report date:

* **issued value**: what left physical stock for consumption at moving-average cost:
  issued to work orders (requisitions, production backflush), shipped, scrapped; reversals
  taken off. Returns to the supplier, count losses and moves between locations are not
  consumption;
* **average inventory value**: the mean of the period's daily closing values (a day's
  closing is its stock at the end of the day, UTC), an item's value at item level;
* **turnover** = issued value / average inventory value; **days of supply** = days in
  the period x average inventory / issued value (how long the average stock lasts at the
  period's rate of issue).

Everything comes from the stock flows (domain/flows.py), never from the ledger: the
opening stock is the last month-end closing before the first period plus the flows since
(usecases/closings.py), each period's daily closings are its opening plus the weighted
changes (whole months read their month rows, other
days their day rows).

Groups below the item (a warehouse, a stage) and the location and stage filters take an
item's average value in proportion to their share of its average quantity; the issued
value is where it was issued from. So the groups of an item always add up to the item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import Location, StockRollup
from services.stock.domain.flows import Grain, days_in_month, month_of
from services.stock.domain.valuation import money
from services.stock.report_schemas import TurnoverCell, TurnoverPeriod, TurnoverReport, TurnoverRow
from services.stock.usecases import rollups
from services.stock.usecases.aging import warehouses
from services.stock.usecases.closings import stock_at_end_of
from services.stock.usecases.flows import covered
from services.stock.usecases.report_items import catalog_table, report_items
from services.stock.usecases.reports import StockScope, scope_location_ids

ZERO = Decimal(0)
#: The movement kinds whose issues are consumption.
_RATIO = Decimal("0.0001")
_DAYS = Decimal("0.1")


class PeriodKind(StrEnum):
    MONTH = "month"
    WEEK = "week"


class TurnoverGroup(StrEnum):
    TOTAL = "total"
    ITEM = "item"
    CATEGORY = "category"
    STAGE = "stage"
    WAREHOUSE = "warehouse"


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    start: date
    #: The period's last day, or the report date in the last period.
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def periods(kind: PeriodKind, count: int, last_day: date) -> list[Period]:
    """The `count` periods up to the one holding `last_day` (cut at it), oldest first."""
    found: list[Period] = []
    if kind is PeriodKind.MONTH:
        start = month_of(last_day)
        for _ in range(count):
            end = min(start.replace(day=days_in_month(start)), last_day)
            found.append(Period(start.strftime("%Y-%m"), start, end))
            start = month_of(start - timedelta(days=1))
    else:
        start = last_day - timedelta(days=last_day.weekday())
        for _ in range(count):
            end = min(start + timedelta(days=6), last_day)
            year, week, _ = start.isocalendar()
            found.append(Period(f"{year}-W{week:02d}", start, end))
            start -= timedelta(days=7)
    return found[::-1]


#: item code, location id, stage
_Bucket = tuple[str, int, str]


@dataclass(slots=True)
class _Change:
    """A bucket's flows in one part of a period: net change and its weighted days."""

    quantity: Decimal = ZERO
    value: Decimal = ZERO
    qty_days: Decimal = ZERO
    value_days: Decimal = ZERO
    issued: Decimal = ZERO


@dataclass(slots=True)
class _Sums:
    issued: Decimal = ZERO
    average: Decimal = ZERO


async def turnover(
    session: AsyncSession,
    *,
    kind: PeriodKind,
    count: int,
    last_day: date,
    group_by: TurnoverGroup,
    scope: StockScope,
    catalog_items: dict[str, CatalogItem] | None = None,
) -> _Computed:
    """Issued and average values per group and period, read in the caller's snapshot.

    With `catalog_items` (PostgreSQL, by category): the database sums the period changes
    per category, the items' categories joined from them (`report_items.catalog_table`),
    so a year of twenty thousand items comes back as a few hundred rows."""
    trend = periods(kind, count, last_day)
    # below the item only when a group or filter needs locations or stages; else the sums
    # are the items' (or, for the total, everybody's) and the database adds them up
    detail = _Detail.TOTAL
    if group_by in (TurnoverGroup.ITEM, TurnoverGroup.CATEGORY):
        detail = _Detail.ITEM
    if (
        group_by in (TurnoverGroup.STAGE, TurnoverGroup.WAREHOUSE)
        or scope.location_code is not None
        or scope.stage is not None
    ):
        detail = _Detail.BUCKET
    quantities, values = await _opening(session, trend[0].start, scope.item_codes, detail)
    joined = None
    key: list[Any]
    if await rolled_up(session, group_by, detail, scope):
        # the whole stock, or per category: the rollups hold the changes' sums already
        flows = covered(trend[0].start, trend[-1].end, source=StockRollup)
        grouped = group_by is TurnoverGroup.CATEGORY
        key = [func.nullif(flows.category, "")] if grouped else []
    else:
        # whole months per item come from the item-month grain (a row per item and month)
        months = Grain.MONTH if detail is _Detail.BUCKET else Grain.ITEM_TOTAL
        grouped = catalog_items is not None and detail is _Detail.ITEM
        flows = covered(trend[0].start, trend[-1].end, months)
        key = _key_columns(flows, detail)
        if grouped and catalog_items is not None:
            joined = catalog_table(catalog_items)
            key = [joined.c.category]
    changes = await _changes(session, trend, flows, scope.item_codes, key, joined)
    locations = {loc.id: loc for loc in await session.scalars(select(Location))}
    in_scope = await scope_location_ids(session, scope)
    return _Computed(
        trend, group_by, detail, quantities, values, changes, locations, in_scope, grouped
    )


async def rolled_up(
    session: AsyncSession, group_by: TurnoverGroup, detail: _Detail, scope: StockScope
) -> bool:
    """The changes can be read from the rollups (usecases/rollups.py): the total or per
    category, of every item and location, and the rollups hold every item."""
    return (
        group_by in (TurnoverGroup.TOTAL, TurnoverGroup.CATEGORY)
        and detail is not _Detail.BUCKET
        and not scope.item_codes
        and await rollups.complete(session)
    )


class _Detail(StrEnum):
    """How finely the flows are summed: per bucket, per item, or all at once."""

    BUCKET = "bucket"
    ITEM = "item"
    TOTAL = "total"


def _key_columns(flows: Any, detail: _Detail) -> list[Any]:
    """The bucket's columns of `flows` at `detail`; a coarser bucket has "" and 0 in the
    others."""
    if detail is _Detail.BUCKET:
        return [flows.item_code, flows.location_id, flows.stage]
    if detail is _Detail.ITEM:
        return [flows.item_code]
    return []


def _bucket(values: Sequence[Any]) -> _Bucket:
    """A row's bucket from its key columns (see `_key_columns`)."""
    if len(values) == 3:
        return (values[0], values[1], values[2])
    return (values[0] if values else "", 0, "")


async def _opening(
    session: AsyncSession, first: date, items: Sequence[str], detail: _Detail
) -> tuple[dict[_Bucket, Decimal], dict[str, Decimal]]:
    """Each bucket's quantity and each item's value (all items' under "" for the total) at
    the end of the day before `first`."""
    key = {
        _Detail.BUCKET: ["item_code", "location_id", "stage"],
        _Detail.ITEM: ["item_code"],
        _Detail.TOTAL: [],
    }[detail]
    quantities, values = await stock_at_end_of(session, first - timedelta(days=1), key, items)
    if detail is _Detail.TOTAL:
        values = {"": sum(values.values(), ZERO)}
    return {_bucket(found): quantity for found, quantity in quantities.items()}, values


async def _changes(
    session: AsyncSession,
    trend: list[Period],
    flows: Any,
    items: Sequence[str],
    key: list[Any],
    joined: Any = None,
) -> dict[int, dict[_Bucket, _Change]]:
    """Per period (its index in `trend`), each bucket's change and weighted days, from
    `flows` (the trend's, `covered`); with `joined`, the catalog's items joined to group
    by their fields (see `turnover`)."""
    query = (
        select(
            flows.grain,
            flows.period,
            *key,
            func.sum(flows.qty_in - flows.qty_out),
            func.sum(flows.value_in - flows.value_out),
            func.sum(flows.qty_days),
            func.sum(flows.value_days),
            func.sum(flows.used_value),
        )
        .select_from(flows)
        .group_by(flows.grain, flows.period, *key)
    )
    if joined is not None:
        query = query.outerjoin(joined, joined.c.item_code == flows.item_code)
    if items:
        query = query.where(flows.item_code.in_(items))
    starts = [p.start for p in trend]
    out: dict[int, dict[_Bucket, _Change]] = defaultdict(lambda: defaultdict(_Change))
    for row in await session.execute(query):
        grain, period, *values, qty, value, qty_days, value_days, gone = row
        index = _index(starts, period)
        end = trend[index].end
        change = out[index][_bucket(values)]
        qty, value = Decimal(qty), Decimal(value)
        change.quantity += qty
        change.value += value
        change.issued += Decimal(gone)
        if grain != Grain.DAY.value:  # a whole month: weighted to its end, the period's
            change.qty_days += Decimal(qty_days)
            change.value_days += Decimal(value_days)
        else:
            days = (end - period).days + 1
            change.qty_days += qty * days
            change.value_days += value * days
    return out


def _index(starts: list[date], day: date) -> int:
    """The period holding `day` (the last whose start is not after it)."""
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= day:
            low = middle
        else:
            high = middle - 1
    return low


@dataclass
class _Computed:
    """What the flows gave; `report` names and shapes it (with the catalog's help)."""

    trend: list[Period]
    group_by: TurnoverGroup
    detail: _Detail
    #: At the end of the day before the trend: the buckets' quantities, the items' values.
    quantities: dict[_Bucket, Decimal]
    values: dict[str, Decimal]
    changes: dict[int, dict[_Bucket, _Change]]
    locations: dict[int, Location]
    location_ids: frozenset[int] | None
    #: The changes are keyed by their group already (summed per category in the database).
    grouped: bool = False

    def groups(
        self, items: dict[str, CatalogItem], stage: str | None
    ) -> dict[str | None, list[_Sums]]:
        """Issued and average value per group and period."""
        if self.detail is not _Detail.BUCKET:
            return self._item_groups(items)
        return self._bucket_groups(items, stage)

    def _item_groups(self, items: dict[str, CatalogItem]) -> dict[str | None, list[_Sums]]:
        """Groups of whole items (or the total): a group's average value is its items'
        values at the period's start plus their weighted changes, so only the items that
        changed in a period are looked at."""
        group_of: dict[str, str | None] = {}

        def group(item: str) -> str | None:
            if item not in group_of:
                group_of[item] = self._group((item, 0, ""), items, {})
            return group_of[item]

        level: dict[str | None, Decimal] = defaultdict(lambda: ZERO)
        for item, value in self.values.items():
            level[group(item)] += value
        for bucket in self.quantities:
            level[group(bucket[0])] += ZERO  # every group that holds stock gets its row
        out: dict[str | None, list[_Sums]] = defaultdict(lambda: [_Sums() for _ in self.trend])
        for index, period in enumerate(self.trend):
            weighted: dict[str | None, Decimal] = defaultdict(lambda: ZERO)
            moved: dict[str | None, Decimal] = defaultdict(lambda: ZERO)
            for bucket, change in self.changes.get(index, {}).items():
                key = bucket[0] if self.grouped else group(bucket[0])
                weighted[key] += change.value_days
                moved[key] += change.value
                out[key][index].issued += change.issued
            for key in set(level) | set(weighted):
                out[key][index].average = level[key] + weighted[key] / period.days
                level[key] += moved[key]
        return out

    def _bucket_groups(
        self, items: dict[str, CatalogItem], stage: str | None
    ) -> dict[str | None, list[_Sums]]:
        """Groups below the item: each item's average value shared by average quantity."""
        tops = warehouses(self.locations)
        held = dict(self.quantities)
        worth = defaultdict(lambda: ZERO, self.values)
        out: dict[str | None, list[_Sums]] = defaultdict(lambda: [_Sums() for _ in self.trend])
        for index, period in enumerate(self.trend):
            changes = self.changes.get(index, {})
            # the buckets' average quantity, the items' average quantity and value
            averages: dict[_Bucket, Decimal] = {}
            per_item: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
            for bucket in set(held) | set(changes):
                quantity = held.get(bucket, ZERO)
                change = changes.get(bucket)
                qty_days = quantity * period.days + (change.qty_days if change else ZERO)
                averages[bucket] = qty_days / period.days
                per_item[bucket[0]][0] += averages[bucket]
                if change is not None:
                    held[bucket] = quantity + change.quantity
            moved: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
            for bucket, change in changes.items():
                moved[bucket[0]][0] += change.value_days
                moved[bucket[0]][1] += change.value
            for item in set(worth) | set(moved):
                value_days, value = moved.get(item, (ZERO, ZERO))
                per_item[item][1] = (worth[item] * period.days + value_days) / period.days
                worth[item] += value
            for bucket, quantity in averages.items():
                item, location_id, bucket_stage = bucket
                if not self._selected(location_id, bucket_stage, stage):
                    continue
                sums = out[self._group(bucket, items, tops)][index]
                item_quantity, item_value = per_item[item]
                if item_quantity:
                    sums.average += item_value * quantity / item_quantity
                change = changes.get(bucket)
                if change is not None:
                    sums.issued += change.issued
        return out

    def _selected(self, location_id: int, bucket_stage: str, stage: str | None) -> bool:
        allowed = self.location_ids is None or location_id in self.location_ids
        return allowed and (stage is None or bucket_stage == stage)

    def _group(
        self, bucket: _Bucket, items: dict[str, CatalogItem], tops: dict[int, Location]
    ) -> str | None:
        item, location_id, stage = bucket
        if self.group_by is TurnoverGroup.TOTAL:
            return None
        if self.group_by is TurnoverGroup.ITEM:
            return item
        if self.group_by is TurnoverGroup.CATEGORY:
            info = items.get(item)
            return info.category if info is not None else None
        if self.group_by is TurnoverGroup.STAGE:
            return stage
        top = tops.get(location_id)
        return top.code if top is not None else None


async def report(
    computed: _Computed,
    catalog: CatalogClient,
    *,
    kind: PeriodKind,
    stage: str | None,
    limit: int,
) -> TurnoverReport:
    """The turnover report of `computed`, asking the catalog (outside any transaction) for
    categories and names when the grouping needs them."""
    needs_catalog = computed.group_by in (TurnoverGroup.CATEGORY, TurnoverGroup.ITEM)
    changed = set() if computed.grouped else _changed_items(computed)
    codes = sorted({bucket[0] for bucket in computed.quantities} | changed)
    items = await report_items(catalog, codes) if needs_catalog else {}
    groups = computed.groups(items, stage)
    trend = computed.trend
    totals = [_Sums() for _ in trend]
    for sums in groups.values():
        for index, period_sums in enumerate(sums):
            totals[index].issued += period_sums.issued
            totals[index].average += period_sums.average
    ranked = sorted(
        groups.items(),
        key=lambda kv: (-sum((s.issued for s in kv[1]), ZERO), kv[0] is None, kv[0] or ""),
    )
    rows = [
        TurnoverRow(
            key=key,
            item_name=_name(items, key) if computed.group_by is TurnoverGroup.ITEM else None,
            periods=_cells(trend, sums),
            overall=_overall(trend, sums),
        )
        for key, sums in ranked[:limit]
    ]
    return TurnoverReport(
        period=kind.value,
        date_from=trend[0].start,
        date_to=trend[-1].end,
        group_by=computed.group_by.value,
        periods=[
            TurnoverPeriod(label=p.label, start=p.start, end=p.end, days=p.days) for p in trend
        ],
        rows=rows,
        total_rows=len(groups),
        totals=_cells(trend, totals),
        overall=_overall(trend, totals),
    )


def _changed_items(computed: _Computed) -> set[str]:
    return {bucket[0] for changes in computed.changes.values() for bucket in changes}


def _name(items: dict[str, CatalogItem], key: str | None) -> str | None:
    info = items.get(key) if key is not None else None
    return info.name if info is not None else None


def _cells(trend: Iterable[Period], sums: list[_Sums]) -> list[TurnoverCell]:
    return [_cell(p.label, p.days, s.issued, s.average) for p, s in zip(trend, sums, strict=True)]


def _overall(trend: list[Period], sums: list[_Sums]) -> TurnoverCell:
    """The whole trend as one period: its issues, its day-weighted average inventory."""
    days = sum(p.days for p in trend)
    issued = sum((s.issued for s in sums), ZERO)
    average = sum((s.average * p.days for p, s in zip(trend, sums, strict=True)), ZERO) / days
    return _cell(f"{trend[0].label}..{trend[-1].label}", days, issued, average)


def _cell(label: str, days: int, issued: Decimal, average: Decimal) -> TurnoverCell:
    return TurnoverCell(
        label=label,
        issued_value=money(issued),
        average_inventory_value=money(average),
        turnover=(issued / average).quantize(_RATIO, ROUND_HALF_UP) if average > 0 else None,
        days_of_supply=(days * average / issued).quantize(_DAYS, ROUND_HALF_UP)
        if issued > 0
        else None,
    )

