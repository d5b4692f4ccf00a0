"""Stock reports: aging (库龄), on-hand stock by age since it was received.

Age: whole days from the stock's receipt to the report date (the UTC date of `as_of`, or
of now). Stock in a lot ages from the lot's `receipt_date`; stock without a lot from the
moment its balance began to hold stock (`since`, as the dead-stock report and the balances
show it); at a past `as_of`, when that `since` is later (the bucket was emptied and filled
again since), from the last movement into the bucket at or before `as_of`.

Quantities and values are those of `GET /v1/stock-overview` for the same location
(subtree), items and moment: the balances now, or the ledger replayed up to `as_of`; each
balance's share of its item's moving-average value (the valuation now, the ledger's values
up to `as_of`), spread exactly as the overview spreads it, so the totals tie out. The
stage and quality-state filters then choose among those balances.

A lot is expired when its `expiry_date` is before the report date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient
from services.stock.db.models import Balance, Location, Lot, MovementRow
from services.stock.db.queries import location_by_code, location_subtree_ids
from services.stock.domain.model import LocationType, QualityState
from services.stock.report_schemas import AgingBucket, AgingCell, AgingReport, AgingRow
from services.stock.usecases.overview import (
    Bucket,
    bucket_of,
    bucket_values,
    item_worth,
    replayed_sums,
)
from services.stock.usecases.report_items import report_items
from services.stock.usecases.reports import StockScope
from shared.db.filters import one_of

#: The default age bands' upper limits (days): 0-30, 31-90, 91-180, 181-365, over 365.
DEFAULT_LIMITS = (30, 90, 180, 365)


class AgingGroup(StrEnum):
    ITEM = "item"
    CATEGORY = "category"
    WAREHOUSE = "warehouse"
    STAGE = "stage"


def bands(limits: Sequence[int]) -> list[AgingBucket]:
    """The age bands for ascending upper `limits`: 0-a, a+1-b, ..., over the last."""
    found, low = [], 0
    for limit in limits:
        found.append(AgingBucket(label=f"{low}-{limit}", min_days=low, max_days=limit))
        low = limit + 1
    found.append(AgingBucket(label=f"over {limits[-1]}", min_days=low, max_days=None))
    return found


@dataclass(slots=True)
class _Held:
    """A balance as the report sees it."""

    quantity: Decimal
    stage: str
    since: datetime | None


@dataclass(slots=True)
class _Sums:
    quantity: list[Decimal]
    value: list[Decimal]
    expired_quantity: Decimal = Decimal(0)
    expired_value: Decimal = Decimal(0)
    units: set[str | None] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class AgedStock:
    """What the report reads from the database, in one snapshot: the balances chosen, their
    values, their lots and every location's warehouse."""

    moment: datetime
    report_date: date
    held: dict[Bucket, _Held]
    values: dict[Bucket, Decimal]
    lots: dict[int, Lot]
    warehouses: dict[int, Location]


async def read_stock(
    session: AsyncSession,
    *,
    as_of: datetime | None,
    now: datetime,
    scope: StockScope,
    quality_state: QualityState | None,
) -> AgedStock:
    """The stock `scope` (and `quality_state`) selects, now or at `as_of`, with its values."""
    moment = as_of or now
    locations = {loc.id: loc for loc in await session.scalars(select(Location))}
    where = await _location_scope(session, scope)
    held = (
        await _replayed(session, as_of, where, scope.item_codes)
        if as_of is not None
        else await _now(session, where, scope.item_codes)
    )
    worth = await item_worth(session, as_of, {bucket[0] for bucket in held})
    values = bucket_values({k: (h.quantity, h.stage) for k, h in held.items()}, worth)
    chosen = {
        key: h
        for key, h in held.items()
        if (scope.stage is None or h.stage == scope.stage.value)
        and (quality_state is None or key[3] == quality_state.value)
    }
    lot_ids = {key[2] for key in chosen if key[2] is not None}
    lots = (
        {lot.id: lot for lot in await session.scalars(select(Lot).where(Lot.id.in_(lot_ids)))}
        if lot_ids
        else {}
    )
    if as_of is not None:
        await _arrivals(session, as_of, chosen)
    return AgedStock(
        moment=moment,
        report_date=moment.astimezone(UTC).date(),
        held=chosen,
        values=values,
        lots=lots,
        warehouses=warehouses(locations),
    )


async def aging(
    stock: AgedStock, catalog: CatalogClient, *, limits: Sequence[int], group_by: AgingGroup
) -> AgingReport:
    """The aging report of `stock`, asking the catalog (outside any transaction) for the
    items' names, units and categories."""
    report_date, lots, values = stock.report_date, stock.lots, stock.values
    items = await report_items(catalog, {key[0] for key in stock.held})
    band_list = bands(limits)

    groups: dict[str | None, _Sums] = {}
    for key, h in stock.held.items():
        item, location_id, lot_id, _state, _serial = key
        lot = lots.get(lot_id) if lot_id is not None else None
        start = lot.receipt_date if lot is not None else _day(h.since, report_date)
        band = _band(max((report_date - start).days, 0), limits)
        info = items.get(item)
        group: str | None
        if group_by is AgingGroup.ITEM:
            group = item
        elif group_by is AgingGroup.CATEGORY:
            group = info.category if info is not None else None
        elif group_by is AgingGroup.WAREHOUSE:
            group = stock.warehouses[location_id].code
        else:
            group = h.stage
        sums = groups.get(group)
        if sums is None:
            sums = groups[group] = _Sums(
                [Decimal(0)] * len(band_list), [Decimal(0)] * len(band_list)
            )
        sums.units.add(info.uom if info is not None else None)
        sums.quantity[band] += h.quantity
        sums.value[band] += values[key]
        if lot is not None and lot.expiry_date is not None and lot.expiry_date < report_date:
            sums.expired_quantity += h.quantity
            sums.expired_value += values[key]

    rows = []
    total = _Sums([Decimal(0)] * len(band_list), [Decimal(0)] * len(band_list))
    for group in sorted(groups, key=lambda g: (g is None, g or "")):
        sums = groups[group]
        total.units |= sums.units
        for i in range(len(band_list)):
            total.quantity[i] += sums.quantity[i]
            total.value[i] += sums.value[i]
        total.expired_quantity += sums.expired_quantity
        total.expired_value += sums.expired_value
        single = single_unit(sums.units)
        # an item has one stock unit, even one the catalog no longer knows
        counted = single is not None or group_by is AgingGroup.ITEM
        info = items.get(group) if group_by is AgingGroup.ITEM and group is not None else None
        rows.append(
            AgingRow(
                key=group,
                item_name=info.name if info is not None else None,
                uom=single,
                buckets=_cells(band_list, sums, counted),
                quantity=sum(sums.quantity, Decimal(0)) if counted else None,
                value=sum(sums.value, Decimal(0)),
                expired_quantity=sums.expired_quantity if counted else None,
                expired_value=sums.expired_value,
            )
        )
    single_total = single_unit(total.units) is not None or not rows
    return AgingReport(
        as_of=stock.moment,
        report_date=report_date,
        group_by=group_by.value,
        buckets=band_list,
        rows=rows,
        totals=_cells(band_list, total, single_total),
        total_quantity=sum(total.quantity, Decimal(0)) if single_total else None,
        total_value=sum(total.value, Decimal(0)),
        expired_quantity=total.expired_quantity if single_total else None,
        expired_value=total.expired_value,
    )


def single_unit(units: set[str | None]) -> str | None:
    """The one unit of a group's items, or None when they mix units (or one is unknown)."""
    if len(units) == 1:
        (unit,) = units
        return unit
    return None


def _cells(band_list: list[AgingBucket], sums: _Sums, quantities: bool) -> list[AgingCell]:
    return [
        AgingCell(
            label=band.label,
            quantity=sums.quantity[i] if quantities else None,
            value=sums.value[i],
        )
        for i, band in enumerate(band_list)
    ]


def _band(age: int, limits: Sequence[int]) -> int:
    for i, limit in enumerate(limits):
        if age <= limit:
            return i
    return len(limits)


def _day(since: datetime | None, report_date: date) -> date:
    return since.astimezone(UTC).date() if since is not None else report_date


async def _location_scope(session: AsyncSession, scope: StockScope) -> Any:
    """Location ids the scope covers (a collection or a subquery), or None for all; an
    unknown code covers nothing, as in the dead-stock report."""
    if scope.location_code is None:
        return None
    root = await location_by_code(session, scope.location_code)
    if root is None:
        return [-1]
    return location_subtree_ids(root.id) if scope.subtree else [root.id]


async def _now(session: AsyncSession, where: Any, item_codes: Sequence[str]) -> dict[Bucket, _Held]:
    query = select(
        Balance.item_code,
        Balance.location_id,
        Balance.lot_id,
        Balance.quality_state,
        Balance.serial_key,
        Balance.stage,
        Balance.quantity,
        Balance.since,
    ).where(Balance.quantity != 0)
    if item_codes:
        query = query.where(one_of(session, Balance.item_code, item_codes))
    if where is not None:
        query = query.where(Balance.location_id.in_(where))
    return {
        (row.item_code, row.location_id, row.lot_id, row.quality_state, row.serial_key): _Held(
            row.quantity, row.stage, row.since
        )
        for row in await session.execute(query)
    }


async def _replayed(
    session: AsyncSession, as_of: datetime, where: Any, item_codes: Sequence[str]
) -> dict[Bucket, _Held]:
    summed = replayed_sums(as_of, None, where)
    query = (
        select(summed, Balance.stage, Balance.since)
        .join(Balance, bucket_of(summed))
        .where(summed.c.quantity != 0)
    )
    if item_codes:
        query = query.where(one_of(session, summed.c.item_code, item_codes))
    return {
        (row.item_code, row.location_id, row.lot_id, row.quality_state, row.serial_key): _Held(
            Decimal(row.quantity), row.stage, _held_by(row.since, as_of)
        )
        for row in await session.execute(query)
    }


def _held_by(since: datetime | None, as_of: datetime) -> datetime | None:
    """A balance's `since` if it already held stock from then at `as_of`, else unknown."""
    return since if since is not None and since <= as_of else None


async def _arrivals(session: AsyncSession, as_of: datetime, held: dict[Bucket, _Held]) -> None:
    """For stock without a lot whose `since` is unknown at `as_of`: the last movement into
    its bucket at or before `as_of`."""
    missing = [key for key, h in held.items() if key[2] is None and h.since is None]
    if not missing:
        return
    query = (
        select(
            MovementRow.item_code,
            MovementRow.to_location_id,
            MovementRow.to_state,
            MovementRow.serial_number,
            func.max(MovementRow.posted_at),
        )
        .where(
            MovementRow.posted_at <= as_of,
            MovementRow.lot_id.is_(None),
            one_of(session, MovementRow.item_code, sorted({key[0] for key in missing})),
        )
        .group_by(
            MovementRow.item_code,
            MovementRow.to_location_id,
            MovementRow.to_state,
            MovementRow.serial_number,
        )
    )
    last: dict[Bucket, datetime] = {
        (item, location, None, state, serial or ""): moment
        for item, location, state, serial, moment in await session.execute(query)
    }
    for key in missing:
        held[key].since = last.get(key)


def warehouses(locations: dict[int, Location]) -> dict[int, Location]:
    """Every location's warehouse: its topmost ancestor (or itself) of type warehouse, else
    the top of its tree."""
    found: dict[int, Location] = {}
    for loc in locations.values():
        top, warehouse, seen = loc, None, set()
        while True:
            if top.location_type == LocationType.WAREHOUSE.value:
                warehouse = top
            if top.parent_id is None or top.parent_id not in locations or top.id in seen:
                break
            seen.add(top.id)
            top = locations[top.parent_id]
        found[loc.id] = warehouse or top
    return found
