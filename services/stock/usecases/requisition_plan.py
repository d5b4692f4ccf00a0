"""What a requisition takes, and from where: the plan its posting and its suggestion share.

Qualified stock in stores (storage, receiving, inspection, finished goods; active; under
`from_location_code` when the requisition names one; never the target line itself).
Lines without serials are picked earliest expiry first, then earliest receipt (FEFO,
then FIFO; never an expired lot), or from the lot they name. A serial-tracked line names
its units; each is taken from wherever it is qualified in that scope, with its own lot
(it must be the line's lot when the line names one; a unit in an expired lot is not
issued, like an expired lot). Posting plans under locks (`requisition_picking`), the
suggestion plans from what it reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Location, Requisition
from services.stock.db.models import RequisitionLine as LineRow
from services.stock.db.queries import location_subtree_ids, locations_by_ids, lots_by_ids
from services.stock.domain.model import LocationType
from services.stock.domain.picking import Shortage, pick
from services.stock.requisition_schemas import PickOut, PickSuggestion, ShortageOut
from services.stock.usecases.posting import InsufficientStockProblem
from services.stock.usecases.requisition_picking import (
    Missing,
    SerialLine,
    Stock,
    lock_stock,
    merged,
    qualified_stock,
    serial_shortage,
    take_serials,
)
from shared.errors import FieldError
from shared.schemas import plain

#: Where a requisition takes stock from: stores, not lines, quarantine or scrap.
ISSUABLE_TYPES = frozenset(
    {
        LocationType.STORAGE.value,
        LocationType.RECEIVING.value,
        LocationType.INSPECTION.value,
        LocationType.FINISHED_GOODS.value,
    }
)


@dataclass(frozen=True, slots=True)
class Take:
    """What posting moves for one line from one bucket (one unit for serial lines)."""

    line_no: int
    stock: Stock
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Plan:
    takes: list[Take]
    #: Lines without serials that cannot be filled (`line` is the 1-based line number).
    shortages: list[Shortage]
    #: Named units that are not qualified stock in scope (`line` is the 0-based index).
    missing: list[Missing]
    serial_lines: dict[int, SerialLine]
    stock: list[Stock]


def _scope(requisition: Requisition) -> list[ColumnElement[bool]]:
    conditions = [
        Location.location_type.in_(ISSUABLE_TYPES),
        Location.active.is_(True),
        Location.id != requisition.to_location_id,
    ]
    if requisition.from_location_id is not None:
        conditions.append(Location.id.in_(location_subtree_ids(requisition.from_location_id)))
    return conditions


async def plan(
    session: AsyncSession,
    requisition: Requisition,
    lines: Sequence[LineRow],
    *,
    lock_for: tuple[Location, Mapping[str, str]] | None = None,
) -> Plan:
    """Picks for every line, and what falls short. With `lock_for` (the target line and the
    items' catalog types), everything the posting may touch is locked first and the plan
    is made from the locked quantities."""
    named = await lots_by_ids(session, [line.lot_id for line in lines])

    def lot_of(line: LineRow) -> str | None:
        return named[line.lot_id].lot_number if line.lot_id else None

    serial_lines = {
        line.line_no - 1: SerialLine(line.line_no - 1, line.item_code, lot_of(line), serials)
        for line in lines
        if (serials := line.serial_numbers)
    }
    picked = [line for line in lines if not line.serial_numbers]
    stock = await qualified_stock(
        session,
        _scope(requisition),
        items={line.item_code for line in picked},
        serials={(s.item_code, serial) for s in serial_lines.values() for serial in s.serials},
    )
    if lock_for is not None:
        target, item_types = lock_for
        stock = await lock_stock(session, stock, item_types, to=target)
    today = date.today()
    buckets = {
        (s.key.item_code, s.key.location_code, s.key.lot_number): s
        for s in stock
        if not s.key.serial_number
    }
    picks, shortages = pick(
        ((line.line_no, line.item_code, line.quantity, lot_of(line)) for line in picked),
        (s.candidate() for s in stock if not s.key.serial_number),
        today=today,
    )
    units, missing = take_serials(list(serial_lines.values()), stock, expired_before=today)
    takes = [
        Take(p.line, buckets[(p.item_code, p.location_code, p.lot_number)], p.quantity)
        for p in picks
    ] + [Take(u.line + 1, u.stock, Decimal(1)) for u in units]
    takes.sort(key=lambda t: t.line_no)  # stable: FEFO order, serials as named
    return Plan(takes, shortages, missing, serial_lines, stock)


def _picking_shortage(
    requisition: Requisition, shortages: list[Shortage]
) -> InsufficientStockProblem:
    first = shortages[0]
    return InsufficientStockProblem(
        f"requisition {requisition.number} cannot be posted: line {first.line} needs "
        f"{plain(first.needed)} of {first.item_code}, {plain(first.available)} qualified "
        "is available",
        errors=[
            FieldError(
                f"lines.{s.line - 1}.quantity",
                f"{plain(s.available)} of {s.item_code} available, {plain(s.needed)} needed",
                "insufficient_stock",
            )
            for s in shortages
        ],
        extra={
            "item_code": first.item_code,
            "available": plain(first.available),
            "needed": plain(first.needed),
        },
    )


async def shortage_problem(
    session: AsyncSession, requisition: Requisition, found: Plan
) -> InsufficientStockProblem:
    """The 409 for a plan that falls short: every short line (`lines.<i>.quantity`) and
    every named unit that is not there (`lines.<i>.serial_numbers`), first line first."""
    problems: list[tuple[int, InsufficientStockProblem]] = []
    if found.shortages:
        problems.append(
            (found.shortages[0].line - 1, _picking_shortage(requisition, found.shortages))
        )
    if found.missing:
        source = None
        if requisition.from_location_id is not None:
            source = (await locations_by_ids(session, [requisition.from_location_id]))[
                requisition.from_location_id
            ]
        problem = await serial_shortage(
            session,
            found.missing,
            found.serial_lines,
            field_prefix="lines",
            scope=f"in the stores under {source.code}" if source else "in any store",
            location_code=source.code if source else None,
            detail_prefix=f"requisition {requisition.number} cannot be posted: ",
        )
        problems.append((found.missing[0].line, problem))
    return merged(problems)


async def suggestion(
    session: AsyncSession, requisition: Requisition, lines: Sequence[LineRow]
) -> PickSuggestion:
    """What posting would take now, and which lines (and named units) would fall short."""
    found = await plan(session, requisition, lines)
    missing: dict[int, list[str]] = {}
    for m in found.missing:
        missing.setdefault(m.line, []).append(m.serial_number)
    shortages = [
        ShortageOut(line_no=s.line, item_code=s.item_code, available=s.available, needed=s.needed)
        for s in found.shortages
    ] + [
        ShortageOut(
            line_no=index + 1,
            item_code=found.serial_lines[index].item_code,
            available=found.serial_lines[index].quantity - len(serials),
            needed=found.serial_lines[index].quantity,
            serial_numbers=serials,
        )
        for index, serials in missing.items()
    ]
    return PickSuggestion(
        requisition_id=requisition.id,
        picks=[
            PickOut(
                line_no=t.line_no,
                item_code=t.stock.key.item_code,
                location_code=t.stock.key.location_code,
                lot_number=t.stock.key.lot_number or None,
                quantity=t.quantity,
                expiry_date=t.stock.expiry_date,
                serial_number=t.stock.key.serial_number or None,
            )
            for t in found.takes
        ],
        shortages=sorted(shortages, key=lambda s: s.line_no),
    )
