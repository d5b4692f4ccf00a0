"""Material check of a work order and "what can I build now", on live stock.

Both read the catalog's planning data below the item (one call), stock's availability of
those items (in parallel batches) and, for the check, MRP's open orders of them; then the
pure `domain.material` functions answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from services.mrp.clients import Availability, CatalogClient, PlanningData, StockClient
from services.mrp.db.models import WorkOrder
from services.mrp.domain.material import buildable_quantity, check_material
from services.mrp.domain.model import PlanBom, ScheduledReceipt
from services.mrp.domain.work_orders import NoBomVersion, pin_version
from services.mrp.run_schemas import BuildableOut
from services.mrp.usecases.runs import read_orders
from services.mrp.usecases.work_orders import components_of
from shared.db.database import Database
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.schemas import plain

ZERO = Decimal(0)
#: Item codes per availability call, and the characters they may take in its URL.
AVAILABILITY_BATCH = 500
URL_BUDGET = 10_000


class NoBomToCheck(Conflict):
    code = "no_effective_bom"
    title = "No BOM version to check against"


async def availability_of(stock: StockClient, codes: Sequence[str]) -> dict[str, Availability]:
    """Availability of `codes`, asked in parallel batches as large as a URL comfortably
    holds (stock takes up to 500 codes a call; servers refuse request lines over 16 KB)."""
    batches: list[list[str]] = [[]]
    length = 0
    for code in codes:
        cost = len(quote(code, safe="")) + len("&item_code=")
        if batches[-1] and (len(batches[-1]) >= AVAILABILITY_BATCH or length + cost > URL_BUDGET):
            batches.append([])
            length = 0
        batches[-1].append(code)
        length += cost
    found: dict[str, Availability] = {}
    for part in await asyncio.gather(*(stock.availability(batch) for batch in batches if batch)):
        found.update(part)
    return found


def _available(planning: PlanningData, stock: Mapping[str, Availability]) -> dict[int, Decimal]:
    return {
        planning.ids[code]: max(ZERO, row.available)
        for code, row in stock.items()
        if code in planning.ids
    }


async def check_work_order(
    db: Database, catalog: CatalogClient, stock: StockClient, order_id: int
) -> dict[str, Any]:
    """The material check of a work order, as `MaterialCheckOut` JSON types.

    Built as plain dicts, not models: a 2,000-component product's answer has about 4,000
    rows, and validating then dumping them took longer than the check itself.
    """
    async with db.read() as session:
        order = await _order(session, order_id)
        parts = (await components_of(session, [order.id]))[order.id]
    planning = await catalog.planning_data([order.item_code])
    today = datetime.now(UTC).date()
    on = max(order.start_date, today)
    versions = planning.boms.get(order.item_id, ())
    bom = _bom(order, versions)
    availability, receipts = await asyncio.gather(
        availability_of(stock, sorted(planning.ids)), _receipts(db, planning)
    )
    issued = {
        planning.ids[part.item_code]: max(part.issued_quantity, part.consumed_quantity)
        for part in parts
        if part.item_code in planning.ids
    }
    remaining = max(ZERO, order.quantity - order.produced_quantity)
    result = check_material(
        item_id=order.item_id,
        quantity=remaining,
        bom=bom,
        boms=planning.boms,
        items=planning.items,
        available=_available(planning, availability),
        receipts=[r for r in receipts if r.ref != order.number],
        on=on,
        issued=issued,
    )
    code = planning.codes
    return {
        "work_order": order.number,
        "item_code": order.item_code,
        "quantity": plain(remaining),
        "bom_revision": bom.revision,
        "on": on.isoformat(),
        "complete": result.complete,
        "earliest_complete_on": _day(result.earliest_complete_on),
        "rows": [
            {
                "level": row.level,
                "path": [code[i] for i in row.path],
                "item_code": code[row.item_id],
                "parent_code": code[row.parent_id],
                "required": plain(row.required),
                "available": plain(row.available),
                "short": plain(row.short),
                "covered_on": _day(row.covered_on),
                "substitute_available": plain(row.substitute_available),
                "make": row.make,
            }
            for row in result.rows
        ],
        "totals": [
            {
                "item_code": code[total.item_id],
                "required": plain(total.required),
                "available": plain(total.available),
                "short": plain(total.short),
                "covered_on": _day(total.covered_on),
            }
            for total in result.totals
        ],
    }


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


async def _receipts(db: Database, planning: PlanningData) -> list[ScheduledReceipt]:
    """Open purchase and work orders of the items in `planning`."""
    async with db.read() as session:
        _, receipts = await read_orders(session, planning.ids, receipts_only=True)
    return receipts


async def _order(session: AsyncSession, order_id: int) -> WorkOrder:
    order = await session.get(WorkOrder, order_id)
    if order is None:
        raise NotFound(f"no work order {order_id}")
    return order


def _bom(order: WorkOrder, versions: Sequence[PlanBom]) -> PlanBom:
    if order.bom_id is not None:
        for bom in versions:
            if bom.id == order.bom_id:
                return bom
    try:
        return pin_version(versions, order.start_date, order.bom_revision or None)
    except NoBomVersion as exc:
        raise NoBomToCheck(f"{order.item_code}: {exc}") from exc


async def buildable(
    catalog: CatalogClient, stock: StockClient, item_code: str, on: date | None, whole: bool
) -> BuildableOut:
    planning = await catalog.planning_data([item_code], field="query.item_code")
    if item_code not in planning.ids:
        raise InvalidInput(
            "unknown item",
            errors=[FieldError("query.item_code", f"no item {item_code!r}", "not_found")],
        )
    day = on or datetime.now(UTC).date()
    availability = await availability_of(stock, sorted(planning.ids))
    result = buildable_quantity(
        item_id=planning.ids[item_code],
        boms=planning.boms,
        items=planning.items,
        available=_available(planning, availability),
        on=day,
        whole_units=whole,
    )
    return BuildableOut(
        item_code=item_code,
        on=day,
        quantity=result.quantity,
        limiting=[planning.codes[i] for i in result.limiting],
    )
