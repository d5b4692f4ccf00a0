"""What a shipment takes from its location: lock first, then pick (`requisition_picking`).

Every qualified bucket at the location of the items picked, and the bucket of every
named serial-tracked unit, is locked in one sorted pass before anything is picked, so
the picks are made from the locked quantities: exact, no retry, no lock out of order.
Lines naming their lot are served before the lines that leave the lot to picking (FEFO,
then FIFO, never an expired lot); a serial-tracked line takes the units it names, each
with its own lot (the line's lot when it names one; never a unit of an expired lot).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogItem
from services.stock.db.models import Balance, Location
from services.stock.domain.model import QualityState
from services.stock.domain.picking import Candidate, Pick, Shortage, pick
from services.stock.domain.posting import InsufficientStock
from services.stock.shipment_schemas import ShipmentLineIn
from services.stock.usecases.document_lines import request_order
from services.stock.usecases.posting import InsufficientStockProblem
from services.stock.usecases.requisition_picking import (
    SerialLine,
    Stock,
    by_lot,
    lock_stock,
    merged,
    qualified_stock,
    serial_shortage,
    take_serials,
)
from shared.errors import FieldError
from shared.schemas import plain

QUALIFIED = QualityState.QUALIFIED


def expired(expiry_date: date | None, today: date) -> bool:
    """The picker's rule (`domain.picking.pick`): a lot is usable through its expiry date."""
    return expiry_date is not None and expiry_date < today


@dataclass(frozen=True, slots=True)
class Shipped:
    """One shipment row: what a request line (0-based `line`) takes from one bucket, or the
    named units it takes from one lot."""

    line: int
    stock: Stock
    quantity: Decimal
    serials: list[str] = field(default_factory=list)


def plan(
    lines: Sequence[ShipmentLineIn],
    candidates: Sequence[Candidate],
    today: date,
    *,
    only: Sequence[int] | None = None,
) -> tuple[list[Pick], list[Shortage]]:
    """Picks in request-line order (FEFO, then FIFO within a line) for the lines `only`
    (all by default); lines naming a lot are allocated before the lines that leave the
    lot to picking."""
    indices = range(len(lines)) if only is None else only
    order = sorted(indices, key=lambda index: lines[index].lot_number is None)
    picks, shortages = pick(
        (
            (index, lines[index].item_code, lines[index].quantity, lines[index].lot_number)
            for index in order
        ),
        candidates,
        today=today,
    )
    picks.sort(key=lambda p: p.line)  # stable: keeps the FEFO order within a line
    return picks, shortages


def _shortage_problem(
    lines: Sequence[ShipmentLineIn],
    location_code: str,
    shortages: Sequence[Shortage],
    candidates: Sequence[Candidate],
    today: date,
) -> InsufficientStockProblem:
    """A 409 for the first short item (and lot), naming every line of every short one.

    A line naming a lot competes only with the lines naming the same lot; a line without a
    lot draws on all unexpired qualified stock of its item, like every line of that item.
    """
    usable = [c for c in candidates if not expired(c.expiry_date, today)]
    found: dict[str, FieldError] = {}
    buckets: list[tuple[str, str | None, Decimal, Decimal]] = []
    for shortage in shortages:
        item, lot = lines[shortage.line].item_code, lines[shortage.line].lot_number
        members = [
            index
            for index, line in enumerate(lines)
            if line.item_code == item and (lot is None or line.lot_number == lot)
        ]
        available = sum(
            (c.quantity for c in usable if c.item_code == item and lot in (None, c.lot_number)),
            Decimal(0),
        )
        needed = sum((lines[index].quantity for index in members), Decimal(0))
        buckets.append((item, lot, available, needed))
        what = f"{item} lot {lot}" if lot else item
        message = (
            f"{plain(available)} of {what} qualified and unexpired at {location_code}; the "
            f"lines of that {'item and lot' if lot else 'item'} need {plain(needed)} together"
        )
        for index in members:
            name = f"body.lines.{index}.quantity"
            found.setdefault(name, FieldError(name, message, "insufficient_stock"))
    item, lot, available, needed = buckets[0]
    return InsufficientStockProblem(
        f"the shipment cannot be posted: {plain(available)} of "
        f"{f'{item} lot {lot}' if lot else item} qualified and unexpired at {location_code}, "
        f"{plain(needed)} needed",
        errors=sorted(found.values(), key=request_order),
        extra={
            "item_code": item,
            "location_code": location_code,
            "lot_number": lot,
            "quality_state": QUALIFIED.value,
            "available": plain(available),
            "needed": plain(needed),
        },
    )


def naming_lines(
    exc: InsufficientStockProblem, lines: Sequence[ShipmentLineIn]
) -> InsufficientStockProblem:
    """The posting core's 409, also naming the lines that draw on the short bucket."""
    cause = exc.__cause__
    if not isinstance(cause, InsufficientStock):
        return exc
    key = cause.key
    short = [
        FieldError(f"body.lines.{index}.quantity", str(cause), "insufficient_stock")
        for index, line in enumerate(lines)
        if line.item_code == key.item_code
        and line.lot_number in (None, key.lot_number)
        and (not key.serial_number or key.serial_number in (line.serial_numbers or ()))
    ]
    return InsufficientStockProblem(exc.detail, errors=short, extra=dict(exc.extra))


async def take_locked(
    session: AsyncSession,
    lines: Sequence[ShipmentLineIn],
    items: Mapping[str, CatalogItem],
    source: Location,
    today: date,
) -> tuple[list[Shipped], list[Stock]]:
    """Lock what the shipment may take at `source`, then pick: the shipment's rows in line
    order (and every locked bucket), or a 409 naming every line that falls short."""
    serial_lines = {
        index: SerialLine(index, line.item_code, line.lot_number, line.serial_numbers)
        for index, line in enumerate(lines)
        if line.serial_numbers
    }
    picked = [index for index in range(len(lines)) if index not in serial_lines]
    stock = await qualified_stock(
        session,
        [Balance.location_id == source.id],
        items={lines[index].item_code for index in picked},
        serials={(s.item_code, serial) for s in serial_lines.values() for serial in s.serials},
    )
    stock = await lock_stock(session, stock, {code: item.item_type for code, item in items.items()})
    candidates = [s.candidate() for s in stock if not s.key.serial_number]
    picks, shortages = plan(lines, candidates, today, only=picked)
    units, missing = take_serials(list(serial_lines.values()), stock, expired_before=today)
    problems: list[tuple[int, InsufficientStockProblem]] = []
    if shortages:
        problem = _shortage_problem(lines, source.code, shortages, candidates, today)
        problems.append((min(s.line for s in shortages), problem))
    if missing:
        problem = await serial_shortage(
            session,
            missing,
            serial_lines,
            field_prefix="body.lines",
            scope=f"at {source.code}",
            location_code=source.code,
            detail_prefix="the shipment cannot be posted: ",
        )
        problems.append((missing[0].line, problem))
    if problems:
        raise merged(problems)
    buckets = {(s.key.item_code, s.key.lot_number): s for s in stock if not s.key.serial_number}
    rows = [Shipped(p.line, buckets[(p.item_code, p.lot_number)], p.quantity) for p in picks]
    rows += [
        Shipped(line, group[0].stock, Decimal(len(group)), [u.serial_number for u in group])
        for line, _lot, group in by_lot(units)
    ]
    rows.sort(key=lambda row: row.line)  # stable: FEFO order, then the named units by lot
    return rows, stock
