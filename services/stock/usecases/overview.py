"""The multi-stage view: quantity by stage x quality state, now or at any past moment.

Without `as_of` it reads the balances; with it, it replays the ledger up to that moment
(every movement up to then, in minus out per bucket) and takes each bucket's stage from
its balance row, so both answers agree whenever nothing was posted after `as_of`.
Rows group by total, item, warehouse (the top of a location's tree), location or lot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Balance, Location, Lot, MovementRow
from services.stock.db.queries import location_subtree_ids
from services.stock.domain.model import QualityState, Stage
from services.stock.schemas import OverviewCell, OverviewOut, OverviewRow
from shared.errors import FieldError, InvalidInput


class GroupBy(StrEnum):
    TOTAL = "total"
    ITEM = "item"
    WAREHOUSE = "warehouse"
    LOCATION = "location"
    LOT = "lot"


Bucket = tuple[str, int, int | None, str]  # item, location id, lot id, quality state


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
        Balance.stage,
        Balance.quantity,
    ).where(Balance.quantity != 0)
    if item_code is not None:
        query = query.where(Balance.item_code == item_code)
    if scope is not None:
        query = query.where(Balance.location_id.in_(scope))
    return {
        (row.item_code, row.location_id, row.lot_id, row.quality_state): (row.quantity, row.stage)
        for row in await session.execute(query)
    }


async def _replayed(
    session: AsyncSession, as_of: datetime, item_code: str | None, scope: Any
) -> dict[Bucket, tuple[Decimal, str]]:
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
            (MovementRow.quantity * literal(sign)).label("quantity"),
        ).where(MovementRow.posted_at <= as_of, location.in_(physical))
        if item_code is not None:
            side = side.where(MovementRow.item_code == item_code)
        if scope is not None:
            side = side.where(location.in_(scope))
        sides.append(side)
    ledger = union_all(*sides).subquery("ledger")
    summed = (
        select(
            ledger.c.item_code,
            ledger.c.location_id,
            ledger.c.lot_id,
            ledger.c.quality_state,
            func.sum(ledger.c.quantity).label("quantity"),
        )
        .group_by(ledger.c.item_code, ledger.c.location_id, ledger.c.lot_id, ledger.c.quality_state)
        .subquery("summed")
    )
    query = (
        select(summed, Balance.stage)
        .join(
            Balance,
            and_(
                Balance.item_code == summed.c.item_code,
                Balance.location_id == summed.c.location_id,
                func.coalesce(Balance.lot_id, 0) == func.coalesce(summed.c.lot_id, 0),
                Balance.quality_state == summed.c.quality_state,
            ),
        )
        .where(summed.c.quantity != 0)
    )
    return {
        (row.item_code, row.location_id, row.lot_id, row.quality_state): (
            Decimal(row.quantity),
            row.stage,
        )
        for row in await session.execute(query)
    }


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
    lot_ids = {lot_id for _, _, lot_id, _ in buckets if lot_id is not None}
    lots = {
        lot.id: lot.lot_number
        for lot in (
            await session.scalars(select(Lot).where(Lot.id.in_(lot_ids))) if lot_ids else []
        )
    }
    groups: dict[tuple[str, ...], dict[tuple[str, str], Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    for (item, location_id, lot_id, state), (quantity, stage) in buckets.items():
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
        groups[key][(stage, state)] += quantity
    names = {
        GroupBy.TOTAL: (),
        GroupBy.ITEM: ("item_code",),
        GroupBy.WAREHOUSE: ("warehouse_code",),
        GroupBy.LOCATION: ("item_code", "location_code"),
        GroupBy.LOT: ("item_code", "location_code", "lot_number"),
    }[group_by]
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    rows = []
    for key in sorted(groups):
        cells = groups[key]
        for cell, quantity in cells.items():
            totals[cell] += quantity
        rows.append(
            OverviewRow(
                group=dict(zip(names, key, strict=True)),
                cells=_cells(cells),
                total=sum(cells.values(), Decimal(0)),
            )
        )
    return OverviewOut(
        as_of=as_of,
        group_by=group_by.value,
        rows=rows,
        totals=_cells(totals),
        total=sum(totals.values(), Decimal(0)),
    )


def _cells(cells: dict[tuple[str, str], Decimal]) -> list[OverviewCell]:
    order = {s.value: i for i, s in enumerate(Stage)}
    states = {s.value: i for i, s in enumerate(QualityState)}
    return [
        OverviewCell(stage=Stage(stage), quality_state=QualityState(state), quantity=quantity)
        for (stage, state), quantity in sorted(
            cells.items(), key=lambda kv: (order[kv[0][0]], states[kv[0][1]])
        )
        if quantity != 0
    ]
