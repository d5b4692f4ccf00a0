"""The multi-stage view: quantity by stage x quality state, now or at any past moment.

Without `as_of` it reads the balances; with it, it replays the ledger up to that moment
(every movement up to then, in minus out per bucket) and takes each bucket's stage from
its balance row, so both answers agree whenever nothing was posted after `as_of`.
Rows group by total, item, warehouse (the top of a location's tree), location or lot.

Values: an item's stock value (moving average, at item level) is spread over its buckets
by quantity, rounding cumulatively so that the buckets of an item add up to exactly its
value; now from the item valuations, at `as_of` from the values on the ledger up to then.
Value fields are read by finance and admin only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Balance, ItemValuation, Location, Lot, MovementRow
from services.stock.db.queries import location_subtree_ids
from services.stock.domain.model import QualityState, Stage
from services.stock.domain.valuation import money
from services.stock.schemas import OverviewCell, OverviewOut, OverviewRow
from shared.errors import FieldError, InvalidInput


class GroupBy(StrEnum):
    TOTAL = "total"
    ITEM = "item"
    WAREHOUSE = "warehouse"
    LOCATION = "location"
    LOT = "lot"


K = TypeVar("K")

#: item, location id, lot id, quality state, serial number ("" without)
Bucket = tuple[str, int, int | None, str, str]


async def _scope(session: AsyncSession, location_code: str | None) -> Any:
    if location_code is None:
        return None
    root = await session.scalar(select(Location.id).where(Location.code == location_code))
    if root is None:
        raise InvalidInput(
            f"no location {location_code!r}",
            errors=[FieldError("query.location_code", "unknown location", "not_found")],
        )
    return location_subtree_ids(root)


async def _now(
    session: AsyncSession, item_code: str | None, scope: Any
) -> dict[Bucket, tuple[Decimal, str]]:
    query = select(
        Balance.item_code,
        Balance.location_id,
        Balance.lot_id,
        Balance.quality_state,
        Balance.serial_key,
        Balance.stage,
        Balance.quantity,
    ).where(Balance.quantity != 0)
    if item_code is not None:
        query = query.where(Balance.item_code == item_code)
    if scope is not None:
        query = query.where(Balance.location_id.in_(scope))
    return {
        (row.item_code, row.location_id, row.lot_id, row.quality_state, row.serial_key): (
            row.quantity,
            row.stage,
        )
        for row in await session.execute(query)
    }


def replayed_sums(as_of: datetime, item_code: str | None, scope: Any) -> Any:
    """Subquery: quantity per bucket (item_code, location_id, lot_id, quality_state) from
    every movement up to `as_of`, in minus out."""
    physical = select(Location.id).where(Location.is_virtual.is_(False))
    sides = []
    for location, state, sign in (
        (MovementRow.to_location_id, MovementRow.to_state, 1),
        (MovementRow.from_location_id, MovementRow.from_state, -1),
    ):
        side = select(
            MovementRow.item_code.label("item_code"),
            location.label("location_id"),
            MovementRow.lot_id.label("lot_id"),
            state.label("quality_state"),
            func.coalesce(MovementRow.serial_number, "").label("serial_key"),
            (MovementRow.quantity * literal(sign)).label("quantity"),
        ).where(MovementRow.posted_at <= as_of, location.in_(physical))
        if item_code is not None:
            side = side.where(MovementRow.item_code == item_code)
        if scope is not None:
            side = side.where(location.in_(scope))
        sides.append(side)
    ledger = union_all(*sides).subquery("ledger")
    return (
        select(
            ledger.c.item_code,
            ledger.c.location_id,
            ledger.c.lot_id,
            ledger.c.quality_state,
            ledger.c.serial_key,
            func.sum(ledger.c.quantity).label("quantity"),
        )
        .group_by(
            ledger.c.item_code,
            ledger.c.location_id,
            ledger.c.lot_id,
            ledger.c.quality_state,
            ledger.c.serial_key,
        )
        .subquery("summed")
    )


def bucket_of(summed: Any) -> Any:
    """Join condition: the balance row of a replayed bucket."""
    return and_(
        Balance.item_code == summed.c.item_code,
        Balance.location_id == summed.c.location_id,
        func.coalesce(Balance.lot_id, 0) == func.coalesce(summed.c.lot_id, 0),
        Balance.quality_state == summed.c.quality_state,
        Balance.serial_key == summed.c.serial_key,
    )


async def _replayed(
    session: AsyncSession, as_of: datetime, item_code: str | None, scope: Any
) -> dict[Bucket, tuple[Decimal, str]]:
    summed = replayed_sums(as_of, item_code, scope)
    query = (
        select(summed, Balance.stage).join(Balance, bucket_of(summed)).where(summed.c.quantity != 0)
    )
    return {
        (row.item_code, row.location_id, row.lot_id, row.quality_state, row.serial_key): (
            Decimal(row.quantity),
            row.stage,
        )
        for row in await session.execute(query)
    }


async def item_worth(
    session: AsyncSession, as_of: datetime | None, item_codes: Iterable[str] | None
) -> dict[str, tuple[Decimal, Decimal]]:
    """Quantity and value of each item over all physical locations, now or at `as_of`.

    At `as_of`: the ledger's values up to then, in where a movement arrives at a physical
    location and out where it leaves one (internal movements cancel out).
    """
    codes = None if item_codes is None else sorted(set(item_codes))
    if codes == []:
        return {}
    if as_of is None:
        query = select(ItemValuation.item_code, ItemValuation.quantity, ItemValuation.value)
        if codes is not None:
            query = query.where(ItemValuation.item_code.in_(codes))
        return {row.item_code: (row.quantity, row.value) for row in await session.execute(query)}
    physical = select(Location.id).where(Location.is_virtual.is_(False))
    sides = []
    for location, sign in ((MovementRow.to_location_id, 1), (MovementRow.from_location_id, -1)):
        side = select(
            MovementRow.item_code.label("item_code"),
            (MovementRow.quantity * literal(sign)).label("quantity"),
            (MovementRow.value * literal(sign)).label("value"),
        ).where(MovementRow.posted_at <= as_of, location.in_(physical))
        if codes is not None:
            side = side.where(MovementRow.item_code.in_(codes))
        sides.append(side)
    ledger = union_all(*sides).subquery("ledger")
    summed = select(
        ledger.c.item_code, func.sum(ledger.c.quantity), func.sum(ledger.c.value)
    ).group_by(ledger.c.item_code)
    return {
        code: (Decimal(quantity), Decimal(value))
        for code, quantity, value in await session.execute(summed)
    }


def share_value(
    quantities: Mapping[K, Decimal],
    worth: Mapping[str, tuple[Decimal, Decimal]],
    *,
    item: Callable[[K], str],
    order: Callable[[K], Any],
) -> dict[K, Decimal]:
    """Each key's share of its item's value (`worth`: the item's quantity and value), by
    quantity, rounded cumulatively in `order` so that an item's shares add up to exactly its
    value when they cover its stock. Reports that group buckets coarser or finer get equal
    sums per group as long as their groups are contiguous in the order: the overview's
    buckets and the stock-value report's (item, location, state) share the same running sums
    at every location and state."""
    by_item: dict[str, list[K]] = defaultdict(list)
    for key in quantities:
        by_item[item(key)].append(key)
    values: dict[K, Decimal] = {}
    for code, keys in by_item.items():
        held, value = worth.get(code, (Decimal(0), Decimal(0)))
        running, before = Decimal(0), Decimal(0)
        for key in sorted(keys, key=order):
            running += quantities[key]
            upto = money(running * value / held) if held > 0 else Decimal(0)
            values[key] = upto - before
            before = upto
    return values


def bucket_order(bucket: Bucket) -> tuple[int, str, int, str]:
    """Buckets by location, quality state, lot and serial: those of one location and state
    are contiguous."""
    _item, location_id, lot_id, state, serial = bucket
    return (location_id, state, lot_id or 0, serial)


def bucket_values(
    buckets: dict[Bucket, tuple[Decimal, str]], worth: dict[str, tuple[Decimal, Decimal]]
) -> dict[Bucket, Decimal]:
    """Each bucket's share of its item's value, by quantity, rounded cumulatively."""
    return share_value(
        {key: quantity for key, (quantity, _stage) in buckets.items()},
        worth,
        item=lambda bucket: bucket[0],
        order=bucket_order,
    )


def _roots(locations: Iterable[Location]) -> dict[int, Location]:
    """Every location's warehouse: the top of its tree."""
    by_id = {loc.id: loc for loc in locations}
    roots: dict[int, Location] = {}
    for loc in by_id.values():
        top, seen = loc, set()
        while top.parent_id is not None and top.parent_id in by_id and top.id not in seen:
            seen.add(top.id)
            top = by_id[top.parent_id]
        roots[loc.id] = top
    return roots


async def overview(
    session: AsyncSession,
    *,
    as_of: datetime | None,
    group_by: GroupBy,
    item_code: str | None,
    location_code: str | None,
) -> OverviewOut:
    scope = await _scope(session, location_code)
    buckets = (
        await _replayed(session, as_of, item_code, scope)
        if as_of is not None
        else await _now(session, item_code, scope)
    )
    locations = list(await session.scalars(select(Location)))
    by_id = {loc.id: loc for loc in locations}
    roots = _roots(locations)
    lot_ids = {bucket[2] for bucket in buckets if bucket[2] is not None}
    lots = {
        lot.id: lot.lot_number
        for lot in (
            await session.scalars(select(Lot).where(Lot.id.in_(lot_ids))) if lot_ids else []
        )
    }
    worth = await item_worth(session, as_of, {bucket[0] for bucket in buckets})
    values = bucket_values(buckets, worth)
    groups: dict[tuple[str, ...], dict[tuple[str, str], list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [Decimal(0), Decimal(0)])
    )
    for bucket, (quantity, stage) in buckets.items():
        item, location_id, lot_id, state, _serial = bucket
        if group_by is GroupBy.TOTAL:
            key: tuple[str, ...] = ()
        elif group_by is GroupBy.ITEM:
            key = (item,)
        elif group_by is GroupBy.WAREHOUSE:
            key = (roots[location_id].code,)
        elif group_by is GroupBy.LOCATION:
            key = (item, by_id[location_id].code)
        else:
            key = (item, by_id[location_id].code, lots.get(lot_id, "") if lot_id else "")
        cell = groups[key][(stage, state)]
        cell[0] += quantity
        cell[1] += values[bucket]
    names = {
        GroupBy.TOTAL: (),
        GroupBy.ITEM: ("item_code",),
        GroupBy.WAREHOUSE: ("warehouse_code",),
        GroupBy.LOCATION: ("item_code", "location_code"),
        GroupBy.LOT: ("item_code", "location_code", "lot_number"),
    }[group_by]
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    rows = []
    for key in sorted(groups):
        cells = groups[key]
        for name, (quantity, value) in cells.items():
            totals[name][0] += quantity
            totals[name][1] += value
        rows.append(
            OverviewRow(
                group=dict(zip(names, key, strict=True)),
                cells=_cells(cells),
                total=sum((c[0] for c in cells.values()), Decimal(0)),
                value=sum((c[1] for c in cells.values()), Decimal(0)),
            )
        )
    return OverviewOut(
        as_of=as_of,
        group_by=group_by.value,
        rows=rows,
        totals=_cells(totals),
        total=sum((c[0] for c in totals.values()), Decimal(0)),
        total_value=sum((c[1] for c in totals.values()), Decimal(0)),
    )


def _cells(cells: dict[tuple[str, str], list[Decimal]]) -> list[OverviewCell]:
    order = {s.value: i for i, s in enumerate(Stage)}
    states = {s.value: i for i, s in enumerate(QualityState)}
    return [
        OverviewCell(
            stage=Stage(stage), quality_state=QualityState(state), quantity=quantity, value=value
        )
        for (stage, state), (quantity, value) in sorted(
            cells.items(), key=lambda kv: (order[kv[0][0]], states[kv[0][1]])
        )
        if quantity != 0
    ]
